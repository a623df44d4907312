//! [`BufWriter`]: many small writes, one syscall.
//!
//! **Naive approach:** `write_all` each small piece (a header line, a
//! length prefix, a field) straight to the socket. **Its problem:** one
//! `send` per piece, and with Nagle off, one packet per piece.
//!
//! **What this file does:** collects writes in a buffer (8 KiB by default)
//! and writes it out when the next write would not fit, on `flush`, and on
//! `shutdown`. A write at least as big as the buffer skips it (after
//! flushing what is queued, so order is kept). Writing out is resumable: the
//! count already written lives in the struct, so a `Pending` in the middle
//! of flushing loses nothing.
//!
//! Like tokio's, it does **not** flush on drop (a destructor cannot await):
//! call `flush().await` or `shutdown().await`, or buffered bytes are lost.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::traits::{AsyncRead, AsyncWrite};

const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds a write buffer to any [`AsyncWrite`]; see the module docs.
///
/// # Cancellation
/// Nothing is lost when a write or flush future is dropped: queued bytes
/// and the progress of a half-done flush live in the `BufWriter`, and the
/// next flush resumes where it stopped.
///
/// ```
/// use ramen::io::{AsyncWriteExt, BufWriter};
/// ramen::block_on(async {
///     let mut w = BufWriter::new(Vec::new());
///     w.write_all(b"a").await.unwrap();
///     w.write_all(b"b").await.unwrap();
///     assert!(w.get_ref().is_empty()); // still buffered
///     w.flush().await.unwrap();
///     assert_eq!(w.get_ref(), b"ab");
/// });
/// ```
#[derive(Debug)]
pub struct BufWriter<W> {
    inner: W,
    buf: Vec<u8>,
    /// Bytes of `buf` already written to `inner` by an unfinished flush.
    written: usize,
    capacity: usize,
}

impl<W> BufWriter<W> {
    /// Wraps `inner` with an 8 KiB buffer.
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        let capacity = capacity.max(1);
        BufWriter {
            inner,
            buf: Vec::with_capacity(capacity),
            written: 0,
            capacity,
        }
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer, mutably (writing to it directly skips the buffer,
    /// so bytes may come out of order).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The wrapped writer; buffered bytes not yet written are **lost**
    /// (flush first).
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The bytes buffered and not yet written.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.written..]
    }
}

impl<W: AsyncWrite + Unpin> BufWriter<W> {
    /// Writes the buffer out to `inner` (without flushing `inner`).
    fn poll_flush_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buf[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!(
                        "BufWriter: the writer accepted 0 bytes with {} buffered",
                        self.buf.len() - self.written
                    ),
                )));
            }
            self.written += n;
        }
        self.buf.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for BufWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() + src.len() > this.capacity {
            ready!(this.poll_flush_buf(cx))?;
        }
        // Either it fits behind what is queued, or the queue is empty.
        debug_assert!(this.buf.len() + src.len() <= this.capacity || this.buf.is_empty());
        if src.len() >= this.capacity {
            // The buffer is empty here: write straight through.
            Pin::new(&mut this.inner).poll_write(cx, src)
        } else {
            this.buf.extend_from_slice(src);
            Poll::Ready(Ok(src.len()))
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Reads pass straight through to the inner object (a buffered socket can
/// still be read).
impl<W: AsyncRead + Unpin> AsyncRead for BufWriter<W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}
