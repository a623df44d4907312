//! The Reactor: the table of registered fds, their cached readiness and the
//! tasks waiting on them, over one kernel poller (`reactor/epoll.rs` on Linux,
//! `reactor/polling.rs` elsewhere; `reactor/backend.rs` picks).
//!
//! **Naive approach:** one blocking `read` per connection, each on its own
//! thread. **Its problem:** 10,000 connections, 10,000 threads, and almost
//! all of them asleep. **Second naive approach:** non-blocking sockets tried
//! in a loop. **Its problem:** a busy loop burns a core doing nothing.
//!
//! **What this file does:** it asks the kernel "tell me when any of these
//! fds can move" with one `epoll_wait` (or `kevent`), and turns each answer
//! into a `Waker::wake` for the task that wanted it. The loop in
//! `event_loop.rs` calls [`Reactor::wait`] only when no task is ready (or the
//! fairness budget ran out). This file is the part that does not depend on
//! the kernel interface; the backends only register fds and report events.
//!
//! # Registration: edge-triggered, measured
//! Every fd is registered once, edge-triggered, for both directions, with its
//! slab key as the event key: no `epoll_ctl` per wait. Readiness is cached
//! per direction ([`READABLE`], [`WRITABLE`]) and cleared when a syscall says
//! `WouldBlock` (see `io/fd.rs`).
//!
//! The alternative, oneshot (`EPOLLONESHOT`, re-armed with `epoll_ctl` after
//! every event), is easier to explain (interest exists exactly while a waker
//! waits) but costs one extra `epoll_ctl` per wait and one `EAGAIN` read per
//! round trip: smol's count of syscalls per echo round trip comes from there
//! (`cargo run -p ramen-benches --release --bin compare`, row "TCP echo
//! syscalls").
//!
//! # Short reads and "read closed"
//! A stream read that returns fewer bytes than the buffer had room for
//! emptied the kernel's receive queue, so the reader could clear readiness
//! at once instead of paying one more `recv` to hear `EAGAIN`. That is only
//! safe when the kernel also says *why* an edge came. When a peer's last
//! data and its FIN arrive before one wait, they make a single edge; a
//! reader that takes the data with a short read and clears readiness then
//! waits for an edge that never comes, and never sees end of stream
//! (`data_then_close_in_one_edge_is_seen` in `tests/tcp.rs`). The epoll
//! backend registers `EPOLLRDHUP`, so that edge says "read closed" too; the
//! reactor keeps it as a *sticky* bit ([`Reactor::drained`] never clears
//! it) and the next read returns the `0` of end of stream at once. The
//! `polling` backend cannot ask for `EPOLLRDHUP`; with it
//! [`Reactor::trusts_short_reads`] is false and every drain is confirmed by
//! a `WouldBlock`.
//!
//! The read direction's states, per source (`WRITABLE` is the first two):
//!
//! | state | bits | left by |
//! |-|-|-|
//! | not ready | none | an event: → ready (→ ready+closed with "read closed") |
//! | ready | `READABLE` | `WouldBlock` or a trusted short read: → not ready |
//! | ready+closed | `READABLE \| READ_CLOSED` | only `WouldBlock`: → not ready |
//!
//! `WouldBlock` clears both bits because the kernel just said nothing is
//! there *and* the stream is not at its end (a FIFO whose writer came back).
//! `debug_assert!`s check that `READ_CLOSED` never stands without `READABLE`.
//!
//! # Spurious wakeups
//! A wake from the reactor means "this direction *may* be ready". Another task
//! may have drained it first, or the event may predate the last read. Every I/O
//! future therefore retries its syscall and, on `WouldBlock`, clears readiness
//! and waits again. Nothing in ramen treats a wake as a promise.
//!
//! # Draining readiness
//! With edge-triggered registration the kernel reports a *change*. A reader
//! that stops before `WouldBlock` (or a trusted short read) keeps its
//! readiness bit set and will be let straight through next time, so nothing
//! is lost; but a reader that waits for a new event without draining would
//! wait forever.
//!
//! # Waiters: a short list per direction
//! Each source keeps, per direction, a `Vec<(token, Waker)>`: the futures
//! waiting for that direction, each under the token that is its identity
//! (`io/fd.rs`, `Waiter`; token [`POLL_SLOT`] is the one shared slot of the
//! `poll_*` methods). An edge drains the whole list into the wake batch.
//! Why a `Vec` and not a slab with an intrusive list: the usual length is 0
//! or 1 (one task per direction), where a `Vec` is one pointer compare and
//! keeps its capacity across waits, so the common wait allocates nothing
//! after the first; removal by token is a linear scan, but over a list that
//! is short or, when long (50 acceptors), woken whole by the next edge
//! anyway: the O(n) drain is paid regardless. A slab would give O(1) removal
//! at the price of an indirection and a second table to keep consistent.
//!
//! # Invariants
//! - The slab key is the backend's event key; events for keys no longer
//!   present are ignored.
//! - A token appears at most once in a direction's list (`poll_ready` replaces in place).
//! - A source is deleted from the backend before its fd is closed (see `io/fd.rs`).
//! - `READ_CLOSED` implies `READABLE`.

