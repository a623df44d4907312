//! A running child: [`Child`] and its piped stdio.
//!
//! **Naive approach:** keep `std::process::Child` and call `child.wait()` or
//! read `child.stdout` in a task. **Its problem:** both block the thread;
//! `spawn_blocking(child.wait())` works but spends an OS thread per child.
//! **What this file does:** the pipes are switched to `O_NONBLOCK` and
//! registered with the reactor (they are [`AsyncRead`] / [`AsyncWrite`]),
//! and [`Child::wait`] parks on the exit watch of `reap.rs`. The state
//! machine of a `Child`: *running* (`status == None`, `id()` is `Some`) →
//! *reaped* (`status == Some`, `id()` is `None`); only `try_wait`/`wait`
//! move it, and never back.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use super::orphans;
use super::reap::ExitWatch;
use crate::io::{AsyncFd, AsyncRead, AsyncWrite};

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Dropping a `Child` does **not** kill the process (as in std and tokio)
/// unless [`Command::kill_on_drop`](super::Command::kill_on_drop) was set; a
/// process still running at drop is reaped later (see the module docs), so it
/// does not stay a zombie.
#[derive(Debug)]
pub struct Child {
    /// The child's stdin, if it was [`Stdio::piped`](super::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if piped.
    pub stderr: Option<ChildStderr>,
    /// `Some` until drop.
    std: Option<std::process::Child>,
    status: Option<ExitStatus>,
    watch: ExitWatch,
    kill_on_drop: bool,
}

impl std::fmt::Debug for ExitWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExitWatch::Unarmed => "Unarmed",
            ExitWatch::Pidfd(_) => "Pidfd",
            ExitWatch::Sigchld(_) => "Sigchld",
            ExitWatch::Done => "Done",
        })
    }
}

impl Child {
    /// Wraps a freshly spawned std child (its stdio still in it).
    pub(crate) fn new(mut std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let watch = ExitWatch::new(std.id());
        let (stdin, stdout, stderr) = (std.stdin.take(), std.stdout.take(), std.stderr.take());
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            std: Some(std),
            status: None,
            watch,
            // Until the pipes are registered: a failure below must not leave
            // a process running that the caller never got a handle to.
            kill_on_drop: true,
        };
        child.stdin = stdin.map(|s| AsyncFd::new(s).map(ChildStdin)).transpose()?;
        child.stdout = stdout
            .map(|s| AsyncFd::new(s).map(ChildStdout))
            .transpose()?;
        child.stderr = stderr
            .map(|s| AsyncFd::new(s).map(ChildStderr))
            .transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    fn std(&mut self) -> &mut std::process::Child {
        self.std.as_mut().expect("Child used after drop")
    }

    /// The OS process id, or `None` once the child was reaped (its pid may
    /// then belong to another process).
    pub fn id(&self) -> Option<u32> {
        match self.status {
            None => self.std.as_ref().map(std::process::Child::id),
            Some(_) => None,
        }
    }

    /// The exit status if the child has exited (reaping it), else `None`.
    /// Never blocks.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let s = self.std().try_wait()?;
        if let Some(s) = s {
            self.reaped(s);
        }
        Ok(s)
    }

    fn reaped(&mut self, status: ExitStatus) {
        debug_assert!(self.status.is_none(), "reaped twice");
        self.status = Some(status);
        self.watch = ExitWatch::Done; // closes the pidfd / drops the listener
    }

    /// Waits for the child to exit and returns its status (a child killed by
    /// a signal reports it: `std::os::unix::process::ExitStatusExt::signal`).
    ///
    /// As in std and tokio, `child.stdin` (if still there) is closed first,
    /// so a child reading its input to the end cannot wait for us while we
    /// wait for it. Use [`poll_wait`](Self::poll_wait) to keep it open.
    ///
    /// # Cancellation
    /// Cancel-safe: dropping the future leaves the child running and
    /// unreaped; call `wait` again later. Nothing is lost (but stdin stays
    /// closed).
    pub fn wait(&mut self) -> Wait<'_> {
        drop(self.stdin.take());
        Wait { child: self }
    }

    /// Poll form of [`wait`](Self::wait); it does not close stdin.
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(s) = self.status {
            return Poll::Ready(Ok(s));
        }
        let std = self.std.as_mut().expect("Child used after drop");
        let r = std::task::ready!(self.watch.poll_exit(std, cx));
        if let Ok(s) = &r {
            self.reaped(*s);
            orphans::reap_orphans();
        }
        Poll::Ready(r)
    }

    /// Sends `SIGKILL` and returns at once (the process may still be
    /// running; [`wait`](Self::wait) or [`kill`](Self::kill) to reap it).
    ///
    /// An error of kind [`io::ErrorKind::InvalidInput`] if the child was
    /// already reaped (as in tokio: its pid may now be someone else's).
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot kill a child that was already reaped",
            ));
        }
        self.std().kill()
    }

    /// Sends `SIGKILL`, then waits for the child to exit (reaping it).
    ///
    /// # Cancellation
    /// The signal is sent at the first poll; dropping the future afterwards
    /// leaves a dying, unreaped child, reaped by a later `wait` or, if the
    /// `Child` is dropped, through the orphan list.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut std) = self.std.take() else {
            return;
        };
        if self.status.is_none() {
            if self.kill_on_drop {
                let _ = std.kill();
            }
            if !matches!(std.try_wait(), Ok(Some(_))) {
                orphans::adopt(std);
            }
        }
        orphans::reap_orphans();
    }
}

/// Future of [`Child::wait`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Wait<'a> {
    child: &'a mut Child,
}

impl Future for Wait<'_> {
    type Output = io::Result<ExitStatus>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().child.poll_wait(cx)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.child.watch.forget_waker();
    }
}

/// Defines a pipe end type: a newtype over `AsyncFd<std's type>` (with
/// `read`: an [`AsyncRead`] that forwards to it).
macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident, $std:ty, read) => {
        pipe_end!($(#[$doc])* $name, $std);

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
            }
        }
    };
    ($(#[$doc:meta])* $name:ident, $std:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(AsyncFd<$std>);

        impl $name {
            /// Deregisters the pipe and returns std's handle (still
            /// `O_NONBLOCK`), e.g. to pass it to another `Command` as its stdio.
            pub fn into_std(self) -> $std {
                self.0.into_inner()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.get_ref().as_raw_fd()
            }
        }
    };
}

pipe_end!(
    /// The write end of a child's stdin pipe: [`AsyncWrite`]. Drop it to
    /// close the pipe (the child reads end of input).
    ChildStdin,
    std::process::ChildStdin
);
pipe_end!(
    /// The read end of a child's stdout pipe: [`AsyncRead`].
    ChildStdout,
    std::process::ChildStdout,
    read
);
pipe_end!(
    /// The read end of a child's stderr pipe: [`AsyncRead`].
    ChildStderr,
    std::process::ChildStderr,
    read
);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
