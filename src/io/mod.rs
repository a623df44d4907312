//! Asynchronous I/O: the [`AsyncRead`] / [`AsyncWrite`] traits, their
//! `.await`-friendly extensions, [`BufReader`], and [`AsyncFd`].
//!
//! **Naive approach:** call `std::io::Read::read` on a socket inside a task.
//! **Its problem:** a blocking read stops the whole thread, and with it every
//! other task; a non-blocking read returns `WouldBlock` and the task has no
//! way to say "wake me when there is data".
//!
//! **What this module does:** the poll-based traits let an I/O object answer
//! `Pending` *after* parking the task's waker in the reactor (`fd.rs`); the
//! extension traits (`ext.rs`) turn them into futures you `.await`;
//! `buf_reader.rs` adds buffering and line reading; [`AsyncFd`] makes any fd
//! (pipe, eventfd, a child's stdio) awaitable.
//!
//! | file | what it is |
//! |---|---|
//! | `traits.rs` | [`AsyncRead`], [`AsyncWrite`] and impls for `&mut T`, `Box<T>`, `Pin<P>`, `&[u8]`, `Vec<u8>` |
//! | `ext.rs` | [`AsyncReadExt`], [`AsyncWriteExt`]: `read`, `read_exact`, `write_all`, ... |
//! | `buf_reader.rs` | [`BufReader`], [`AsyncBufRead`], [`AsyncBufReadExt`] (`read_line`, `lines`) |
//! | `fd.rs` | the reactor registration every socket uses, and [`AsyncFd`] |
//! | `copy.rs` | [`copy`], [`copy_buf`], [`copy_bidirectional`]: pump bytes, both ways at once |
//! | `buf_writer.rs` | [`BufWriter`]: many small writes, one syscall |
//! | `seek.rs` | [`AsyncSeek`], [`AsyncSeekExt`] (`seek`, `rewind`, `stream_position`) |
//! | `read_write_int.rs` | `read_u32`/`write_u32`/... (big-endian by default) and `read_to_string` |
//! | `stdio.rs` | [`stdin`], [`stdout`], [`stderr`] on the blocking pool |
//! | `blocking_buf.rs` | the owned buffer a blocking-pool object hands to its job |

pub(crate) mod blocking_buf;
mod buf_reader;
mod buf_writer;
mod copy;
mod ext;
pub(crate) mod fd;
mod read_write_int;
mod seek;
mod stdio;
mod traits;

pub use buf_reader::{
    AsyncBufRead, AsyncBufReadExt, BufReader, Lines, NextLine, ReadLine, ReadUntil,
};
pub use ext::{
    AsyncReadExt, AsyncWriteExt, Flush, Read, ReadExact, ReadToEnd, Shutdown, Write, WriteAll,
};
pub use fd::{AsyncFd, Readable, ReadyGuard, Writable};
pub use traits::{AsyncRead, AsyncWrite};

pub use buf_writer::BufWriter;
pub use copy::{Copy, CopyBidirectional, CopyBuf, copy, copy_bidirectional, copy_buf};
pub use read_write_int::{ReadInt, ReadToString, WriteInt};
pub use seek::{AsyncSeek, AsyncSeekExt, Seek};
pub use stdio::{Stderr, Stdin, Stdout, stderr, stdin, stdout};
