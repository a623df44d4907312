//! The portable backend: the `polling` crate (kqueue on macOS and the BSDs,
//! epoll on Linux, and whatever else `polling` supports).
//!
//! **Naive approach:** write a backend per system by hand, as `epoll.rs`
//! does for Linux. **Its problem:** kqueue, event ports and the rest are each
//! their own lesson, and ramen's teaching is in what the reactor does with
//! readiness, not in every system's spelling of it.
//!
//! **What this file does:** it wraps one `polling::Poller`, edge-triggered
//! where the system has it (level-triggered otherwise), and turns its events
//! into the reactor's `BackendEvent`s. `polling` 3 cannot ask for
//! `EPOLLRDHUP`, so it never reports "read closed" ([`Polling::RDHUP`] is
//! false) and the read paths confirm every drain with a read that says
//! `WouldBlock` (see `epoll.rs` for why). On Linux this backend is chosen
//! with `RAMEN_REACTOR=polling` or `Builder::reactor_backend`, which is how
//! CI keeps it tested.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use ::polling::{Event, Events, PollMode, Poller};

use super::BackendEvent;

/// One `polling::Poller` and its event buffer.
pub(crate) struct Polling {
    poller: Arc<Poller>,
    mode: PollMode,
    events: std::cell::RefCell<Events>,
}

/// The `Send` half that wakes a sleeping [`Polling::wait`] (`Poller::notify`).
pub(crate) struct PollerUnpark(Arc<Poller>);

impl Polling {
    /// `polling` has no `EPOLLRDHUP`: a short read proves nothing.
    pub(crate) const RDHUP: bool = false;

    /// Creates the poller; returns the backend and its unpark.
    pub(crate) fn new() -> io::Result<(Polling, PollerUnpark)> {
        let poller = Arc::new(Poller::new()?);
        // Edge-triggered where the OS has it (epoll, kqueue); level otherwise.
        let mode = if poller.supports_edge() {
            PollMode::Edge
        } else {
            PollMode::Level
        };
        let unpark = PollerUnpark(poller.clone());
        let events = std::cell::RefCell::new(Events::new());
        Ok((
            Polling {
                poller,
                mode,
                events,
            },
            unpark,
        ))
    }

    /// Registers `fd` under `key` for both directions.
    ///
    /// # Safety
    /// `fd` must stay open until [`delete`](Self::delete) is called for it
    /// (`polling`'s contract for `Poller::add`).
    pub(crate) unsafe fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
        // SAFETY: the caller keeps `fd` open until `delete` (this fn's contract).
        unsafe { self.poller.add_with_mode(fd, Event::all(key), self.mode) }
    }

    /// Removes `fd` from the poller.
    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.poller.delete(fd)
    }

    /// One wait (`None` = no timeout); calls `each` per source event.
    /// Returns the number of events.
    pub(crate) fn wait(
        &self,
        timeout: Option<Duration>,
        each: &mut dyn FnMut(BackendEvent),
    ) -> io::Result<usize> {
        let mut events = self.events.borrow_mut();
        events.clear(); // `polling` appends
        self.poller.wait(&mut events, timeout)?;
        for ev in events.iter() {
            each(BackendEvent {
                key: ev.key,
                readable: ev.readable,
                writable: ev.writable,
                read_closed: false,
            });
        }
        Ok(events.len())
    }
}

impl crate::inbox::Unpark for PollerUnpark {
    fn unpark(&self) {
        // `notify` only fails if the eventfd/pipe write fails, which would
        // mean the process is out of resources; the loop then wakes at its
        // next timer or I/O event instead: later, never wrong.
        let _ = self.0.notify();
    }
}
