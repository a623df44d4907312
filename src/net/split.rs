//! One stream, two tasks: [`OwnedReadHalf`] and [`OwnedWriteHalf`].
//!
//! **Naive approach:** share the stream in an `Rc<RefCell<_>>` and borrow it
//! for each read and write. **Its problem:** a read waiting for data holds the
//! borrow, so the writer task cannot write — or worse, both wait in the same
//! waker slot and one is never woken.
//!
//! **What this file does:** both halves share the registration through an
//! `Rc`; reads only ever wait in the reactor's READABLE slot and writes only
//! in the WRITABLE slot, so a reader task and a writer task can both be
//! parked at once. Dropping the write half shuts the write direction down
//! (the peer reads end of stream), as in tokio.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::fd::IoSource;
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::WRITABLE;

/// The socket behind a pair of halves.
#[derive(Debug)]
pub(crate) enum StreamInner {
    Tcp(std::net::TcpStream),
    Unix(StdUnixStream),
}

impl StreamInner {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            StreamInner::Tcp(s) => (&*s).read(buf),
            StreamInner::Unix(s) => (&*s).read(buf),
        }
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            StreamInner::Tcp(s) => (&*s).write(buf),
            StreamInner::Unix(s) => (&*s).write(buf),
        }
    }
    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            StreamInner::Tcp(s) => s.shutdown(Shutdown::Write),
            StreamInner::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }
}

impl AsRawFd for StreamInner {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            StreamInner::Tcp(s) => s.as_raw_fd(),
            StreamInner::Unix(s) => s.as_raw_fd(),
        }
    }
}

pub(crate) fn split(io: IoSource<StreamInner>) -> (OwnedReadHalf, OwnedWriteHalf) {
    let io = Rc::new(io);
    (
        OwnedReadHalf { io: io.clone() },
        OwnedWriteHalf {
            io,
            shut_down: false,
        },
    )
}

/// The read half of a split [`TcpStream`](super::TcpStream) or
/// [`UnixStream`](super::UnixStream); implements [`AsyncRead`].
///
/// # Cancellation
/// A read dropped before completing consumed no bytes.
#[derive(Debug)]
pub struct OwnedReadHalf {
    io: Rc<IoSource<StreamInner>>,
}

/// The write half of a split stream; implements [`AsyncWrite`]. Dropping it
/// shuts the write direction down.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    io: Rc<IoSource<StreamInner>>,
    shut_down: bool,
}

impl OwnedReadHalf {
    /// Whether `other` is the write half of the same stream.
    pub fn is_pair_of(&self, other: &OwnedWriteHalf) -> bool {
        Rc::ptr_eq(&self.io, &other.io)
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_stream(cx, buf, |s, b| s.read(b))
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.io.poll_io(WRITABLE, cx, |s| s.write(buf))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.shut_down = true;
        Poll::Ready(this.io.get_ref().shutdown_write())
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if !self.shut_down {
            // The peer may be gone already (ENOTCONN): nothing to report.
            let _ = self.io.get_ref().shutdown_write();
        }
    }
}
