//! `.await`-able forms of the poll traits: [`AsyncReadExt`], [`AsyncWriteExt`].
//!
//! **Naive approach:** write `poll_fn(|cx| Pin::new(&mut s).poll_read(cx, buf)).await`
//! at every call site. **Its problem:** noise, and each loop (`read_exact`,
//! `write_all`) re-invented with its own off-by-one.
//!
//! **What this file does:** one small named future per operation, each a
//! loop around the poll method that keeps its progress in its own fields.
//! They are blanket-implemented for every `AsyncRead` / `AsyncWrite`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::traits::{AsyncRead, AsyncWrite};

/// `.await` methods for every [`AsyncRead`].
pub trait AsyncReadExt: AsyncRead {
    /// Reads some bytes into `buf`; `Ok(0)` means end of stream (or an empty `buf`).
    ///
    /// # Cancellation
    /// Cancel-safe: if the future is dropped before completing, no bytes were
    /// consumed and the reader stays usable.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadSome<'a, Self>
    where
        Self: Unpin,
    {
        ReadSome { reader: self, buf }
    }

    /// Reads exactly `buf.len()` bytes. End of stream first gives an
    /// `UnexpectedEof` error saying how many bytes had arrived.
    ///
    /// # Cancellation
    /// Not cancel-safe: bytes read before the drop are in `buf` but their
    /// count is lost; do not resume a cancelled `read_exact`.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        ReadExact {
            reader: self,
            buf,
            filled: 0,
        }
    }

    /// Reads until end of stream, appending to `buf`; returns the count read.
    ///
    /// # Cancellation
    /// Bytes read before a drop stay appended to `buf` (it holds only real
    /// data at every `.await` point), so nothing is lost.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        let start = buf.len();
        ReadToEnd {
            reader: self,
            buf,
            start,
        }
    }

    /// Reads until end of stream and appends it to `buf` if it is all UTF-8;
    /// returns the byte count. Invalid UTF-8 is `InvalidData` and leaves
    /// `buf` unchanged.
    ///
    /// # Cancellation
    /// Not cancel-safe: bytes read before the drop are lost (they are added
    /// to `buf` only at the end).
    fn read_to_string<'a>(
        &'a mut self,
        buf: &'a mut String,
    ) -> super::read_write_int::ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        super::read_write_int::ReadToString::new(self, buf)
    }

    super::read_write_int::read_int_methods! {
        read_u8 -> u8 = u8_be, "one byte";
        read_i8 -> i8 = i8_be, "one byte";
        read_u16 -> u16 = u16_be, "big-endian";
        read_i16 -> i16 = i16_be, "big-endian";
        read_u32 -> u32 = u32_be, "big-endian";
        read_i32 -> i32 = i32_be, "big-endian";
        read_u64 -> u64 = u64_be, "big-endian";
        read_i64 -> i64 = i64_be, "big-endian";
        read_u16_le -> u16 = u16_le, "little-endian";
        read_i16_le -> i16 = i16_le, "little-endian";
        read_u32_le -> u32 = u32_le, "little-endian";
        read_i32_le -> i32 = i32_le, "little-endian";
        read_u64_le -> u64 = u64_le, "little-endian";
        read_i64_le -> i64 = i64_le, "little-endian";
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// `.await` methods for every [`AsyncWrite`].
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`; returns how many bytes were accepted.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `write` wrote nothing.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> WriteSome<'a, Self>
    where
        Self: Unpin,
    {
        WriteSome { writer: self, buf }
    }

    /// Writes all of `buf`. A writer that accepts 0 bytes gives `WriteZero`.
    ///
    /// # Cancellation
    /// Not cancel-safe: a prefix of `buf` may have been written when the
    /// future is dropped, and how much is not reported.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        WriteAll { writer: self, buf }
    }

    /// Flushes buffered data.
    ///
    /// # Cancellation
    /// Safe to drop; flush again later.
    fn flush(&mut self) -> Flush<'_, Self>
    where
        Self: Unpin,
    {
        Flush { writer: self }
    }

    /// Shuts the write side down: the peer then reads end of stream.
    ///
    /// # Cancellation
    /// Safe to drop; call again to finish.
    fn shutdown(&mut self) -> ShutdownWrite<'_, Self>
    where
        Self: Unpin,
    {
        ShutdownWrite { writer: self }
    }

    super::read_write_int::write_int_methods! {
        write_u8(u8) = to_be_bytes, "one byte";
        write_i8(i8) = to_be_bytes, "one byte";
        write_u16(u16) = to_be_bytes, "big-endian";
        write_i16(i16) = to_be_bytes, "big-endian";
        write_u32(u32) = to_be_bytes, "big-endian";
        write_i32(i32) = to_be_bytes, "big-endian";
        write_u64(u64) = to_be_bytes, "big-endian";
        write_i64(i64) = to_be_bytes, "big-endian";
        write_u16_le(u16) = to_le_bytes, "little-endian";
        write_i16_le(i16) = to_le_bytes, "little-endian";
        write_u32_le(u32) = to_le_bytes, "little-endian";
        write_i32_le(i32) = to_le_bytes, "little-endian";
        write_u64_le(u64) = to_le_bytes, "little-endian";
        write_i64_le(i64) = to_le_bytes, "little-endian";
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// Future of [`AsyncReadExt::read`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadSome<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadSome<'_, R> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        Pin::new(&mut *this.reader).poll_read(cx, this.buf)
    }
}

/// Future of [`AsyncReadExt::read_exact`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadExact<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut [u8],
    filled: usize,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.filled < this.buf.len() {
            let n =
                ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read_exact: end of stream after {} of {} bytes",
                        this.filled,
                        this.buf.len()
                    ),
                )));
            }
            this.filled += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncReadExt::read_to_end`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadToEnd<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut Vec<u8>,
    start: usize,
}

