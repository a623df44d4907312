//! Files and directories: [`read`], [`write()`], [`File`], ... on the blocking pool.
//!
//! **Naive approach:** register a file's fd with the reactor, like a socket,
//! and read when epoll says "readable". **Its problem:** readiness means
//! nothing for a regular file. A file is *always* ready: the kernel has no
//! "wait until the disk has the block" notification for `read(2)` — the call
//! simply blocks the thread in the page cache or the disk queue, however
//! non-blocking the fd is (`O_NONBLOCK` is ignored for regular files). Linux
//! refuses the question outright: `epoll_ctl(EPOLL_CTL_ADD)` on a regular
//! file fails with `EPERM`. (kqueue accepts `EVFILT_READ` on a file but
//! reports "readable" whenever the position is before the end, which is the
//! same non-answer.) The only ways to read a file without blocking the loop
//! are another thread or a completion API (`io_uring`, POSIX AIO), and ramen
//! is a readiness runtime.
//!
//! **What this module does:** every call runs on the runtime's blocking pool
//! ([`spawn_blocking`]) and its result wakes the task — exactly tokio's
//! `tokio::fs`. The one-shot functions ([`read`], [`write()`], [`rename`], ...)
//! are one pool job each. [`File`] keeps an owned buffer and at most one job
//! in flight (`file.rs` states the state machine), so it can implement the
//! poll-based [`AsyncRead`](crate::io::AsyncRead) /
//! [`AsyncWrite`](crate::io::AsyncWrite) /
//! [`AsyncSeek`](crate::io::AsyncSeek) traits.
//!
//! # What the thread hop costs
//! Each pool job is a hand-off to another thread and a cross-thread wake
//! back (a lock, a futex wake, an eventfd write to the sleeping loop), on
//! top of the syscall itself. For small reads of a cached file that
//! overhead dominates: a 4 KiB read costs many times the syscall, while a
//! 1 MiB `fs::read` hides the hop in the copy. The figures, beside `std::fs`
//! and `tokio::fs`, come from
//! `cargo run -p ramen-benches --release --bin fs_hop` (run it: numbers
//! written here would go stale).
//! So: read big chunks (`fs::read` of a whole file is one job), wrap a
//! [`File`] in a [`BufReader`](crate::io::BufReader) for line reading, and
//! batch many small file operations into one [`spawn_blocking`] closure using
//! plain `std::fs` when a task does lots of them. The payoff is that the loop
//! never stalls on a slow disk: other tasks keep running meanwhile.
//!
//! # Cancellation (all functions here)
//! A pool job cannot be interrupted. Dropping the future after the job
//! started does not undo it: a dropped `write` or `rename` may still happen.
//!
//! # Panics
//! Every function here panics if called outside a ramen runtime (it needs the
//! runtime's blocking pool), as [`spawn_blocking`] does.
//!
//! | file | what it is |
//! |---|---|
//! | `mod.rs` | the one-shot functions, [`OpenOptions`], [`ReadDir`] |
//! | `file.rs` | [`File`]: the idle/busy state machine |

mod file;

pub use file::File;

use std::fs::{DirEntry, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::spawn_blocking;

/// Runs `f` on the blocking pool; a lost job (runtime shut down, panic) is
/// an `io::Error` rather than a panic.
async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(io::Error::other(format!(
            "blocking fs job did not finish: {e}"
        ))),
    }
}

/// Runs `f(path)` on the pool, naming `what` and the path in an error (the
/// kind is kept: `NotFound` stays `NotFound`).
async fn with_path<T, F>(what: &'static str, path: &Path, f: F) -> io::Result<T>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let owned = path.to_path_buf();
    asyncify(move || f(&owned).map_err(|e| context(e, what, &owned))).await
}

fn context(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Reads the whole file (one pool job).
///
/// # Cancellation
/// See the module docs: the read finishes on the pool and is dropped.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    with_path("cannot read", path.as_ref(), |p| std::fs::read(p)).await
}

/// Reads the whole file as UTF-8; invalid UTF-8 is `InvalidData`.
///
/// # Cancellation
/// See the module docs.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    with_path("cannot read", path.as_ref(), |p| std::fs::read_to_string(p)).await
}

/// Creates or truncates `path` and writes `contents` (one pool job; the
/// bytes are copied first so the job owns them).
///
/// # Cancellation
/// See the module docs: a dropped `write` may still write the file.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let bytes = contents.as_ref().to_vec();
    with_path("cannot write", path.as_ref(), move |p| {
        std::fs::write(p, bytes)
    })
    .await
}

