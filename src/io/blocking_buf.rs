//! The buffer a blocking-pool I/O object hands to its worker thread and gets back.
//!
//! **Naive approach:** borrow the caller's `&mut [u8]` into the blocking job.
//! **Its problem:** the job runs on another thread and may outlive the
//! `poll_read` call (the future can be dropped while the job runs), so the
//! borrow cannot cross; `spawn_blocking` needs `'static` data.
//!
//! **What this file does:** an owned `Vec<u8>` plus a read position, moved
//! into the job and moved back with its result. Reads fill it and the caller
//! copies out of it; writes copy into it and the job drains it. Used by
//! `fs::File` (`fs/file.rs`) and the stdio handles (`io/stdio.rs`).

use std::io::{self, Read, Write};

/// The most bytes one blocking read or write moves (as tokio: bounded so a
/// huge `write` does not allocate a huge copy).
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// Owned bytes in flight between a task and a blocking job.
///
/// Invariant: `pos <= data.len()`; `data[pos..]` are the bytes not yet
/// handed out (after a read) or not yet written (after a copy-in).
#[derive(Debug, Default)]
pub(crate) struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    /// Bytes not yet consumed.
    pub(crate) fn len(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies as much as fits into `dst`, consuming it from the buffer.
    pub(crate) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.len().min(dst.len());
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.data.len() {
            self.clear();
        }
        n
    }

    /// Copies up to [`MAX_BUF`] bytes of `src` in; the buffer must be empty.
    pub(crate) fn copy_from(&mut self, src: &[u8]) -> usize {
        debug_assert!(self.is_empty(), "copy_from into a buffer holding bytes");
        let n = src.len().min(MAX_BUF);
        self.clear();
        self.data.extend_from_slice(&src[..n]);
        n
    }

    /// Drops unread bytes and returns minus their count: the offset to seek
    /// by so the file position matches what the caller has consumed.
    pub(crate) fn discard_read(&mut self) -> i64 {
        let unread = self.len() as i64;
        self.clear();
        -unread
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    /// Fills the buffer with one `read` of at most `want` bytes (blocking;
    /// runs on a pool thread). `Interrupted` is retried.
    pub(crate) fn read_from<R: Read>(&mut self, want: usize, mut r: R) -> io::Result<usize> {
        debug_assert!(self.is_empty(), "read_from into a buffer holding bytes");
        self.clear();
        self.data.resize(want.clamp(1, MAX_BUF), 0);
        let res = loop {
            match r.read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r,
            }
        };
        let n = *res.as_ref().unwrap_or(&0);
        self.data.truncate(n);
        res
    }

    /// Writes every buffered byte (blocking; runs on a pool thread). The
    /// buffer is empty afterwards, whether or not the write succeeded.
    pub(crate) fn write_to<W: Write>(&mut self, mut w: W) -> io::Result<()> {
        let r = w.write_all(&self.data[self.pos..]);
        self.clear();
        r
    }
}
