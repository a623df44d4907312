//! Which kernel interface a reactor waits with, and how one is chosen.
//!
//! **Naive approach:** pick the backend at compile time (`cfg(target_os)`).
//! **Its problem:** on Linux both backends work, and the `polling` one is
//! the one macOS and the BSDs get; if Linux CI never runs it, it rots
//! unnoticed. **What this file does:** Linux defaults to `epoll.rs`; the
//! environment variable `RAMEN_REACTOR=polling` (read when a runtime is
//! built) or [`Builder::reactor_backend`](crate::Builder::reactor_backend)
//! selects `polling.rs`, so the same test suite runs on both. Other systems
//! always use `polling.rs`. [`ReactorBackend::current`] says which one a
//! runtime got.

use std::io;
use std::os::fd::{BorrowedFd, RawFd};
use std::time::Duration;

use super::BackendEvent;
#[cfg(target_os = "linux")]
use super::epoll::Epoll;
use super::polling::Polling;
use crate::inbox::Unpark;

/// The kernel interface a runtime's reactor waits with.
///
/// ```
/// use ramen::ReactorBackend;
/// let rt = ramen::Runtime::builder()
///     .reactor_backend(ReactorBackend::Polling)
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { ReactorBackend::current() }), Some(ReactorBackend::Polling));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReactorBackend {
    /// `epoll` written directly on `libc`, registering `EPOLLRDHUP` so a
    /// short read can be trusted to have drained the socket (one `recv`
    /// fewer per read). Linux only, and the default there; asked for on
    /// another system, the runtime uses [`Polling`](Self::Polling) instead.
    Epoll,
    /// The `polling` crate: kqueue on macOS and the BSDs, epoll (without
    /// `EPOLLRDHUP`) on Linux. Every read is confirmed drained by a read that
    /// says `WouldBlock`. Env `RAMEN_REACTOR=polling` selects it on Linux.
    Polling,
}

impl ReactorBackend {
    /// The backend of the runtime running on this thread (`None` outside
    /// any runtime).
    pub fn current() -> Option<ReactorBackend> {
        crate::context::with_current(|core| core.reactor().backend())
    }

    /// The backend a runtime built now gets when its builder named none:
    /// `RAMEN_REACTOR` (`epoll` or `polling`) if set, else the system's
    /// default. An unknown value is reported on stderr and ignored.
    fn from_env() -> ReactorBackend {
        let default = if cfg!(target_os = "linux") {
            ReactorBackend::Epoll
        } else {
            ReactorBackend::Polling
        };
        match std::env::var("RAMEN_REACTOR") {
            Err(_) => default,
            Ok(v) if v.eq_ignore_ascii_case("epoll") => ReactorBackend::Epoll,
            Ok(v) if v.eq_ignore_ascii_case("polling") => ReactorBackend::Polling,
            Ok(v) => {
                eprintln!(
                    "ramen: RAMEN_REACTOR={v:?} is neither \"epoll\" nor \"polling\"; \
                     using {default:?}"
                );
                default
            }
        }
    }
}

/// The backend a reactor got: a closed set, so a `match` and no `dyn`.
pub(super) enum Backend {
    #[cfg(target_os = "linux")]
    Epoll(Epoll),
    Polling(Polling),
}

impl Backend {
    /// Opens the backend `wanted` (or, if `None`, the one `RAMEN_REACTOR`
    /// or the system picks) and returns it with its cross-thread unpark.
    pub(super) fn new(wanted: Option<ReactorBackend>) -> io::Result<(Backend, Box<dyn Unpark>)> {
        let which = wanted.unwrap_or_else(ReactorBackend::from_env);
        let made = match which {
            #[cfg(target_os = "linux")]
            ReactorBackend::Epoll => {
                Epoll::new().map(|(b, u)| (Backend::Epoll(b), Box::new(u) as Box<dyn Unpark>))
            }
            _ => Polling::new().map(|(b, u)| (Backend::Polling(b), Box::new(u) as Box<dyn Unpark>)),
        };
        made.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("ramen: cannot create the reactor ({which:?}): {e}"),
            )
        })
    }

    pub(super) fn kind(&self) -> ReactorBackend {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll(_) => ReactorBackend::Epoll,
            Backend::Polling(_) => ReactorBackend::Polling,
        }
    }

    /// Whether events carry "read closed", so a short read means drained.
    pub(super) fn rdhup(&self) -> bool {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll(_) => Epoll::RDHUP,
            Backend::Polling(_) => Polling::RDHUP,
        }
    }

    /// Registers `fd` under `key`, edge-triggered, both directions.
    ///
    /// # Safety
    /// `fd` must stay open until [`delete`](Self::delete) is called for it.
    pub(super) unsafe fn add(&self, fd: RawFd, key: usize) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll(b) => b.add(fd, key),
            // SAFETY: the caller keeps `fd` open until `delete` (our contract
            // is `Polling::add`'s).
            Backend::Polling(b) => unsafe { b.add(fd, key) },
        }
    }

    /// Removes `fd` (still open) from the interest list.
    pub(super) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll(b) => b.delete(std::os::fd::AsRawFd::as_raw_fd(&fd)),
            Backend::Polling(b) => b.delete(fd),
        }
    }

    /// Waits once; `each` sees every source event.
    pub(super) fn wait(
        &self,
        timeout: Option<Duration>,
        each: &mut dyn FnMut(BackendEvent),
    ) -> io::Result<usize> {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll(b) => b.wait(timeout, each),
            Backend::Polling(b) => b.wait(timeout, each),
        }
    }
}
