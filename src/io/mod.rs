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
//! | `fd.rs` | the reactor registration every socket uses: one loop, many waiters, one runtime |
//! | `interest.rs` | [`Interest`], [`Ready`]: the sockets' `ready()` / `try_*` primitives |
//! | `async_fd.rs` | [`AsyncFd`]: any fd awaitable, with [`Readiness`] and [`ReadyGuard`] |

mod async_fd;
mod buf_reader;
mod ext;
pub(crate) mod fd;
mod interest;
mod traits;

#[allow(deprecated)]
pub use async_fd::{AsyncFd, Readable, Readiness, ReadyGuard, Writable};
pub use buf_reader::{
    AsyncBufRead, AsyncBufReadExt, BufReader, Lines, NextLine, ReadLine, ReadUntil,
};
pub use ext::{
    AsyncReadExt, AsyncWriteExt, Flush, Read, ReadExact, ReadToEnd, Shutdown, Write, WriteAll,
};
pub(crate) use interest::peek;
pub use interest::{Interest, Ready};
pub use traits::{AsyncRead, AsyncWrite};
