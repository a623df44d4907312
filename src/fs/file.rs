//! [`File`]: a regular file driven from the blocking pool, one job at a time.
//!
//! **Naive approach:** `spawn_blocking` each `read(&mut buf)` call on the
//! caller's buffer. **Its problem:** the caller's buffer cannot be sent to
//! another thread, and a poll-based `AsyncRead` must be able to return
//! `Pending`, be dropped, and be polled again without losing the read that is
//! already running on the pool.
//!
//! **What this file does** (tokio's design): the file owns a buffer and is in
//! one of two states, with at most one blocking job in flight:
//!
//! ```text
//!   Idle(buf) ──poll_read, buf empty──────────► Busy(Read)
//!   Idle(buf) ──poll_write (copies into buf)──► Busy(Write)   returns Ok(n) at once
//!   Idle(buf) ──start_seek────────────────────► Busy(Seek)
//!   Idle(buf) ──set_len───────────────────────► Busy(SetLen)
//!   Busy(op)  ──job finished, polled──────────► Idle(buf)
//! ```
//!
//! In `Idle` the buffer holds nothing or bytes read ahead but not yet handed
//! out (never unwritten data). A write that finds read-ahead bytes first
//! seeks back by their count, so the OS position matches what the caller
//! consumed. A write "succeeds" once copied into the buffer; the job writes
//! it, and a failure is kept in `last_write_err` and returned by the next
//! operation (`read`, `write`, `flush`, `seek`, `sync_*`, `set_len`).
//! `flush().await` waits for the in-flight job. Dropping a `File` with a job
//! in flight lets the job finish on its thread (the bytes are written), but
//! its error is lost: flush before dropping when it matters.

use std::fmt;
use std::fs::Metadata;
use std::future::{Future, poll_fn};
use std::io::{self, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::{OpenOptions, asyncify};
use crate::io::blocking_buf::Buf;
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite};
use crate::{JoinHandle, spawn_blocking};

/// What the job in flight was doing, with its result.
#[derive(Debug)]
enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    SetLen(io::Result<()>),
}

/// See the module docs for the transitions.
enum State {
    /// No job; `Some(buf)` always (the `Option` lets a job take it).
    Idle(Option<Buf>),
    /// One job owns the buffer until it hands it back with its result.
    Busy(JoinHandle<(Op, Buf)>),
}

/// An open file; reads, writes and seeks run on the blocking pool.
///
/// Implements [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]. Writes are
/// buffered (up to 2 MiB per job): call [`flush`](crate::io::AsyncWriteExt::flush)
/// or [`sync_all`](File::sync_all) before relying on the data being in the
/// file, and to see a write error. Unlike tokio's (`&self` behind a mutex),
/// `sync_all`, `sync_data` and `set_len` take `&mut self`: a ramen `File`
/// belongs to one task, and the borrow checker then rules out a second
/// operation racing the one in flight.
///
/// ```
/// use ramen::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
/// ramen::block_on(async {
///     let path = std::env::temp_dir().join(format!("ramen-doc-{}", std::process::id()));
///     let mut f = ramen::fs::File::create(&path).await.unwrap();
///     f.write_all(b"hello world").await.unwrap();
///     f.seek(SeekFrom::Start(6)).await.unwrap();
///     f.flush().await.unwrap();
///     let mut r = ramen::fs::File::open(&path).await.unwrap();
///     let mut s = String::new();
///     r.read_to_string(&mut s).await.unwrap();
///     assert_eq!(s, "hello world");
///     ramen::fs::remove_file(&path).await.unwrap();
/// });
/// ```
///
/// # Cancellation
/// Dropping a pending read, write or seek leaves the job running; the next
/// operation on the file waits for it first. A dropped `read_exact` or
/// `write_all` has moved an unreported number of bytes, as on a socket.
///
/// # Panics
/// Reading, writing, seeking or syncing outside a ramen runtime panics (the
/// jobs need its blocking pool), as [`spawn_blocking`] does; a `File` made
/// with [`from_std`](File::from_std) outside one must be used inside one.
pub struct File {
    std: Arc<std::fs::File>,
    state: State,
    /// A failed buffered write, reported by the next operation.
    last_write_err: Option<io::Error>,
    /// The position the last seek reported.
    pos: u64,
}