/// Creates a directory (its parent must exist).
///
/// # Cancellation
/// See the module docs.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    with_path("cannot create directory", path.as_ref(), |p| {
        std::fs::create_dir(p)
    })
    .await
}

/// Creates a directory and every missing parent; an existing directory is fine.
///
/// # Cancellation
/// See the module docs.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    with_path("cannot create directory", path.as_ref(), |p| {
        std::fs::create_dir_all(p)
    })
    .await
}

/// Removes a file.
///
/// # Cancellation
/// See the module docs.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    with_path("cannot remove file", path.as_ref(), |p| {
        std::fs::remove_file(p)
    })
    .await
}

/// Removes an empty directory.
///
/// # Cancellation
/// See the module docs.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    with_path("cannot remove directory", path.as_ref(), |p| {
        std::fs::remove_dir(p)
    })
    .await
}

/// Removes a directory and everything in it.
///
/// # Cancellation
/// See the module docs: a dropped call may have removed part of the tree.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    with_path("cannot remove directory", path.as_ref(), |p| {
        std::fs::remove_dir_all(p)
    })
    .await
}

/// Metadata of `path`, following symlinks.
///
/// # Cancellation
/// See the module docs.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    with_path("cannot stat", path.as_ref(), |p| std::fs::metadata(p)).await
}

/// Renames `from` to `to`, replacing `to` if it exists (`rename(2)`).
///
/// # Cancellation
/// See the module docs.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let to = to.as_ref().to_path_buf();
    with_path("cannot rename", from.as_ref(), move |p| {
        std::fs::rename(p, to)
    })
    .await
}

/// Copies the contents (and permissions) of `from` to `to`; returns the
/// byte count.
///
/// # Cancellation
/// See the module docs: a dropped call may leave a partial `to`.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let to = to.as_ref().to_path_buf();
    with_path("cannot copy", from.as_ref(), move |p| std::fs::copy(p, to)).await
}

/// Options for opening a [`File`], as `std::fs::OpenOptions`.
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// All options off (as std).
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }
    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.0.read(on);
        self
    }
    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.0.write(on);
        self
    }
    /// Every write goes to the end (`O_APPEND`).
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.0.append(on);
        self
    }
    /// Truncate to 0 bytes on open.
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.0.truncate(on);
        self
    }
    /// Create the file if missing.
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.0.create(on);
        self
    }
    /// Create the file, failing with `AlreadyExists` if it exists.
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.0.create_new(on);
        self
    }

    /// Opens `path` with these options.
    ///
    /// # Cancellation
    /// See [`File::open`].
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let opts = self.0.clone();
        let std = with_path("cannot open", path.as_ref(), move |p| opts.open(p)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

/// Entries of a directory: [`read_dir`]'s result.
///
/// Entries are std's [`DirEntry`]: `path()`, `file_name()` and (on Linux and
/// macOS) `file_type()` are free; `DirEntry::metadata()` is a blocking
/// syscall, so prefer [`metadata`]`(entry.path())` inside a task.
#[derive(Debug)]
pub struct ReadDir {
    /// `None` while a pool job holds it, or after the end.
    inner: Option<std::fs::ReadDir>,
    batch: std::collections::VecDeque<io::Result<DirEntry>>,
    done: bool,
    path: PathBuf,
}

/// How many entries one pool job reads.
const DIR_BATCH: usize = 32;

/// Opens a directory for listing.
///
/// # Cancellation
/// See the module docs.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_path_buf();
    let inner = with_path("cannot list directory", &path, |p| std::fs::read_dir(p)).await?;
    Ok(ReadDir {
        inner: Some(inner),
        batch: Default::default(),
        done: false,
        path,
    })
}

impl ReadDir {
    /// The next entry, or `None` at the end. Entries come in batches of 32
    /// per pool job.
    ///
    /// # Cancellation
    /// Dropped while a batch is being read, that batch is lost and the
    /// listing ends early (the next call returns an error saying so).
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        if let Some(e) = self.batch.pop_front() {
            return e.map(Some);
        }
        if self.done {
            return Ok(None);
        }
        let Some(mut inner) = self.inner.take() else {
            return Err(io::Error::other(format!(
                "listing of {} was cancelled mid-batch",
                self.path.display()
            )));
        };
        let (inner, batch) = asyncify(move || {
            let batch: Vec<_> = inner.by_ref().take(DIR_BATCH).collect();
            Ok((inner, batch))
        })
        .await?;
        self.done = batch.len() < DIR_BATCH;
        self.inner = Some(inner);
        self.batch.extend(batch);
        match self.batch.pop_front() {
            Some(e) => e.map(Some),
            None => Ok(None),
        }
    }
}
