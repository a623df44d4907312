//! [`BufReader`] and line reading: [`AsyncBufRead`], [`AsyncBufReadExt`].
//!
//! **Naive approach:** read a line one byte at a time with `read`. **Its
//! problem:** one syscall per byte — a 100-byte line is 100 `recv`s.
//!
//! **What this file does:** [`BufReader`] reads big chunks into its own
//! buffer and hands them out; [`AsyncBufRead`] exposes that buffer
//! (`poll_fill_buf` + `consume`) so `read_line` can search it for `\n`
//! without copying byte by byte.
//!
//! # UTF-8
//! `read_line` and [`Lines`] return `InvalidData` for a line that is not
//! UTF-8. That line is consumed (so the next call moves on instead of failing
//! forever), the `String` is left as it was, and nothing panics; use
//! [`AsyncBufReadExt::read_until`] to get raw bytes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::traits::{AsyncRead, AsyncWrite};

const DEFAULT_CAPACITY: usize = 8 * 1024;

/// A reader with an internal buffer: many small reads cost one syscall.
pub trait AsyncBufRead: AsyncRead {
    /// Returns the buffered bytes, reading more if the buffer is empty. An
    /// empty slice means end of stream.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>>;

    /// Marks `amt` bytes of the buffer as used.
    fn consume(self: Pin<&mut Self>, amt: usize);
}

/// Adds a buffer to any [`AsyncRead`]; see the module docs.
///
/// ```
/// use ramen::io::{AsyncBufReadExt, BufReader};
/// ramen::block_on(async {
///     let mut r = BufReader::new(&b"one\ntwo"[..]);
///     let mut line = String::new();
///     r.read_line(&mut line).await.unwrap();
///     assert_eq!(line, "one\n");
/// });
/// ```
#[derive(Debug)]
pub struct BufReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
}

impl<R> BufReader<R> {
    /// Wraps `inner` with an 8 KiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        BufReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader, mutably (reading from it directly skips the buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The bytes read but not yet consumed.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// Unwraps the reader; buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for BufReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Nothing buffered and a big request: skip the copy.
        if this.pos == this.filled && out.len() >= this.buf.len() {
            return Pin::new(&mut this.inner).poll_read(cx, out);
        }
        let avail = ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        Pin::new(this).consume(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.filled {
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
            this.pos = 0;
            this.filled = n;
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.filled);
    }
}

/// Writes pass straight through to the inner writer.
impl<R: AsyncWrite + Unpin> AsyncWrite for BufReader<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<T: ?Sized + AsyncBufRead + Unpin> AsyncBufRead for &mut T {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut **self.get_mut()).poll_fill_buf(cx)
    }
    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut **self.get_mut()).consume(amt)
    }
}

/// Appends bytes up to and including `delim` (or end of stream) to `out`.
/// `Ready(Ok(()))` once `delim` was found or the stream ended.
fn poll_until<R: AsyncBufRead + Unpin + ?Sized>(
    reader: &mut R,
    cx: &mut Context<'_>,
    delim: u8,
    out: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    loop {
        let avail = ready!(Pin::new(&mut *reader).poll_fill_buf(cx))?;
        if avail.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let (used, done) = match avail.iter().position(|&b| b == delim) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        out.extend_from_slice(&avail[..used]);
        Pin::new(&mut *reader).consume(used);
        if done {
            return Poll::Ready(Ok(()));
        }
    }
}

fn invalid_utf8(len: usize, e: std::string::FromUtf8Error) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "line of {len} bytes is not valid UTF-8 ({}); it was consumed \
             (use read_until for raw bytes)",
            e.utf8_error()
        ),
    )
}

/// `.await` methods for every [`AsyncBufRead`].
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Appends bytes up to and including `delim` (or to end of stream) to
    /// `buf`; returns how many were appended (0 at end of stream).
    ///
    /// # Cancellation
    /// Bytes read before a drop stay appended to `buf`; calling again
    /// continues the same line, so nothing is lost.
    fn read_until<'a>(&'a mut self, delim: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        let start = buf.len();
        ReadUntil {
            reader: self,
            delim,
            buf,
            start,
        }
    }

    /// Appends one line, including its `\n` if present, to `buf`; returns
    /// the bytes read (0 at end of stream). Invalid UTF-8 gives an
    /// `InvalidData` error, leaves `buf` unchanged and consumes the line.
    ///
    /// # Cancellation
    /// Not cancel-safe: a partial line read before the drop is lost. Use
    /// [`Lines::next_line`], which is.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        ReadLine {
            reader: self,
            out: buf,
            bytes: Vec::new(),
        }
    }

    /// Turns the reader into a stream of lines (without `\n` / `\r\n`).
    fn lines(self) -> Lines<Self>
    where
        Self: Sized + Unpin,
    {
        Lines {
            reader: self,
            bytes: Vec::new(),
        }
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Future of [`AsyncBufReadExt::read_until`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    delim: u8,
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(poll_until(this.reader, cx, this.delim, this.buf))?;
        Poll::Ready(Ok(this.buf.len() - this.start))
    }
}

/// Future of [`AsyncBufReadExt::read_line`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    out: &'a mut String,
    bytes: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        ready!(poll_until(this.reader, cx, b'\n', &mut this.bytes))?;
        let bytes = std::mem::take(&mut this.bytes);
        let n = bytes.len();
        match String::from_utf8(bytes) {
            Ok(s) => {
                this.out.push_str(&s);
                Poll::Ready(Ok(n))
            }
            Err(e) => Poll::Ready(Err(invalid_utf8(n, e))),
        }
    }
}

/// Lines of a reader, from [`AsyncBufReadExt::lines`].
///
/// ```
/// use ramen::io::{AsyncBufReadExt, BufReader};
/// ramen::block_on(async {
///     let mut lines = BufReader::new(&b"a\r\nb"[..]).lines();
///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("a"));
///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("b"));
///     assert_eq!(lines.next_line().await.unwrap(), None);
/// });
/// ```
#[derive(Debug)]
pub struct Lines<R> {
    reader: R,
    bytes: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// The next line without its `\n` or `\r\n`; `Ok(None)` at end of
    /// stream. A final line without `\n` is still returned. A line that is
    /// not UTF-8 gives `InvalidData`; the next call reads the following line.
    ///
    /// # Cancellation
    /// Cancel-safe: a partial line stays inside `Lines` and the next call
    /// continues it.
    pub fn next_line(&mut self) -> NextLine<'_, R> {
        NextLine { lines: self }
    }

    /// Poll form of [`Lines::next_line`].
    pub fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        ready!(poll_until(&mut self.reader, cx, b'\n', &mut self.bytes))?;
        let mut bytes = std::mem::take(&mut self.bytes);
        if bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let n = bytes.len();
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Poll::Ready(
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| invalid_utf8(n, e)),
        )
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

/// Future of [`Lines::next_line`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct NextLine<'a, R> {
    lines: &'a mut Lines<R>,
}

impl<R: AsyncBufRead + Unpin> Future for NextLine<'_, R> {
    type Output = io::Result<Option<String>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().lines.poll_next_line(cx)
    }
}