impl File {
    /// Opens `path` read-only.
    ///
    /// # Cancellation
    /// If dropped after the open started, the file is opened and closed on
    /// the pool thread; nothing else happens.
    ///
    /// # Panics
    /// Outside a ramen runtime (as [`spawn_blocking`]).
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` write-only, creating or truncating it.
    ///
    /// # Cancellation
    /// As [`open`](File::open): a dropped `create` may still have created or
    /// truncated the file.
    ///
    /// # Panics
    /// Outside a ramen runtime.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// An [`OpenOptions`] builder (same as `OpenOptions::new()`).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            state: State::Idle(Some(Buf::default())),
            last_write_err: None,
            pos: 0,
        }
    }

    /// Waits for the job in flight, then flushes data and metadata to disk
    /// (`fsync`). A pending write error is returned first.
    ///
    /// # Cancellation
    /// Dropped after the `fsync` started, the `fsync` still completes.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_all()).await
    }

    /// As [`sync_all`](File::sync_all) but may skip metadata (`fdatasync`).
    ///
    /// # Cancellation
    /// As [`sync_all`](File::sync_all).
    pub async fn sync_data(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_data()).await
    }

    /// Waits for the job in flight, then truncates or extends the file to
    /// `size` bytes. The position is unchanged (unread read-ahead is dropped
    /// and the OS position moved back to what was consumed).
    ///
    /// # Cancellation
    /// Dropped while the job runs, the resize still happens; the next
    /// operation waits for it and ignores its result.
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await?;
        let State::Idle(buf) = &mut self.state else {
            unreachable!("poll_flush_inner returned Ready with a job in flight")
        };
        let mut buf = buf.take().expect("Idle always holds its buffer");
        let back = buf.discard_read();
        let std = self.std.clone();
        self.state = State::Busy(spawn_blocking(move || {
            let r = (|| {
                if back != 0 {
                    (&*std).seek(SeekFrom::Current(back))?;
                }
                std.set_len(size)
            })();
            (Op::SetLen(r), buf)
        }));
        poll_fn(|cx| {
            let op = ready!(self.poll_job(cx));
            Poll::Ready(match op {
                Some(Op::SetLen(r)) => r,
                _ => Err(io::Error::other("set_len: the blocking job was lost")),
            })
        })
        .await
    }

    /// The file's metadata (does not wait for a write in flight, so a size
    /// may not count it yet: flush first for an exact size).
    ///
    /// # Cancellation
    /// Nothing is changed by a dropped call.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// Waits for the job in flight (if any) and returns to `Idle`.
    /// `Ready(None)` means the job was lost (its runtime shut down or it
    /// panicked); the state is `Idle` with a fresh buffer either way.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<Option<Op>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(None);
        };
        let res = ready!(Pin::new(job).poll(cx));
        let (op, buf) = match res {
            Ok((op, buf)) => (Some(op), buf),
            Err(_) => (None, Buf::default()),
        };
        if let Some(Op::Write(_)) = op {
            debug_assert!(buf.is_empty(), "a finished write left bytes behind");
        }
        self.state = State::Idle(Some(buf));
        Poll::Ready(op)
    }

    /// Waits for the job in flight; a failed write (now or earlier) is the
    /// result. Leaves the file `Idle`.
    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Some(e) = self.last_write_err.take() {
                return Poll::Ready(Err(e));
            }
            if let State::Idle(_) = self.state {
                return Poll::Ready(Ok(()));
            }
            match ready!(self.poll_job(cx)) {
                Some(Op::Write(Err(e))) => self.last_write_err = Some(e),
                Some(Op::Seek(Ok(pos))) => self.pos = pos,
                None => {
                    return Poll::Ready(Err(io::Error::other("the blocking file job was lost")));
                }
                Some(_) => {}
            }
        }
    }

    /// The buffer of an `Idle` file.
    fn idle_buf(&mut self) -> Buf {
        match &mut self.state {
            State::Idle(buf) => buf.take().expect("Idle always holds its buffer"),
            State::Busy(_) => unreachable!("idle_buf called with a job in flight"),
        }
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(e) = this.last_write_err.take() {
                return Poll::Ready(Err(e));
            }
            match &mut this.state {
                State::Idle(Some(buf)) if !buf.is_empty() => {
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
                State::Idle(_) => {
                    let mut buf = this.idle_buf();
                    let want = dst.len();
                    let std = this.std.clone();
                    this.state = State::Busy(spawn_blocking(move || {
                        let r = buf.read_from(want, &*std);
                        (Op::Read(r), buf)
                    }));
                }
                State::Busy(_) => match ready!(this.poll_job(cx)) {
                    Some(Op::Read(Ok(n))) => {
                        let State::Idle(Some(buf)) = &mut this.state else {
                            unreachable!("poll_job leaves the file Idle")
                        };
                        debug_assert_eq!(buf.len(), n, "read job result and buffer disagree");
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    Some(Op::Read(Err(e))) => return Poll::Ready(Err(e)),
                    Some(Op::Write(Err(e))) => this.last_write_err = Some(e),
                    Some(Op::Seek(Ok(pos))) => this.pos = pos,
                    None => {
                        return Poll::Ready(Err(io::Error::other(
                            "the blocking file job was lost",
                        )));
                    }
                    Some(_) => {}
                },
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_flush_inner(cx))?;
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut buf = this.idle_buf();
        let back = buf.discard_read();
        let n = buf.copy_from(src);
        let std = this.std.clone();
        this.state = State::Busy(spawn_blocking(move || {
            let r = (|| {
                if back != 0 {
                    (&*std).seek(SeekFrom::Current(back))?;
                }
                buf.write_to(&*std)
            })();
            (Op::Write(r), buf)
        }));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        if let State::Busy(_) = this.state {
            return Err(io::Error::other(
                "start_seek: another operation is in flight; call poll_complete first",
            ));
        }
        let mut buf = this.idle_buf();
        let back = buf.discard_read();
        let pos = match pos {
            SeekFrom::Current(n) => SeekFrom::Current(n.saturating_add(back)),
            other => other,
        };
        let std = this.std.clone();
        this.state = State::Busy(spawn_blocking(move || (Op::Seek((&*std).seek(pos)), buf)));
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        loop {
            if let State::Idle(_) = this.state {
                if let Some(e) = this.last_write_err.take() {
                    return Poll::Ready(Err(e));
                }
                return Poll::Ready(Ok(this.pos));
            }
            match ready!(this.poll_job(cx)) {
                Some(Op::Seek(r)) => {
                    if let Ok(pos) = r {
                        this.pos = pos;
                    }
                    return Poll::Ready(r);
                }
                Some(Op::Write(Err(e))) => this.last_write_err = Some(e),
                None => {
                    return Poll::Ready(Err(io::Error::other("the blocking file job was lost")));
                }
                Some(_) => {}
            }
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("busy", &matches!(self.state, State::Busy(_)))
            .finish()
    }
}

impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}
