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
//! | `copy.rs` | [`copy`], [`copy_buf`], [`copy_bidirectional`]: pump bytes, both ways at once |
//! | `buf_writer.rs` | [`BufWriter`]: many small writes, one syscall |
//! | `seek.rs` | [`AsyncSeek`], [`AsyncSeekExt`] (`seek`, `rewind`, `stream_position`) |
//! | `read_write_int.rs` | `read_u32`/`write_u32`/... (big-endian by default) and `read_to_string` |
//! | `stdio.rs` | [`stdin`], [`stdout`], [`stderr`] on the blocking pool |
//! | `blocking_buf.rs` | the owned buffer a blocking-pool object hands to its job |
//! | `futures_io.rs` | feature `futures-io`: the `futures_io` traits for ramen's streams, and `Compat` for the other direction |
//!
//! # Why ramen has its own traits (and will keep them)
//! ramen's [`AsyncRead`]/[`AsyncWrite`] have the shape of `futures-io`'s
//! (reads into `&mut [u8]`) with tokio's name for the last method
//! (`poll_shutdown`, where `futures-io` says `poll_close`). With the
//! `futures-io` feature, every ramen byte stream *also* implements the
//! `futures_io` traits directly, and `Compat` adapts the other way, so both
//! worlds meet without wrappers on ramen's side. Should ramen's traits simply
//! *be* `futures_io`'s in a later major version? Decided: no, they stay
//! separate, because
//! - the default build depends on exactly four crates and the traits are one
//!   readable file (`traits.rs`); re-exporting `futures_io` would make every
//!   user compile it and every reader leave the crate to see the trait;
//! - `futures-io` is itself 0.x: a `futures-io` 0.4 would then force a ramen
//!   major release, and ramen could not evolve its traits (say, reads into
//!   uninitialised buffers, as tokio and hyper do) on its own schedule;
//! - there is no single ecosystem trait to adopt: tokio, hyper
//!   (`hyper::rt::Read`) and `futures-io` each have their own, so a bridge is
//!   needed anyway, and a bridge behind a feature costs nothing when unused.
//!
//! If the standard library gains `AsyncRead`/`AsyncWrite`, ramen will adopt
//! those (and keep the bridge for the transition).

mod async_fd;
pub(crate) mod blocking_buf;
mod buf_reader;
mod buf_writer;
mod copy;
mod ext;
pub(crate) mod fd;
#[cfg(feature = "futures-io")]
mod futures_io;
mod interest;
mod read_write_int;
mod seek;
mod stdio;
mod traits;

#[cfg(feature = "futures-io")]
pub use self::futures_io::Compat;
#[allow(deprecated)]
pub use async_fd::{AsyncFd, Readable, Readiness, ReadyGuard, Writable};
pub use buf_reader::{
    AsyncBufRead, AsyncBufReadExt, BufReader, Lines, NextLine, ReadLine, ReadUntil,
};
pub use ext::{
    AsyncReadExt, AsyncWriteExt, Flush, ReadExact, ReadSome, ReadToEnd, ShutdownWrite, WriteAll,
    WriteSome,
};
#[allow(deprecated)]
pub use ext::{Read, Shutdown, Write};
pub(crate) use interest::peek;
pub use interest::{Interest, Ready};
pub use traits::{AsyncRead, AsyncWrite};

pub use buf_writer::BufWriter;
#[allow(deprecated)]
pub use copy::Copy;
pub use copy::{CopyBidirectional, CopyBuf, CopyToEnd, copy, copy_bidirectional, copy_buf};
pub use read_write_int::{ReadInt, ReadToString, WriteInt};
#[allow(deprecated)]
pub use seek::Seek;
pub use seek::{AsyncSeek, AsyncSeekExt, SeekTo};
pub use stdio::{Stderr, Stdin, Stdout, stderr, stdin, stdout};