/// Largest chunk zeroed and offered to one `poll_read` call.
const MAX_CHUNK: usize = 64 * 1024;

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let len = this.buf.len();
            if this.buf.capacity() - len < 1024 {
                this.buf.reserve(len.clamp(8 * 1024, MAX_CHUNK));
            }
            let chunk = (this.buf.capacity() - len).min(MAX_CHUNK);
            // Offer zeroed spare room, then cut back to what was really read,
            // so `buf` holds only data whenever this returns.
            this.buf.resize(len + chunk, 0);
            let r = Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[len..]);
            let n = match &r {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            this.buf.truncate(len + n);
            match r {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(len - this.start)),
                Poll::Ready(Ok(_)) => {}
            }
        }
    }
}

/// Future of [`AsyncWriteExt::write`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct WriteSome<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteSome<'_, W> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        Pin::new(&mut *this.writer).poll_write(cx, this.buf)
    }
}

/// Future of [`AsyncWriteExt::write_all`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct WriteAll<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: &'a [u8],
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteAll<'_, W> {
    type Output = io::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while !this.buf.is_empty() {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, this.buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!(
                        "write_all: the writer accepted 0 bytes with {} left",
                        this.buf.len()
                    ),
                )));
            }
            this.buf = &this.buf[n..];
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncWriteExt::flush`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Flush<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for Flush<'_, W> {
    type Output = io::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.get_mut().writer).poll_flush(cx)
    }
}

/// Future of [`AsyncWriteExt::shutdown`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ShutdownWrite<'a, W: ?Sized> {
    writer: &'a mut W,
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for ShutdownWrite<'_, W> {
    type Output = io::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.get_mut().writer).poll_shutdown(cx)
    }
}

/// Old name of [`ReadSome`] (it shadowed `std::io::Read`).
#[deprecated(since = "0.2.0", note = "renamed to `ReadSome`")]
pub type Read<'a, R> = ReadSome<'a, R>;

/// Old name of [`WriteSome`] (it shadowed `std::io::Write`).
#[deprecated(since = "0.2.0", note = "renamed to `WriteSome`")]
pub type Write<'a, W> = WriteSome<'a, W>;

/// Old name of [`ShutdownWrite`] (it shadowed `std::net::Shutdown`).
#[deprecated(since = "0.2.0", note = "renamed to `ShutdownWrite`")]
pub type Shutdown<'a, W> = ShutdownWrite<'a, W>;
