//! Fixed-size integers and whole strings: the futures behind
//! `read_u32`/`write_u32`/... and `read_to_string` in `ext.rs`.
//!
//! **Naive approach:** `let mut b = [0; 4]; r.read_exact(&mut b).await?; u32::from_be_bytes(b)`
//! at every call site. **Its problem:** noise, and the byte order chosen
//! anew (and sometimes wrongly) each time.
//!
//! **What this file does:** one future that fills up to 8 bytes and one
//! that writes them, each keeping its progress in its fields, plus a
//! conversion function chosen by the `ext.rs` method: big-endian (network
//! order, tokio's default) for `read_u32`, little-endian for `read_u32_le`.
//! A stream that ends inside an integer gives `UnexpectedEof`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::traits::{AsyncRead, AsyncWrite};

/// Future of the `AsyncReadExt::read_u8`... methods.
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadInt<'a, R: ?Sized, T> {
    reader: &'a mut R,
    buf: [u8; 8],
    len: usize,
    filled: usize,
    convert: fn(&[u8]) -> T,
}

impl<'a, R: ?Sized, T> ReadInt<'a, R, T> {
    pub(crate) fn new(reader: &'a mut R, len: usize, convert: fn(&[u8]) -> T) -> Self {
        debug_assert!(len <= 8);
        ReadInt {
            reader,
            buf: [0; 8],
            len,
            filled: 0,
            convert,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized, T> Future for ReadInt<'_, R, T> {
    type Output = io::Result<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.filled < this.len {
            let dst = &mut this.buf[this.filled..this.len];
            let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, dst))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "end of stream after {} of the {} bytes of an integer",
                        this.filled, this.len
                    ),
                )));
            }
            this.filled += n;
        }
        Poll::Ready(Ok((this.convert)(&this.buf[..this.len])))
    }
}

/// Future of the `AsyncWriteExt::write_u8`... methods.
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct WriteInt<'a, W: ?Sized> {
    writer: &'a mut W,
    buf: [u8; 8],
    len: usize,
    written: usize,
}

impl<'a, W: ?Sized> WriteInt<'a, W> {
    /// `bytes` already in the chosen byte order (at most 8).
    pub(crate) fn new(writer: &'a mut W, bytes: &[u8]) -> Self {
        let mut buf = [0; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        WriteInt {
            writer,
            buf,
            len: bytes.len(),
            written: 0,
        }
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> Future for WriteInt<'_, W> {
    type Output = io::Result<()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.written < this.len {
            let src = &this.buf[this.written..this.len];
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, src))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the writer accepted 0 bytes of an integer",
                )));
            }
            this.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// Defines `fn name(bytes) -> T` converting from the given byte order.
macro_rules! converters {
    ($($name:ident: $t:ty = $from:ident;)*) => {$(
        pub(crate) fn $name(b: &[u8]) -> $t {
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(b);
            <$t>::$from(a)
        }
    )*};
}

converters! {
    u8_be: u8 = from_be_bytes; i8_be: i8 = from_be_bytes;
    u16_be: u16 = from_be_bytes; u16_le: u16 = from_le_bytes;
    i16_be: i16 = from_be_bytes; i16_le: i16 = from_le_bytes;
    u32_be: u32 = from_be_bytes; u32_le: u32 = from_le_bytes;
    i32_be: i32 = from_be_bytes; i32_le: i32 = from_le_bytes;
    u64_be: u64 = from_be_bytes; u64_le: u64 = from_le_bytes;
    i64_be: i64 = from_be_bytes; i64_le: i64 = from_le_bytes;
}

/// Future of `AsyncReadExt::read_to_string`.
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    /// Everything read so far; appended to `out` only once it is all UTF-8.
    bytes: Vec<u8>,
    out: &'a mut String,
}

impl<'a, R: ?Sized> ReadToString<'a, R> {
    pub(crate) fn new(reader: &'a mut R, out: &'a mut String) -> Self {
        ReadToString {
            reader,
            bytes: Vec::new(),
            out,
        }
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut chunk = [0u8; 8 * 1024];
        loop {
            let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut chunk))?;
            if n > 0 {
                this.bytes.extend_from_slice(&chunk[..n]);
                continue;
            }
            let bytes = std::mem::take(&mut this.bytes);
            return Poll::Ready(match String::from_utf8(bytes) {
                Ok(s) => {
                    this.out.push_str(&s);
                    Ok(s.len())
                }
                Err(e) => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "read_to_string: the stream is not UTF-8 after {} bytes",
                        e.utf8_error().valid_up_to()
                    ),
                )),
            });
        }
    }
}

/// The `read_u8`... methods of `AsyncReadExt` (invoked inside that trait).
macro_rules! read_int_methods {
    ($($name:ident -> $t:ty = $conv:ident, $order:literal;)*) => {$(
        #[doc = concat!("Reads a `", stringify!($t), "` (", $order, "); `UnexpectedEof` if the stream ends first.")]
        ///
        /// # Cancellation
        /// Not cancel-safe: bytes of a half-read integer are lost if the
        /// future is dropped.
        fn $name(&mut self) -> super::read_write_int::ReadInt<'_, Self, $t>
        where
            Self: Unpin,
        {
            super::read_write_int::ReadInt::new(
                self,
                std::mem::size_of::<$t>(),
                super::read_write_int::$conv,
            )
        }
    )*};
}
pub(crate) use read_int_methods;

/// The `write_u8`... methods of `AsyncWriteExt` (invoked inside that trait).
macro_rules! write_int_methods {
    ($($name:ident($t:ty) = $to:ident, $order:literal;)*) => {$(
        #[doc = concat!("Writes a `", stringify!($t), "` (", $order, ").")]
        ///
        /// # Cancellation
        /// Not cancel-safe: part of the integer may have been written when
        /// the future is dropped.
        fn $name(&mut self, n: $t) -> super::read_write_int::WriteInt<'_, Self>
        where
            Self: Unpin,
        {
            super::read_write_int::WriteInt::new(self, &n.$to())
        }
    )*};
}
pub(crate) use write_int_methods;
