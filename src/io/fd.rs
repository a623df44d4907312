//! An fd registered with the reactor: the internal `IoSource` every socket
//! (and [`AsyncFd`](crate::io::AsyncFd), `async_fd.rs`) is built on.
//!
//! **Naive approach:** set `O_NONBLOCK`, and when a syscall says `WouldBlock`
//! return `Pending`. **Its problem:** nobody will ever wake the task.
//! **Second naive approach:** register the fd with the poller in every read.
//! **Its problem:** an `epoll_ctl` per operation, and an fd closed while still
//! registered can make epoll report events for a *different* file later
//! (epoll tracks the open file description, not the number).
//!
//! **What this file does:** `IoSource` registers its fd once when created and
//! deletes it from the poller in `Drop`, *before* the fd is closed (the inner
//! object sits in an `Option` and is dropped after `deregister`). Every
//! operation is the same loop (`poll_io`): wait until the reactor says the
//! direction may be ready, try the syscall, and on `WouldBlock` clear the
//! cached readiness and wait again. Readiness is a hint, never a promise.
//!
//! # Many waiters per direction
//! Any number of tasks may wait on one fd in one direction: fifty tasks
//! calling `accept()` on one `Rc<TcpListener>`, eight receiving on one
//! `Rc<UdpSocket>`. Each waiting *future* is a [`Waiter`] — an RAII
//! registration holding a token that is its identity in the reactor's list
//! for that direction; dropping the future removes exactly its own waker. An
//! edge wakes every waiter of its direction (as tokio does): each retries its
//! syscall, the losers find `WouldBlock` and wait again, so dropping one
//! waiter never costs the others a wakeup. The `poll_*` methods
//! (`AsyncRead::poll_read`, `poll_accept`) have no future to own a token:
//! they share one slot per direction ([`POLL_SLOT`]), where the last task to
//! poll is the one woken — tokio's contract for its `poll_*` methods too.
//!
//! # One runtime per object
//! The registration lives in the reactor of the runtime that created the
//! object, and only that runtime's loop waits on it. Polled in another
//! runtime — or on a thread with none, e.g. after its runtime was dropped —
//! it would wait for an event nobody collects, forever. So every operation
//! first compares the current runtime's id with its own and fails at once
//! with an `io::Error` saying so and naming the fix (create the object inside
//! the runtime that uses it; `from_std` there). One thread-local read per
//! operation.
//!
//! # Short reads clear readiness only when "read closed" is reported
//! A stream read that comes back short (`0 < n < buf.len()`) drained the
//! kernel's receive queue, so clearing read readiness then saves the `recv`
//! that would say `EAGAIN` (tokio does this). It is sound only if the
//! backend also reports "read closed" (`EPOLLRDHUP`): data and the peer's
//! FIN arriving before one `epoll_wait` make *one* edge, the short read takes
//! the data, and without a sticky "read closed" a reader waiting for end of
//! stream would wait forever (`tests/tcp.rs`,
//! `data_then_close_in_one_edge_is_seen`, hung every time before the epoll
//! backend). So [`IoSource::read_done`] clears on a short read only when the
//! reactor trusts short reads (`Reactor::trusts_short_reads`: the Linux epoll
//! backend); with the `polling` backend readiness is cleared only on
//! `WouldBlock`: one extra `recv` per wait, and no lost end of stream.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use crate::context;
use crate::reactor::{POLL_SLOT, READABLE, Reactor};

/// An fd object registered with the current runtime's reactor.
pub(crate) struct IoSource<T: AsRawFd> {
    /// `Some` until drop / `into_inner`; dropped only after `deregister`.
    inner: Option<T>,
    fd: RawFd,
    reg: Registration,
}

/// Where an fd is registered: its reactor, its key there, and the runtime.
struct Registration {
    reactor: Rc<Reactor>,
    key: usize,
    /// The id of the runtime whose reactor `reactor` is (see `check_runtime`).
    runtime: usize,
}