mod backend;
#[cfg(target_os = "linux")]
mod epoll;
mod polling;

pub use backend::ReactorBackend;

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use slab::Slab;

use crate::inbox::Unpark;
use backend::Backend;

/// Readiness bit: the fd can be read (or accepted from, or hit EOF/error).
pub(crate) const READABLE: u8 = 0b01;
/// Readiness bit: the fd can be written.
pub(crate) const WRITABLE: u8 = 0b10;
/// Readiness bit: the peer will send no more ("read closed", `EPOLLRDHUP`
/// or `EPOLLHUP`). Sticky: only `WouldBlock` clears it (see the module docs).
const READ_CLOSED: u8 = 0b100;

/// One source's event, as a backend reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BackendEvent {
    /// The slab key the fd was registered under.
    key: usize,
    readable: bool,
    writable: bool,
    /// The peer shut its write side (never set by the `polling` backend).
    read_closed: bool,
}

/// Waiter token of the `poll_*` methods (`AsyncRead::poll_read`,
/// `poll_accept`, ...): one shared slot per direction, the last caller wins
/// (as in tokio). Futures (`accept().await`, `readable().await`) get their
/// own token from [`Reactor::new_token`] and so a place of their own.
pub(crate) const POLL_SLOT: u64 = 0;

struct Source {
    /// The registered fd (for the narrator's "fd 7 readable").
    fd: RawFd,
    readiness: u8,
    /// Waiters per direction (`[READABLE, WRITABLE]`), as `(token, waker)`.
    waiters: [Vec<(u64, Waker)>; 2],
}

impl Source {
    /// The readiness invariant: "read closed" only with "readable".
    #[inline]
    fn check(&self) {
        debug_assert!(
            self.readiness & READ_CLOSED == 0 || self.readiness & READABLE != 0,
            "READ_CLOSED without READABLE: {:#05b}",
            self.readiness
        );
    }

    fn waiters(&mut self, dir: u8) -> &mut Vec<(u64, Waker)> {
        debug_assert!(
            dir == READABLE || dir == WRITABLE,
            "one direction at a time"
        );
        &mut self.waiters[usize::from(dir == WRITABLE)]
    }
}

/// Owns the backend and the table of registered fds. Single-threaded: other
/// threads reach only the backend's unpark handle, which `new` hands out.
pub(crate) struct Reactor {
    backend: Backend,
    /// Cached `backend.rdhup()`: checked on every stream read.
    rdhup: bool,
    sources: RefCell<Slab<Source>>,
    /// Keys deregistered while `sources` was borrowed; removed at the next wait.
    dead: RefCell<Vec<usize>>,
    wakers: RefCell<Vec<Waker>>,
    /// Next waiter token (see [`POLL_SLOT`]); never reused.
    next_token: std::cell::Cell<u64>,
    /// On with `Builder::explain`: what happened to whose waker, kept for the
    /// core to hand to the narrator (the reactor does not know `diag`).
    narrating: Cell<bool>,
    notes: RefCell<Vec<ReactorNote>>,
}

/// What the reactor tells the narrator (only with `Builder::explain`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ReactorNote {
    /// `task` left its waker waiting for `fd` to become readable/writable.
    Waits {
        task: u64,
        fd: RawFd,
        readable: bool,
    },
    /// The kernel said `fd` is ready; `task` (if any waited) was woken.
    Ready {
        fd: RawFd,
        readable: bool,
        task: Option<u64>,
    },
}

fn task_of(waker: &Waker) -> Option<u64> {
    crate::waker::header_of(waker).map(|h| h.id)
}

impl Reactor {
    /// Opens the backend `config` asks for (`Builder::reactor_backend`, else
    /// `RAMEN_REACTOR`, else the system's default) and returns the reactor
    /// with the handle that wakes its `wait` from any thread.
    pub(crate) fn new(
        config: &crate::rt::config::Config,
    ) -> io::Result<(Reactor, Box<dyn Unpark>)> {
        let (backend, unpark) = Backend::new(config.reactor_backend)?;
        let reactor = Reactor {
            rdhup: backend.rdhup(),
            backend,
            sources: RefCell::new(Slab::new()),
            dead: RefCell::new(Vec::new()),
            wakers: RefCell::new(Vec::new()),
            next_token: std::cell::Cell::new(POLL_SLOT + 1),
            narrating: Cell::new(false),
            notes: RefCell::new(Vec::new()),
        };
        Ok((reactor, unpark))
    }

