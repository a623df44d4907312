//! Borrowed halves: [`ReadHalf`] and [`WriteHalf`] from `stream.split()`.
//!
//! **Naive approach:** `into_split()` whenever one task wants to read and
//! write a stream at once (say, `copy` both ways inside `join!`). **Its
//! problem:** the owned halves cost an `Rc`, and the stream is gone: it
//! cannot be used again after the job without `reunite`.
//!
//! **What this file does:** `split(&mut self)` lends two views of the same
//! registration for as long as the `&mut` borrow lasts. The read half only
//! waits in the reactor's READABLE slot and the write half only in the
//! WRITABLE slot, so both can be pending at once (two futures in one
//! `join!`). The borrow checker guarantees the stream outlives them. Unlike
//! [`OwnedWriteHalf`](super::OwnedWriteHalf), dropping a [`WriteHalf`] does not shut the
//! write side down (the stream is still owned by the caller).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::fd::IoSource;
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::WRITABLE;

/// What a borrowed half needs from the stream's registration.
pub(crate) trait HalfIo {
    fn poll_read_half(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write_half(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn shutdown_write(&self) -> io::Result<()>;
}

macro_rules! half_io {
    ($std:ty) => {
        impl HalfIo for IoSource<$std> {
            fn poll_read_half(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_stream(cx, buf, |s, b| (&*s).read(b))
            }
            fn poll_write_half(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                if buf.is_empty() {
                    return Poll::Ready(Ok(0));
                }
                self.poll_io(WRITABLE, cx, |s| (&*s).write(buf))
            }
            fn shutdown_write(&self) -> io::Result<()> {
                self.get_ref().shutdown(Shutdown::Write)
            }
        }
    };
}
half_io!(std::net::TcpStream);
half_io!(StdUnixStream);

pub(crate) fn split<'a>(io: &'a dyn HalfIo) -> (ReadHalf<'a>, WriteHalf<'a>) {
    (ReadHalf { io }, WriteHalf { io })
}

/// The read half of [`TcpStream::split`](super::TcpStream::split) or
/// [`UnixStream::split`](super::UnixStream::split); implements [`AsyncRead`].
///
/// # Cancellation
/// A read dropped before completing consumed no bytes.
pub struct ReadHalf<'a> {
    io: &'a dyn HalfIo,
}

/// The write half of a borrowed split; implements [`AsyncWrite`].
/// `shutdown().await` shuts the stream's write side; dropping does not.
///
/// # Cancellation
/// A write dropped before completing wrote nothing.
pub struct WriteHalf<'a> {
    io: &'a dyn HalfIo,
}

impl AsyncRead for ReadHalf<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_half(cx, buf)
    }
}

impl AsyncWrite for WriteHalf<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_half(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.shutdown_write())
    }
}

impl fmt::Debug for ReadHalf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadHalf")
    }
}

impl fmt::Debug for WriteHalf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteHalf")
    }
}
