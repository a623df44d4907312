//! The Linux backend: `epoll` spoken directly through `libc`.
//!
//! **Naive approach:** use the `polling` crate everywhere (it is what
//! `polling.rs` does, and it is right on kqueue). **Its problem:** `polling` 3
//! registers `EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLPRI` and has no way to ask
//! for `EPOLLRDHUP`, so the reactor cannot tell "new data" from "new data and
//! the peer's FIN". When both arrive before one `epoll_wait`, the kernel
//! reports *one* edge; a reader that takes the data with a short read and
//! then assumes the socket is drained waits for an edge that never comes. So
//! with `polling` every stream read has to be confirmed by one more `recv`
//! that says `EAGAIN`: one syscall per read that does nothing.
//!
//! **What this file does:** it owns one epoll fd (`epoll_create1` with
//! `EPOLL_CLOEXEC`, so a spawned child does not inherit it) and registers
//! every source once, edge-triggered (`EPOLLET`), for
//! `EPOLLIN | EPOLLOUT | EPOLLRDHUP`. `EPOLLRDHUP` is the piece `polling`
//! lacks: the kernel sets it when the peer shut down its write side (FIN
//! received), in the same event as the data that came before it. The reactor
//! keeps that as a sticky "read closed" bit (`reactor.rs`), and with it a short
//! read *can* be trusted: either nothing more will come before a new edge,
//! or "read closed" is set and keeps the direction ready, so the next read
//! returns the `0` of end of stream at once. [`Epoll::RDHUP`] tells the read
//! paths (`io/fd.rs`) that this backend gives that guarantee.
//!
//! # Waking the loop from another thread
//! An `eventfd` registered like any source, under a key no slab entry can
//! have ([`NOTIFY_KEY`]). [`EventFdUnpark`]'s `unpark` writes 1 to it, which
//! wakes `epoll_wait`. The counter is never read back: in edge-triggered
//! mode every `write` to an eventfd is a new wakeup (the kernel calls the
//! waitqueue callback on each write, not only on 0 → 1), so the loop saves
//! the `read` per remote wake. The counter would overflow only after 2⁶⁴ − 2
//! wakes; if a write ever says `EAGAIN`, `unpark` reads the counter back to
//! zero and writes again.
//!
//! # Timeouts
//! `epoll_wait` takes milliseconds. A timer due in 0.3 ms must not become a
//! 0 ms wait (a busy loop until it is due), so timeouts are rounded *up*;
//! timers fire late by under a millisecond, never early.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use super::BackendEvent;

/// The event key of the unpark eventfd: beyond any slab key in practice.
const NOTIFY_KEY: u64 = u64::MAX;

/// Events returned by one `epoll_wait` at most; more stay queued in the
/// kernel's ready list and come with the next wait.
const MAX_EVENTS: usize = 1024;

/// What every source is registered for.
const INTEREST: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

/// One epoll instance and its unpark eventfd.
pub(crate) struct Epoll {
    epfd: OwnedFd,
    /// Shared with [`EventFdUnpark`], so the fd stays open while any handle
    /// (on any thread) may still write to it.
    eventfd: Arc<OwnedFd>,
    events: std::cell::RefCell<Vec<libc::epoll_event>>,
}

