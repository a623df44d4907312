//! [`copy`], [`copy_buf`], [`copy_bidirectional`]: pump bytes from a reader to a writer.
//!
//! **Naive approach:** `loop { let n = r.read(&mut buf).await?; if n == 0 { break } w.write_all(&buf[..n]).await?; }`.
//! **Its problem:** fine for one direction, but a proxy needs both
//! directions at once, and two such loops in `join!` cannot both borrow each
//! stream mutably; and a writer that buffers (`BufWriter`) never sees a
//! flush while the reader waits, so bytes sit in its buffer indefinitely.
//!
//! **What this file does:** one small poll-driven state machine per
//! direction ([`CopyBuffer`]): read into its own 8 KiB buffer, write it all
//! out, and flush the writer whenever the reader would wait with unflushed
//! bytes. `copy_bidirectional` drives two of them in one future, reborrowing
//! each stream per poll, and shuts each write side down when its read side
//! reaches end of stream (so the peer sees EOF, as a proxy must).
//!
//! # Errors and counts
//! An error from either side ends the copy and is returned as it is: the
//! bytes moved before it are **not** reported (the count lives in the
//! future). A writer that accepts 0 bytes gives `WriteZero`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::buf_reader::AsyncBufRead;
use super::traits::{AsyncRead, AsyncWrite};

const COPY_BUF: usize = 8 * 1024;

/// One direction's progress. States: *reading* (`pos == cap`, not at EOF),
/// *writing* (`pos < cap`), *flushing* (EOF seen, all written), *done*.
#[derive(Debug)]
struct CopyBuffer {
    buf: Box<[u8]>,
    /// Bytes of `buf[pos..cap]` still to be written.
    pos: usize,
    cap: usize,
    read_done: bool,
    need_flush: bool,
    amt: u64,
}

impl CopyBuffer {
    fn new() -> CopyBuffer {
        CopyBuffer {
            buf: vec![0; COPY_BUF].into_boxed_slice(),
            pos: 0,
            cap: 0,
            read_done: false,
            need_flush: false,
            amt: 0,
        }
    }

    /// Copies until the reader's EOF and a flush; `Ready(Ok(total))`.
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            debug_assert!(self.pos <= self.cap && self.cap <= self.buf.len());
            if self.pos == self.cap && !self.read_done {
                match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.pos = 0;
                        self.cap = n;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // The reader waits: do not leave bytes in a buffering writer.
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.pos < self.cap {
                let n = ready!(
                    writer
                        .as_mut()
                        .poll_write(cx, &self.buf[self.pos..self.cap])
                )?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "copy: the writer accepted 0 bytes",
                    )));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}

/// Copies everything `reader` yields into `writer`, then flushes; returns
/// the byte count.
///
/// # Errors
/// The first read or write error, as it is (a reset peer gives
/// `ConnectionReset` or `BrokenPipe`); the bytes copied before it are not
/// reported. A writer accepting 0 bytes gives `WriteZero`.
///
/// ```
/// ramen::block_on(async {
///     let mut out = Vec::new();
///     let n = ramen::io::copy(&mut &b"hello"[..], &mut out).await.unwrap();
///     assert_eq!((n, &out[..]), (5, &b"hello"[..]));
/// });
/// ```
///
/// # Cancellation
/// Not cancel-safe: bytes read into the copy's buffer but not yet written
/// are lost when the future is dropped.
pub fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> CopyToEnd<'a, R, W>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    CopyToEnd {
        reader,
        writer,
        buf: CopyBuffer::new(),
    }
}

/// Future of [`copy`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct CopyToEnd<'a, R: ?Sized, W: ?Sized> {
    reader: &'a mut R,
    writer: &'a mut W,
    buf: CopyBuffer,
}

impl<R, W> Future for CopyToEnd<'_, R, W>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<u64>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.buf
            .poll_copy(cx, Pin::new(&mut *this.reader), Pin::new(&mut *this.writer))
    }
}

/// One direction of [`copy_bidirectional`].
#[derive(Debug)]
enum Direction {
    Copying(CopyBuffer),
    /// EOF copied and flushed; shutting the writer down.
    ShuttingDown(u64),
    Done(u64),
}

impl Direction {
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut r: Pin<&mut R>,
        mut w: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            match self {
                Direction::Copying(buf) => {
                    let n = ready!(buf.poll_copy(cx, r.as_mut(), w.as_mut()))?;
                    *self = Direction::ShuttingDown(n);
                }
                Direction::ShuttingDown(n) => {
                    let n = *n;
                    ready!(w.as_mut().poll_shutdown(cx))?;
                    *self = Direction::Done(n);
                }
                Direction::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}

/// Copies `a → b` and `b → a` at once until both reach end of stream;
/// returns `(bytes a→b, bytes b→a)`. When one side's read reaches EOF, the
/// other side's write half is shut down (`poll_shutdown`), so a proxy passes
/// half-closes through. See the module docs for errors.
///
/// # Cancellation
/// Not cancel-safe: bytes in either direction's buffer are lost when the
/// future is dropped, and the counts with them.
pub fn copy_bidirectional<'a, A, B>(a: &'a mut A, b: &'a mut B) -> CopyBidirectional<'a, A, B>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    CopyBidirectional {
        a,
        b,
        a_to_b: Direction::Copying(CopyBuffer::new()),
        b_to_a: Direction::Copying(CopyBuffer::new()),
    }
}

/// Future of [`copy_bidirectional`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct CopyBidirectional<'a, A: ?Sized, B: ?Sized> {
    a: &'a mut A,
    b: &'a mut B,
    a_to_b: Direction,
    b_to_a: Direction,
}

impl<A, B> Future for CopyBidirectional<'_, A, B>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<(u64, u64)>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ab = this
            .a_to_b
            .poll(cx, Pin::new(&mut *this.a), Pin::new(&mut *this.b))?;
        let ba = this
            .b_to_a
            .poll(cx, Pin::new(&mut *this.b), Pin::new(&mut *this.a))?;
        match (ab, ba) {
            (Poll::Ready(x), Poll::Ready(y)) => Poll::Ready(Ok((x, y))),
            _ => Poll::Pending,
        }
    }
}

/// Copies everything a buffered reader yields into `writer` without an
/// extra buffer (writes straight from the reader's buffer), then flushes.
///
/// # Cancellation
/// Cancel-safe for the reader (bytes are consumed only once written); a
/// dropped copy has written an unreported number of bytes.
pub fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> CopyBuf<'a, R, W>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    CopyBuf {
        reader,
        writer,
        amt: 0,
    }
}

/// Future of [`copy_buf`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct CopyBuf<'a, R: ?Sized, W: ?Sized> {
    reader: &'a mut R,
    writer: &'a mut W,
    amt: u64,
}

impl<R, W> Future for CopyBuf<'_, R, W>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    type Output = io::Result<u64>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let buf = ready!(Pin::new(&mut *this.reader).poll_fill_buf(cx))?;
            if buf.is_empty() {
                ready!(Pin::new(&mut *this.writer).poll_flush(cx))?;
                return Poll::Ready(Ok(this.amt));
            }
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "copy_buf: the writer accepted 0 bytes",
                )));
            }
            Pin::new(&mut *this.reader).consume(n);
            this.amt += n as u64;
        }
    }
}

/// Old name of [`CopyToEnd`] (it shadowed the `Copy` trait).
#[deprecated(since = "0.2.0", note = "renamed to `CopyToEnd`")]
pub type Copy<'a, R, W> = CopyToEnd<'a, R, W>;
