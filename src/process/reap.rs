//! Learning that a child exited, and reaping the ones nobody waits for.
//!
//! **Naive approach:** `waitpid(pid, 0)` — it blocks the thread, and with it
//! every task. **Second naive approach:** on `SIGCHLD`, `waitpid(-1, WNOHANG)`
//! in a loop. **Its problem:** `-1` reaps *any* child, including ones the
//! program started with `std::process` and is about to `wait` for itself;
//! their status is lost and their `wait` fails with `ECHILD`.
//!
//! **What this file does:**
//! - On Linux ≥ 5.3, `pidfd_open(pid)` gives an fd that becomes readable
//!   when that one process exits: it goes into the reactor like a socket,
//!   and the exit is one more readiness event. Then `waitpid(pid, WNOHANG)`
//!   (through `std::process::Child::try_wait`) reaps exactly that child.
//! - Elsewhere (macOS, old kernels, a seccomp filter that refuses the
//!   syscall), the waiting `Child` listens to `SIGCHLD` through
//!   [`crate::signal`]: every `SIGCHLD` means "some child changed", so each
//!   waiter tries `waitpid` on *its own* pid and goes back to sleep if it was
//!   someone else's. Never `waitpid(-1)`. (Setting the environment variable
//!   `RAMEN_NO_PIDFD` forces this path on Linux; the tests use it.)
//! - A `Child` dropped while its process still runs goes to the orphan list
//!   (`orphans.rs`), reaped pid by pid too.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::task::{Context, Poll};

use crate::io::fd::{IoSource, set_nonblocking};
use crate::reactor::{POLL_SLOT, READABLE};
use crate::signal::{Signal, SignalKind};

/// How a `Child` learns of its exit. States: `Unarmed` → (first wait)
/// `Pidfd` or `Sigchld` → (exit seen) `Done`. `Pidfd` is chosen at spawn.
pub(crate) enum ExitWatch {
    /// Nothing registered yet (SIGCHLD path before the first wait).
    Unarmed,
    /// A pidfd registered with the reactor (Linux ≥ 5.3).
    Pidfd(IoSource<OwnedFd>),
    /// A `SIGCHLD` listener.
    Sigchld(Signal),
    /// The child was reaped; nothing to watch.
    Done,
}

impl ExitWatch {
    /// A pidfd watch where the kernel has it, else `Unarmed`.
    pub(crate) fn new(pid: u32) -> ExitWatch {
        if std::env::var_os("RAMEN_NO_PIDFD").is_some() {
            return ExitWatch::Unarmed; // test switch: take the SIGCHLD path
        }
        match open_pidfd(pid) {
            Some(fd) => match IoSource::new(fd) {
                Ok(src) => ExitWatch::Pidfd(src),
                Err(_) => ExitWatch::Unarmed,
            },
            None => ExitWatch::Unarmed,
        }
    }

    /// Polls `child` for its exit: `Ready` once reaped (the status is
    /// returned), otherwise the waker is parked in the reactor (pidfd) or the
    /// `SIGCHLD` listener.
    pub(crate) fn poll_exit(
        &mut self,
        child: &mut std::process::Child,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        debug_assert!(!matches!(self, ExitWatch::Done), "polled after the exit");
        if matches!(self, ExitWatch::Unarmed) {
            // Listen *before* the first try_wait: an exit after that try_wait
            // then moves the generation this listener compares against.
            *self = ExitWatch::Sigchld(crate::signal::signal(SignalKind::child())?);
        }
        loop {
            if let Some(status) = child.try_wait()? {
                *self = ExitWatch::Done;
                return Poll::Ready(Ok(status));
            }
            match self {
                ExitWatch::Pidfd(fd) => {
                    // The one waiter of this pidfd: the shared slot.
                    match fd.poll_ready(READABLE, POLL_SLOT, cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Ready(Ok(())) => {}
                    }
                    // Ready but not reaped: the cached "ready" from the
                    // registration, or (never seen, but cheap to rule out)
                    // an exit the kernel announced a moment before it can
                    // be reaped. Ask the pidfd itself, level-triggered.
                    fd.clear_readiness(READABLE);
                    if pidfd_readable(fd.as_raw_fd()) {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                ExitWatch::Sigchld(sig) => {
                    if sig.poll_recv(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                ExitWatch::Unarmed | ExitWatch::Done => unreachable!("armed above"),
            }
        }
    }

    /// Removes a parked waker (the wait future was dropped).
    pub(crate) fn forget_waker(&self) {
        if let ExitWatch::Pidfd(fd) = self {
            fd.drop_waiter(READABLE, POLL_SLOT);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_pidfd(pid: u32) -> Option<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open takes a pid and a flags word, no pointers; on a
    // kernel without it the call fails with ENOSYS.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None; // ENOSYS, EPERM (seccomp), EMFILE: fall back to SIGCHLD
    }
    let fd = libc::c_int::try_from(fd).ok()?;
    // SAFETY: the syscall returned a new fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // pidfds are created close-on-exec; non-blocking for the reactor.
    set_nonblocking(fd.as_raw_fd()).ok()?;
    Some(fd)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn open_pidfd(_pid: u32) -> Option<OwnedFd> {
    None
}

/// Whether the pidfd says "exited" right now (poll with a zero timeout).
fn pidfd_readable(fd: libc::c_int) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is a valid pollfd array of length 1 for the call.
    unsafe { libc::poll(&mut p, 1, 0) == 1 }
}