/// The `Send` half that wakes a sleeping [`Epoll::wait`] from any thread.
pub(crate) struct EventFdUnpark(Arc<OwnedFd>);

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl Epoll {
    /// Whether a short read means "drained": yes, see the module docs.
    pub(crate) const RDHUP: bool = true;

    /// Opens the epoll fd and the eventfd; returns the backend and its unpark.
    pub(crate) fn new() -> io::Result<(Epoll, EventFdUnpark)> {
        // SAFETY: `epoll_create1` takes no pointers; on success it returns a
        // new fd that nothing else owns, so `OwnedFd` may take it.
        let epfd = unsafe { OwnedFd::from_raw_fd(cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        // SAFETY: as above, `eventfd` returns a fresh fd or -1.
        let eventfd = unsafe {
            OwnedFd::from_raw_fd(cvt(libc::eventfd(
                0,
                libc::EFD_CLOEXEC | libc::EFD_NONBLOCK,
            ))?)
        };
        let ep = Epoll {
            epfd,
            eventfd: Arc::new(eventfd),
            events: std::cell::RefCell::new(Vec::with_capacity(MAX_EVENTS)),
        };
        ep.ctl(
            libc::EPOLL_CTL_ADD,
            ep.eventfd.as_raw_fd(),
            (libc::EPOLLIN | libc::EPOLLET) as u32,
            NOTIFY_KEY,
        )?;
        let unpark = EventFdUnpark(ep.eventfd.clone());
        Ok((ep, unpark))
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, key: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: key };
        // SAFETY: `ev` is a valid `epoll_event` for the duration of the call
        // (the kernel copies it); a bad `fd` is reported as EBADF, not UB.
        cvt(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev) })?;
        Ok(())
    }

    /// Registers `fd` under `key`, edge-triggered, for both directions and
    /// `EPOLLRDHUP`. The caller deletes it before closing it (`reactor.rs`).
    pub(crate) fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, INTEREST, key as u64)
    }

    /// Removes `fd` from the interest list.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// One `epoll_wait` (`None` = no timeout); calls `each` per source event.
    /// `EINTR` counts as a wait that saw nothing. Returns the number of
    /// events, the unpark's included.
    pub(crate) fn wait(
        &self,
        timeout: Option<Duration>,
        each: &mut dyn FnMut(BackendEvent),
    ) -> io::Result<usize> {
        let mut events = self.events.borrow_mut();
        events.clear();
        // SAFETY: the buffer has room for `MAX_EVENTS` entries
        // (`with_capacity`, never shrunk); the kernel writes at most that
        // many and returns how many it wrote, which is then set as the length.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                events.as_mut_ptr(),
                MAX_EVENTS as libc::c_int,
                timeout_ms(timeout),
            )
        };
        let n = match cvt(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        // SAFETY: the kernel initialised the first `n` entries, and
        // `n <= MAX_EVENTS <= capacity`.
        unsafe { events.set_len(n) };
        for ev in events.iter() {
            let (key, bits) = (ev.u64, ev.events as libc::c_int);
            if key == NOTIFY_KEY {
                continue; // only there to end the wait
            }
            let closed = bits & (libc::EPOLLRDHUP | libc::EPOLLHUP) != 0;
            let error = bits & libc::EPOLLERR != 0;
            each(BackendEvent {
                key: key as usize,
                readable: closed || error || bits & libc::EPOLLIN != 0,
                writable: error || bits & (libc::EPOLLOUT | libc::EPOLLHUP) != 0,
                read_closed: closed,
            });
        }
        Ok(n)
    }
}

/// `None` → -1 (forever); otherwise milliseconds rounded up, capped at `i32::MAX`.
fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    let Some(t) = timeout else { return -1 };
    let ms = t.as_nanos().div_ceil(1_000_000);
    ms.min(libc::c_int::MAX as u128) as libc::c_int
}

impl EventFdUnpark {
    fn write_one(&self) -> io::Result<()> {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live `u64`; the fd is kept open by
        // the `Arc` this handle holds.
        let r = unsafe { libc::write(self.0.as_raw_fd(), (&raw const one).cast(), 8) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

impl crate::inbox::Unpark for EventFdUnpark {
    fn unpark(&self) {
        if let Err(e) = self.write_one() {
            if e.kind() == io::ErrorKind::WouldBlock {
                // The counter is full (2⁶⁴ − 2 wakes without a read): empty
                // it and wake again.
                let mut sink: u64 = 0;
                // SAFETY: reads 8 bytes into a live `u64`; fd kept open by the `Arc`.
                unsafe { libc::read(self.0.as_raw_fd(), (&raw mut sink).cast(), 8) };
                let _ = self.write_one();
            }
            // Any other failure would mean the process is out of resources;
            // the loop then wakes at its next timer or I/O event instead
            // (later, never wrong), as with `polling`'s notify.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Unpark;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(300))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(5))), 5);
        assert_eq!(timeout_ms(Some(Duration::from_micros(5001))), 6);
        assert_eq!(timeout_ms(Some(Duration::from_secs(u64::MAX))), i32::MAX);
    }

    #[test]
    fn every_unpark_ends_a_wait_without_reading_the_counter() {
        let (ep, unpark) = Epoll::new().unwrap();
        let mut seen = 0;
        for _ in 0..3 {
            unpark.unpark();
            let n = ep
                .wait(Some(Duration::from_secs(10)), &mut |_| seen += 1)
                .unwrap();
            assert_eq!(n, 1, "the eventfd's edge, once per unpark");
        }
        assert_eq!(seen, 0, "the unpark is not a source event");
        let n = ep.wait(Some(Duration::ZERO), &mut |_| {}).unwrap();
        assert_eq!(n, 0, "no edge without a new write");
    }

    #[test]
    fn data_and_fin_in_one_wait_report_read_closed() {
        use std::io::Write;
        use std::os::unix::net::UnixStream;
        let (ep, _unpark) = Epoll::new().unwrap();
        let (a, mut b) = UnixStream::pair().unwrap();
        ep.add(a.as_raw_fd(), 7).unwrap();
        let mut got = Vec::new();
        ep.wait(Some(Duration::ZERO), &mut |e| got.push(e)).unwrap();
        assert!(
            got.iter()
                .all(|e| e.key == 7 && !e.readable && !e.read_closed)
        );
        b.write_all(b"x").unwrap();
        drop(b);
        got.clear();
        ep.wait(Some(Duration::from_secs(10)), &mut |e| got.push(e))
            .unwrap();
        assert_eq!(got.len(), 1);
        assert!(got[0].readable && got[0].read_closed, "{:?}", got[0]);
        ep.delete(a.as_raw_fd()).unwrap();
    }
}