impl<T: AsRawFd> IoSource<T> {
    /// Registers `inner` (already non-blocking) with this thread's runtime.
    pub(crate) fn new(inner: T) -> io::Result<Self> {
        let (reactor, runtime) = context::with_current(|core| (core.reactor().clone(), core.id()))
            .ok_or_else(|| {
                io::Error::other(
                    "ramen: I/O objects must be created inside ramen::block_on \
                 (no ramen runtime is running on this thread)",
                )
            })?;
        let fd = inner.as_raw_fd();
        let key = reactor.register(fd)?;
        Ok(IoSource {
            inner: Some(inner),
            fd,
            reg: Registration {
                reactor,
                key,
                runtime,
            },
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("IoSource used after into_inner")
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("IoSource used after into_inner")
    }

    /// Deregisters, then hands the object back (still non-blocking).
    pub(crate) fn into_inner(mut self) -> T {
        self.deregister();
        self.inner.take().expect("IoSource used after into_inner")
        // Drop sees `inner == None` and does nothing more.
    }

    /// Deletes the registration while `inner` still holds its fd open.
    ///
    /// If `get_mut` replaced the object, the registered fd was closed with
    /// the old one (the kernel dropped its registration then) and its number
    /// may belong to someone else now: only the key is forgotten.
    fn deregister(&self) {
        let Some(inner) = &self.inner else { return };
        let current = inner.as_raw_fd();
        if current == self.fd {
            // SAFETY: `inner` owns `current` and is alive for this call, so
            // the fd is open and not reused while borrowed.
            let fd = unsafe { BorrowedFd::borrow_raw(current) };
            self.reg.reactor.deregister(self.reg.key, Some(fd));
        } else {
            self.reg.reactor.deregister(self.reg.key, None);
        }
    }

    /// Changes the owned object to another one around the *same* fd (e.g. a
    /// `TcpStream` into the enum the split halves share), keeping the
    /// registration.
    pub(crate) fn map<U: AsRawFd>(mut self, f: impl FnOnce(T) -> U) -> IoSource<U> {
        let inner = f(self.inner.take().expect("IoSource used after into_inner"));
        assert_eq!(inner.as_raw_fd(), self.fd, "IoSource::map must keep the fd");
        let reg = Registration {
            reactor: self.reg.reactor.clone(),
            ..self.reg
        };
        let fd = self.fd;
        drop(self); // `inner` is `None`: its Drop leaves the registration alone
        IoSource {
            inner: Some(inner),
            fd,
            reg,
        }
    }

    /// Fails at once if this thread's current runtime is not the one whose
    /// reactor holds the registration: that reactor is only waited on by its
    /// own loop, so waiting here would hang forever (see the module docs).
    #[inline]
    pub(crate) fn check_runtime(&self) -> io::Result<()> {
        self.reg.check_runtime::<T>()
    }

    /// `Ready(Ok)` if `dir` may be ready, for the waiter `token`
    /// ([`POLL_SLOT`] for the `poll_*` methods).
    pub(crate) fn poll_ready(
        &self,
        dir: u8,
        token: u64,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        self.check_runtime()?;
        self.reg
            .reactor
            .poll_ready(self.reg.key, dir, token, cx)
            .map(Ok)
    }

    pub(crate) fn clear_readiness(&self, dir: u8) {
        self.reg.reactor.clear_readiness(self.reg.key, dir);
    }

    /// A new waiter identity (see [`Waiter`]).
    pub(crate) fn new_token(&self) -> u64 {
        self.reg.reactor.new_token()
    }

    pub(crate) fn drop_waiter(&self, dir: u8, token: u64) {
        self.reg.reactor.drop_waiter(self.reg.key, dir, token);
    }

    /// The core loop: wait for `dir`, try `op`; `WouldBlock` clears the cached
    /// readiness and waits for the next edge; `Interrupted` retries. Waits in
    /// the direction's shared [`POLL_SLOT`] (the `poll_*` methods' contract:
    /// the last task to poll is the one woken).
    pub(crate) fn poll_io<R>(
        &self,
        dir: u8,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let inner = self.get_ref();
        self.reg.drive::<T, R>(dir, POLL_SLOT, cx, || op(inner))
    }

    /// [`poll_io`](Self::poll_io) with `&mut T`.
    pub(crate) fn poll_io_mut<R>(
        &mut self,
        dir: u8,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let t = self.inner.as_mut().expect("IoSource used after into_inner");
        self.reg.drive::<T, R>(dir, POLL_SLOT, cx, || op(t))
    }

    /// A stream-socket read (`Ok(0)` at once for an empty `buf`). Readiness
    /// is cleared on `WouldBlock`, and after a short read when the backend
    /// reports "read closed" (see [`read_done`](Self::read_done)).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        mut op: impl FnMut(&T, &mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        if len == 0 {
            return Poll::Ready(Ok(0));
        }
        let r = ready!(self.poll_io(READABLE, cx, |t| op(t, buf)));
        self.read_done(&r, len);
        Poll::Ready(r)
    }