    /// Which backend this reactor waits with.
    pub(crate) fn backend(&self) -> ReactorBackend {
        self.backend.kind()
    }

    /// Whether a short stream read may be trusted to have drained the
    /// socket (the backend reports "read closed"); see the module docs.
    #[inline]
    pub(crate) fn trusts_short_reads(&self) -> bool {
        self.rdhup
    }

    /// Keep [`ReactorNote`]s from now on (`Builder::explain`).
    pub(crate) fn narrate(&self) {
        self.narrating.set(true);
    }

    /// The notes kept since the last call.
    pub(crate) fn take_notes(&self) -> Vec<ReactorNote> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    /// Registers a non-blocking `fd` for both directions; returns its key.
    /// Both directions start out "ready" so the first operation just tries.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<usize> {
        let mut sources = self.sources.borrow_mut();
        let entry = sources.vacant_entry();
        let key = entry.key();
        // SAFETY: `Backend::add` requires the fd to stay open until `delete`
        // is called. Every caller is an `IoSource` (io/fd.rs) that owns the fd
        // and calls `deregister` in its `Drop` before the fd is closed.
        unsafe { self.backend.add(fd, key) }.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("ramen: cannot register fd {fd} with the reactor: {e}"),
            )
        })?;
        entry.insert(Source {
            fd,
            readiness: READABLE | WRITABLE,
            waiters: [Vec::new(), Vec::new()],
        });
        Ok(key)
    }

    /// Removes `fd` from the backend (before it is closed) and forgets `key`.
    ///
    /// `fd` is `None` when the registered fd is already gone (its owner
    /// replaced the object through `get_mut`, closing it): the kernel dropped
    /// that registration with the fd, and deleting by number now could remove
    /// another source that reused it.
    pub(crate) fn deregister(&self, key: usize, fd: Option<BorrowedFd<'_>>) {
        if let Some(fd) = fd {
            // Failure means the fd was already gone from the backend; the
            // entry must be forgotten either way.
            let _ = self.backend.delete(fd);
        }
        match self.sources.try_borrow_mut() {
            Ok(mut sources) => {
                sources.try_remove(key);
            }
            // Reentered from a waker's code while the table is borrowed:
            // remove it at the start of the next `wait` instead of leaking it.
            Err(_) => self.dead.borrow_mut().push(key),
        }
    }

    /// A new waiter identity for a future that waits on some source.
    pub(crate) fn new_token(&self) -> u64 {
        let t = self.next_token.get();
        self.next_token.set(t + 1);
        t
    }

    /// `Ready` if `dir` is (possibly spuriously) ready; otherwise stores the
    /// waker under `token`, to be woken on the next event for that direction.
    pub(crate) fn poll_ready(
        &self,
        key: usize,
        dir: u8,
        token: u64,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut sources = self.sources.borrow_mut();
        let Some(source) = sources.get_mut(key) else {
            // Deregistered: let the syscall run and report the real error.
            return Poll::Ready(());
        };
        if source.readiness & dir != 0 {
            return Poll::Ready(());
        }
        let waiters = source.waiters(dir);
        match waiters.iter().position(|(t, _)| *t == token) {
            Some(i) if waiters[i].1.will_wake(cx.waker()) => return Poll::Pending,
            _ => {}
        }
        // Clone the new waker and drop the old one outside the borrow: a
        // foreign waker's clone or drop may run code that reenters the reactor.
        if self.narrating.get() {
            if let Some(task) = task_of(cx.waker()) {
                let (fd, readable) = (source.fd, dir == READABLE);
                self.notes
                    .borrow_mut()
                    .push(ReactorNote::Waits { task, fd, readable });
            }
        }
        drop(sources);
        let new = cx.waker().clone();
        let mut sources = self.sources.borrow_mut();
        let Some(source) = sources.get_mut(key) else {
            return Poll::Ready(());
        };
        let waiters = source.waiters(dir);
        let old = match waiters.iter_mut().find(|(t, _)| *t == token) {
            Some((_, w)) => Some(std::mem::replace(w, new)),
            None => {
                waiters.push((token, new));
                None
            }
        };
        drop(sources);
        drop(old);
        Poll::Pending
    }

    /// The syscall said `WouldBlock`: not ready until the next edge. For
    /// [`READABLE`] this ends "read closed" too: the kernel just said the
    /// stream is not at its end.
    pub(crate) fn clear_readiness(&self, key: usize, dir: u8) {
        if let Some(source) = self.sources.borrow_mut().get_mut(key) {
            let cleared = if dir & READABLE != 0 {
                dir | READ_CLOSED
            } else {
                dir
            };
            source.readiness &= !cleared;
            source.check();
        }
    }

    /// A stream read returned fewer bytes than asked: the receive queue is
    /// empty, so read readiness ends now (no `recv` to hear `EAGAIN`),
    /// unless "read closed" holds it (sticky: the next read returns end of
    /// stream at once). Only when [`trusts_short_reads`](Self::trusts_short_reads).
    pub(crate) fn drained(&self, key: usize) {
        debug_assert!(self.rdhup, "a short read proves nothing without RDHUP");
        if let Some(source) = self.sources.borrow_mut().get_mut(key) {
            if source.readiness & READ_CLOSED == 0 {
                source.readiness &= !READABLE;
            }
            source.check();
        }
    }

    /// Forgets the waker stored for `token` in `dir` (its future was
    /// dropped). The other waiters keep their places: an edge wakes every
    /// waiter of its direction, so removing one loses nothing for the rest.
    pub(crate) fn drop_waiter(&self, key: usize, dir: u8, token: u64) {
        let old = match self.sources.try_borrow_mut() {
            Ok(mut sources) => sources.get_mut(key).and_then(|s| {
                let waiters = s.waiters(dir);
                let i = waiters.iter().position(|(t, _)| *t == token)?;
                Some(waiters.swap_remove(i))
            }),
            Err(_) => None,
        };
        drop(old); // outside the borrow
    }

    /// Whether any task waits on any fd (used by the stall explanation;
    /// O(sources), called only when the loop is idle).
    pub(crate) fn has_waiters(&self) -> bool {
        self.sources
            .borrow()
            .iter()
            .any(|(_, s)| s.waiters.iter().any(|w| !w.is_empty()))
    }

    /// Number of registered sources (fds).
    pub(crate) fn len(&self) -> usize {
        self.sources.borrow().len()
    }

    /// Waits for events (at most `timeout`; `None` = until one arrives or
    /// the unpark handle is used) and wakes the waiting tasks. Returns how
    /// many events the backend reported.
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> io::Result<usize> {
        for key in self.dead.take() {
            self.sources.borrow_mut().try_remove(key);
        }
        let mut wakers = self.wakers.borrow_mut();
        let n = {
            let mut sources = self.sources.borrow_mut();
            self.backend.wait(timeout, &mut |ev| {
                self.on_event(&mut sources, &mut wakers, ev)
            })?
        };
        // Wake outside every borrow: a waker may run arbitrary code.
        let mut woken: Vec<Waker> = std::mem::take(&mut *wakers);
        drop(wakers);
        for w in woken.drain(..) {
            w.wake();
        }
        // Give the buffer back so the next wait does not allocate.
        *self.wakers.borrow_mut() = woken;
        Ok(n)
    }

    /// One event: set the readiness it reports and move the waiters of each
    /// direction it names into `wakers`.
    fn on_event(&self, sources: &mut Slab<Source>, wakers: &mut Vec<Waker>, ev: BackendEvent) {
        // A key not in the slab: the source was dropped after the kernel
        // queued the event. Ignore it.
        let Some(source) = sources.get_mut(ev.key) else {
            return;
        };
        if self.narrating.get() {
            let mut notes = self.notes.borrow_mut();
            for (happened, readable, dir) in [(ev.readable, true, 0), (ev.writable, false, 1)] {
                if !happened {
                    continue;
                }
                let fd = source.fd;
                for (_, w) in &source.waiters[dir] {
                    let task = task_of(w);
                    notes.push(ReactorNote::Ready { fd, readable, task });
                }
            }
        }
        // An edge wakes every waiter of its direction (as tokio does): each
        // retries its syscall, and those that find `WouldBlock` wait again.
        // `drain` keeps the capacity.
        if ev.readable {
            source.readiness |= READABLE;
            if ev.read_closed {
                source.readiness |= READ_CLOSED;
            }
            wakers.extend(source.waiters(READABLE).drain(..).map(|(_, w)| w));
        }
        if ev.writable {
            source.readiness |= WRITABLE;
            wakers.extend(source.waiters(WRITABLE).drain(..).map(|(_, w)| w));
        }
        source.check();
    }

    /// Drops every stored waker (runtime shutdown). Registered fds are
    /// deleted by their owners as they drop.
    pub(crate) fn clear_wakers(&self) {
        let mut sources = self.sources.borrow_mut();
        let mut taken = Vec::new();
        for (_, s) in sources.iter_mut() {
            for waiters in &mut s.waiters {
                taken.append(waiters);
            }
        }
        drop(sources);
        drop(taken);
    }
}
