//! Unix signals as something a task can `.await`: [`ctrl_c`], [`signal`].
//!
//! **Naive approach:** install a handler with `sigaction` that wakes the
//! waiting task (`waker.wake()`), or sets a flag a task checks in a loop.
//! **Its problem:** a handler interrupts whatever the thread was doing —
//! maybe in the middle of `malloc`, or holding the very lock `wake` needs —
//! so it may only call async-signal-safe functions: no allocation, no lock,
//! no waker. And a flag checked in a loop is a busy loop, or a sleep that
//! answers late.
//!
//! **What this module does:** the *self-pipe trick*. The handler stores one
//! atomic ("signal `n` is pending") and writes one byte to a pipe; that is
//! all (`registry.rs` spells out why each step is safe). The pipe's read end
//! is an ordinary fd in the reactor, so the signal becomes one more readiness
//! event: `epoll_wait` returns, the runtime wakes its `Signal`s, and in
//! ordinary code one of them turns the pending flag into a new *generation*
//! for that signal number and wakes every listener of it — in every runtime
//! of the process, since the handler, the pipe and the table are
//! process-wide.
//!
//! ```no_run
//! # ramen::block_on(async {
//! use ramen::signal::{SignalKind, signal};
//! let mut term = signal(SignalKind::terminate())?;
//! term.recv().await;
//! println!("SIGTERM: shutting down");
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! # What it costs and what it keeps
//! - The first listener for a signal number installs ramen's handler for it,
//!   **for the rest of the process** (as tokio does): the default action
//!   (for SIGINT, ending the process) no longer happens, even after every
//!   `Signal` is dropped. Deliveries with no listener are simply counted.
//! - Two fds (the pipe) are opened with the first handler and never closed.
//! - Deliveries that arrive while nobody polls a `Signal` are coalesced:
//!   `recv` reports "at least one since last time", not how many.
//! - `signal(n)` refuses, with [`io::ErrorKind::InvalidInput`], the signals
//!   that cannot be caught (`SIGKILL`, `SIGSTOP`) and those whose default
//!   action a program must not lose (`SIGILL`, `SIGFPE`, `SIGSEGV`, `SIGBUS`:
//!   returning from their handler re-runs the faulting instruction).
//!
//! | file | what it is |
//! |---|---|
//! | `mod.rs` | [`SignalKind`], [`signal`], [`Signal`], [`ctrl_c`] |
//! | `registry.rs` | the handler and its safety argument, the self-pipe, the per-runtime driver |
//! | `hub.rs` | generations and listeners' wakers, the lost-wakeup argument, its loom model |

mod hub;
mod registry;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pub(crate) use registry::ensure_installed;

/// A signal number, with constructors for the usual ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal number (validated by [`signal`], not here).
    pub const fn from_raw(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
    /// The signal number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }
    /// `SIGINT`: Ctrl-C in a terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }
    /// `SIGTERM`: "please stop" (what `kill` and service managers send).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }
    /// `SIGHUP`: the terminal went away; daemons use it for "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }
    /// `SIGQUIT`: Ctrl-\ in a terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }
    /// `SIGUSR1`.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }
    /// `SIGUSR2`.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }
    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }
    /// `SIGPIPE`: a write to a pipe or socket nobody reads.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }
    /// `SIGALRM`: a timer set with `alarm(2)`.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }
    /// `SIGWINCH`: the terminal changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> SignalKind {
        SignalKind(signum)
    }
}

/// Checks `kind` and returns its table index.
fn validate(kind: SignalKind) -> io::Result<usize> {
    let n = kind.0;
    let forbidden = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGBUS,
    ];
    if forbidden.contains(&n) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {n} cannot be listened to (uncatchable, or a fault signal)"),
        ));
    }
    match usize::try_from(n) {
        Ok(i) if (1..registry::SLOTS).contains(&i) => Ok(i),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{n} is not a signal number"),
        )),
    }
}

/// Listens for `kind`: installs ramen's handler for it (once per process),
/// and returns a [`Signal`] that sees every delivery from now on.
///
/// Errors: [`io::ErrorKind::InvalidInput`] for a signal that cannot or must
/// not be caught (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`,
/// `SIGBUS`) or a number that is not a signal; the OS error if `sigaction` or
/// the pipe fails; an error when called outside `ramen::block_on`.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = validate(kind)?;
    registry::ensure_installed(signum)?;
    let driver = registry::Driver::current()?;
    // Turn anything already pending into a generation first, so this
    // listener starts after it.
    registry::dispatch();
    let seen = registry::hub().generation(signum);
    let key = registry::hub().add(signum);
    Ok(Signal {
        signum,
        seen,
        key,
        driver,
    })
}

/// A stream of deliveries of one signal, from [`signal`].
///
/// `!Send`: it is registered with the runtime it was created in.
#[derive(Debug)]
pub struct Signal {
    signum: usize,
    /// The generation this listener last reported.
    seen: usize,
    key: usize,
    driver: Rc<registry::Driver>,
}

impl Signal {
    /// Waits for the next delivery: `Some(())` once per delivery, or once
    /// for several that arrived while nobody was waiting (coalesced). Never
    /// `None` in ramen (the handler is never removed); the `Option` keeps
    /// tokio's signature.
    ///
    /// # Cancellation
    /// Cancel-safe: dropping the future consumes nothing; a delivery that
    /// arrived meanwhile is reported by the next `recv`.
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { signal: self }
    }

    /// Poll form of [`recv`](Self::recv): `Ready(Some(()))` if a delivery
    /// happened since the last `Ready`, otherwise stores the waker.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        registry::poll_listener(self.signum, self.key, &mut self.seen, &self.driver, cx).map(Some)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        registry::hub().remove(self.key);
    }
}

/// Future of [`Signal::recv`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Recv<'a> {
    signal: &'a mut Signal,
}

impl Future for Recv<'_> {
    type Output = Option<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().signal.poll_recv(cx)
    }
}

/// Waits for the next Ctrl-C (`SIGINT`).
///
/// The handler is installed when the future is first polled (and stays for
/// the life of the process: see the module docs); a Ctrl-C before that is
/// not seen by this call.
///
/// # Cancellation
/// Cancel-safe in the sense that nothing is lost that a later call could
/// see: a delivery before the next call's first poll is not reported to it.
/// Keep one [`signal`]`(SignalKind::interrupt())` to count every Ctrl-C.
pub async fn ctrl_c() -> io::Result<()> {
    let mut sig = signal(SignalKind::interrupt())?;
    sig.recv().await;
    Ok(())
}