    /// After a stream read into `len` bytes of room: a short read
    /// (`0 < n < len`) drained the socket, so read readiness ends without
    /// a `recv` that says `WouldBlock`, when the reactor trusts short reads
    /// (its backend reports "read closed", which stays set; see the module
    /// docs). End of stream (`0`) and errors leave readiness as it is.
    #[inline]
    pub(crate) fn read_done(&self, r: &io::Result<usize>, len: usize) {
        if let Ok(n) = *r {
            if n > 0 && n < len && self.reg.reactor.trusts_short_reads() {
                self.reg.reactor.drained(self.reg.key);
            }
        }
    }

    /// `.await`-able `poll_io`, waiting as its own [`Waiter`] (so any
    /// number of tasks may wait at once); dropping the future removes it.
    pub(crate) async fn io<R>(
        &self,
        dir: u8,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = Waiter::new(self, dir);
        std::future::poll_fn(|cx| waiter.poll_io(cx, &mut op)).await
    }
}

impl Registration {
    #[inline]
    fn check_runtime<T>(&self) -> io::Result<()> {
        if context::current_id() == self.runtime {
            return Ok(());
        }
        Err(wrong_runtime(std::any::type_name::<T>(), self.runtime))
    }

    fn clear_readiness(&self, dir: u8) {
        self.reactor.clear_readiness(self.key, dir);
    }

    /// The loop behind every operation, for waiter `token`. One unit of the
    /// task's cooperative budget (`coop.rs`) per `Ready`; refunded when the
    /// operation has to wait.
    fn drive<T, R>(
        &self,
        dir: u8,
        token: u64,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.check_runtime::<T>()?;
        let coop = ready!(crate::coop::poll_proceed(cx));
        loop {
            ready!(self.reactor.poll_ready(self.key, dir, token, cx));
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(dir),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => {
                    coop.made_progress();
                    return Poll::Ready(r);
                }
            }
        }
    }
}

/// One future's place among the waiters of one direction of a source: an
/// RAII registration. Its token is its identity in the reactor's list, so
/// dropping it removes exactly its own waker and leaves the others'.
pub(crate) struct Waiter<'a, T: AsRawFd> {
    src: &'a IoSource<T>,
    dir: u8,
    token: u64,
    /// Whether a waker may be stored under `token` (set on `Pending`).
    parked: bool,
}

impl<'a, T: AsRawFd> Waiter<'a, T> {
    pub(crate) fn new(src: &'a IoSource<T>, dir: u8) -> Self {
        Waiter {
            src,
            dir,
            token: src.new_token(),
            parked: false,
        }
    }

    /// [`IoSource::poll_io`] as this waiter.
    pub(crate) fn poll_io<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: &mut impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let inner = self.src.get_ref();
        let r = self
            .src
            .reg
            .drive::<T, R>(self.dir, self.token, cx, || op(inner));
        self.parked = r.is_pending();
        r
    }
}

impl<T: AsRawFd> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        if self.parked {
            self.src.drop_waiter(self.dir, self.token);
        }
    }
}

/// The error of an I/O object polled outside the runtime that created it.
#[cold]
fn wrong_runtime(type_name: &str, runtime: usize) -> io::Error {
    let here = match context::current_id() {
        0 => String::from("outside any ramen runtime"),
        id => format!("in ramen runtime #{id}"),
    };
    io::Error::other(format!(
        "ramen: a {type_name} registered with runtime #{runtime} was polled {here}; \
         an I/O object belongs to the runtime that created it (each runtime has its own \
         reactor, and only that runtime's loop waits on it, so this would hang forever). \
         Create it inside the runtime that uses it: e.g. keep the std socket, and wrap it \
         with `from_std` inside that runtime's `block_on`"
    ))
}

impl<T: AsRawFd> Drop for IoSource<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // Delete from the poller first, then close the fd.
            self.deregister();
            drop(self.inner.take());
        }
    }
}

impl<T: AsRawFd> AsRawFd for IoSource<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl<T: AsRawFd + std::fmt::Debug> std::fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoSource")
            .field("inner", &self.inner)
            .field("key", &self.reg.key)
            .finish()
    }
}

/// Sets `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL only read and write the file status flags of
    // `fd`; an invalid fd yields EBADF, which is reported, not UB.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
