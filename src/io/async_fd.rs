//! [`AsyncFd`]: any fd made awaitable — a pipe, an eventfd, a child's stdio.
//!
//! **Naive approach:** hand users the internal `IoSource` loop (`fd.rs`) and
//! let them pass a closure per syscall. **Its problem:** "wait until
//! readable, then try" is the shape every hand-written protocol needs, and a
//! user who waits, does *not* drain, and waits again, spins or hangs.
//!
//! **What this file does:** [`AsyncFd::readable`] / [`writable`](AsyncFd::writable)
//! return a [`Readiness`] future (one waiter among any number, `fd.rs`);
//! its [`ReadyGuard`] runs the syscall with `try_io`, and clears the cached
//! readiness on `WouldBlock` or when dropped unused, so the next wait really
//! waits for the kernel.

use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::fd::{IoSource, set_nonblocking};
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::{READABLE, WRITABLE};

/// Makes any fd awaitable: a pipe, an eventfd, a child's stdio.
///
/// `AsyncFd::new` sets `O_NONBLOCK` and registers the fd with the current
/// runtime. Then either use it as an [`AsyncRead`] / [`AsyncWrite`] (when `T`
/// is `Read` / `Write`), or wait with [`readable`](AsyncFd::readable) /
/// [`writable`](AsyncFd::writable) and do the syscall through
/// [`ReadyGuard::try_io`]:
///
/// ```
/// # #[cfg(unix)] {
/// use std::io::Read;
/// use ramen::io::AsyncFd;
/// ramen::block_on(async {
///     let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
///     let fd = AsyncFd::new(r).unwrap();
///     std::io::Write::write_all(&mut w, b"hi").unwrap();
///     let mut buf = [0u8; 8];
///     let n = loop {
///         let mut guard = fd.readable().await.unwrap();
///         match guard.try_io(|s| (&*s).read(&mut buf)) {
///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///             r => break r.unwrap(),
///         }
///     };
///     assert_eq!(&buf[..n], b"hi");
/// });
/// # }
/// ```
///
/// # It cannot spin
/// A [`ReadyGuard`] dropped without a successful `try_io` (or an explicit
/// [`ReadyGuard::retain_ready`]) clears the cached readiness, so the next
/// `readable()` waits for a new event from the kernel. Do your syscalls
/// through `try_io`; if you do one yourself and make progress, call
/// `retain_ready` so unread data is not left waiting for an edge that will
/// not come.
#[derive(Debug)]
pub struct AsyncFd<T: AsRawFd> {
    io: IoSource<T>,
}

// `AsyncFd` never pins `T`: it is only reached through `&T` / `&mut T`.
impl<T: AsRawFd> Unpin for AsyncFd<T> {}

impl<T: AsRawFd> AsyncFd<T> {
    /// Sets `O_NONBLOCK` on `inner`'s fd and registers it with the current
    /// runtime. Fails outside `ramen::block_on`, or for an fd epoll refuses
    /// (a regular file).
    pub fn new(inner: T) -> io::Result<Self> {
        set_nonblocking(inner.as_raw_fd()).map_err(|e| {
            io::Error::new(e.kind(), format!("AsyncFd: cannot set O_NONBLOCK: {e}"))
        })?;
        Ok(AsyncFd {
            io: IoSource::new(inner)?,
        })
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    /// The wrapped object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.io.get_mut()
    }

    /// Deregisters the fd and returns the object (still `O_NONBLOCK`).
    pub fn into_inner(self) -> T {
        self.io.into_inner()
    }

    /// Waits until the fd may be readable. Any number of tasks may wait at
    /// once (on `&AsyncFd`); a kernel event wakes them all.
    ///
    /// Fails at once with an error naming the fix if polled outside the
    /// runtime that created this `AsyncFd` (see [`AsyncFd::new`]).
    ///
    /// # Cancellation
    /// Cancel-safe: dropping the future removes its waker and consumes nothing.
    pub fn readable(&self) -> Readiness<'_, T> {
        Readiness::new(self, READABLE)
    }

    /// Waits until the fd may be writable; as [`readable`](Self::readable).
    ///
    /// # Cancellation
    /// Cancel-safe: dropping the future removes its waker.
    pub fn writable(&self) -> Readiness<'_, T> {
        Readiness::new(self, WRITABLE)
    }
}

/// Future of [`AsyncFd::readable`] and [`AsyncFd::writable`]: waits for one
/// direction's readiness, as its own waiter among any number of others.
///
/// # States
/// `Idle` (`parked == false`: no waker stored) → `Parked` (`Pending`
/// returned, a waker stored under `token`) → `Idle` again on `Ready`. Drop
/// in `Parked` removes the waker (only this future's).
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Readiness<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    dir: u8,
    token: u64,
    parked: bool,
}

/// Old name of [`Readiness`], which `writable()` returned too.
#[deprecated(
    since = "0.2.0",
    note = "renamed to `Readiness`: one future type for both directions"
)]
pub type Readable<'a, T> = Readiness<'a, T>;

/// Old alias of [`Readiness`] for `writable()`.
#[deprecated(
    since = "0.2.0",
    note = "renamed to `Readiness`: one future type for both directions"
)]
pub type Writable<'a, T> = Readiness<'a, T>;

impl<'a, T: AsRawFd> Readiness<'a, T> {
    fn new(fd: &'a AsyncFd<T>, dir: u8) -> Self {
        Readiness {
            fd,
            dir,
            token: fd.io.new_token(),
            parked: false,
        }
    }
}

impl<'a, T: AsRawFd> Future for Readiness<'a, T> {
    type Output = io::Result<ReadyGuard<'a, T>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = ready!(crate::coop::poll_proceed(cx));
        let r = this.fd.io.poll_ready(this.dir, this.token, cx);
        this.parked = r.is_pending();
        let r = ready!(r);
        coop.made_progress();
        Poll::Ready(r.map(|()| ReadyGuard {
            fd: this.fd,
            dir: this.dir,
            keep: false,
        }))
    }
}

impl<T: AsRawFd> Drop for Readiness<'_, T> {
    fn drop(&mut self) {
        if self.parked {
            self.fd.io.drop_waiter(self.dir, self.token);
        }
    }
}

/// "The fd may be ready": returned by [`AsyncFd::readable`] / `writable`.
///
/// Dropped without a successful [`try_io`](Self::try_io) or a
/// [`retain_ready`](Self::retain_ready), it clears the readiness (see
/// [`AsyncFd`], "It cannot spin").
#[derive(Debug)]
pub struct ReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    dir: u8,
    keep: bool,
}

impl<T: AsRawFd> ReadyGuard<'_, T> {
    /// Runs the syscall `f`. On `WouldBlock` the readiness is cleared and the
    /// error returned (await `readable()` again); on success readiness is
    /// kept, since more may be ready.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let r = f(self.fd.get_ref());
        match &r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.fd.io.clear_readiness(self.dir);
                self.keep = true; // already cleared
            }
            Ok(_) => self.keep = true,
            Err(_) => {}
        }
        r
    }

    /// Forgets the readiness: the next wait needs a new event from the kernel.
    pub fn clear_ready(mut self) {
        self.keep = false;
    }

    /// Keeps the readiness: the next wait returns at once.
    pub fn retain_ready(mut self) {
        self.keep = true;
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.fd.get_ref()
    }
}

impl<T: AsRawFd> Drop for ReadyGuard<'_, T> {
    fn drop(&mut self) {
        if !self.keep {
            self.fd.io.clear_readiness(self.dir);
        }
    }
}

impl<T: AsRawFd + Read> AsyncRead for AsyncFd<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().io.poll_io_mut(READABLE, cx, |t| t.read(buf))
    }
}

impl<T: AsRawFd + Write> AsyncWrite for AsyncFd<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .io
            .poll_io_mut(WRITABLE, cx, |t| t.write(buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io.poll_io_mut(WRITABLE, cx, |t| t.flush())
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<T: AsRawFd> AsyncRead for &AsyncFd<T>
where
    for<'b> &'b T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(READABLE, cx, |mut t| t.read(buf))
    }
}

impl<T: AsRawFd> AsyncWrite for &AsyncFd<T>
where
    for<'b> &'b T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(WRITABLE, cx, |mut t| t.write(buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_io(WRITABLE, cx, |mut t| t.flush())
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
