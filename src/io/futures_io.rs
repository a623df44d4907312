//! The `futures-io` bridge (feature `futures-io`): ramen's streams as
//! `futures_io` types, and [`Compat`] for the other direction.
//!
//! **Naive approach:** make users write a newtype around `TcpStream` for
//! every crate that wants `futures::io::AsyncRead` (websockets, codecs,
//! TLS). **Its problem:** everybody writes the same forwarding glue, the
//! newtype hides ramen's own methods (`into_split`, `set_nodelay`), and
//! nothing tells them that `poll_close` must mean "shut the write side".
//!
//! **What this file does:** the `futures_io` traits implemented directly on
//! ramen's byte streams ([`TcpStream`], [`UnixStream`], both
//! [`OwnedReadHalf`]/[`OwnedWriteHalf`], and [`BufReader`], which is also a
//! `futures_io::AsyncBufRead`), each method forwarding to ramen's own. No
//! wrapper, no copy: `fn f<T: futures::io::AsyncRead>` accepts a
//! `ramen::net::TcpStream` as it is. The trait methods agree one to one:
//!
//! | `futures_io` | ramen |
//! |---|---|
//! | `poll_read` | [`AsyncRead::poll_read`] (same `&mut [u8]`, same `Ok(0)` = end of stream) |
//! | `poll_write`, `poll_flush` | [`AsyncWrite::poll_write`], [`AsyncWrite::poll_flush`] |
//! | `poll_close` | [`AsyncWrite::poll_shutdown`]: flush, then shut the write side (the peer reads end of stream and may still write back) |
//! | `AsyncBufRead::{poll_fill_buf, consume}` | [`AsyncBufRead::poll_fill_buf`], [`AsyncBufRead::consume`] |
//!
//! The other direction, a third-party `futures_io` stream (a TLS stream, a
//! compression codec) used with ramen's [`AsyncReadExt`](super::AsyncReadExt),
//! [`BufReader`] and `lines`, is [`Compat`]. `Compat` also works the first
//! way round, for any ramen [`AsyncRead`]/[`AsyncWrite`] that has no direct
//! impl here (your own types, `&[u8]`, `Vec<u8>` — futures-io already has
//! its own impls for those last two).
//!
//! Not bridged, and why: `UdpSocket` (datagrams, not a byte stream:
//! `futures_io` has no datagram trait), [`AsyncFd`](super::AsyncFd) (a
//! readiness handle, not a stream: build the stream on it, then implement
//! the traits for that), and `futures_io::AsyncSeek` (ramen has no
//! asynchronous file type to seek).
//!
//! Cancellation is unchanged: a `Pending` `poll_read`/`poll_write` has moved
//! no bytes (see [`TcpStream`]), so dropping a `futures::io` future above it
//! loses nothing that the ramen future would not lose.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AsyncBufRead, AsyncRead, AsyncWrite, BufReader};
use crate::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream, UnixStream};

/// Implements `futures_io`'s read, buffered-read or write trait for a ramen
/// type by calling ramen's trait of the same role on `$pin(self)` (`self`
/// itself for the direct impls, the pinned inner value for `Compat`).
/// `poll_close` is `poll_shutdown` (see the table above).
macro_rules! to_futures_io {
    ($role:ident [$($gen:tt)*] $ty:ty, $pin:expr) => {
        to_futures_io!(@$role [$($gen)*] $ty, $pin);
    };
    (@read [$($gen:tt)*] $ty:ty, $pin:expr) => {
        impl<$($gen)*> futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                AsyncRead::poll_read($pin(self), cx, buf)
            }
        }
    };
    (@buf_read [$($gen:tt)*] $ty:ty, $pin:expr) => {
        impl<$($gen)*> futures_io::AsyncBufRead for $ty {
            fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
                AsyncBufRead::poll_fill_buf($pin(self), cx)
            }
            fn consume(self: Pin<&mut Self>, amt: usize) {
                AsyncBufRead::consume($pin(self), amt)
            }
        }
    };
    (@write [$($gen:tt)*] $ty:ty, $pin:expr) => {
        impl<$($gen)*> futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                AsyncWrite::poll_write($pin(self), cx, buf)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_flush($pin(self), cx)
            }
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_shutdown($pin(self), cx)
            }
        }
    };
}

/// The direct impls forward `self` as it is.
fn same<T: ?Sized>(p: Pin<&mut T>) -> Pin<&mut T> {
    p
}

to_futures_io!(read [] TcpStream, same);
to_futures_io!(write [] TcpStream, same);
to_futures_io!(read [] UnixStream, same);
to_futures_io!(write [] UnixStream, same);
to_futures_io!(read [] OwnedReadHalf, same);
to_futures_io!(write [] OwnedWriteHalf, same);
to_futures_io!(read [R: AsyncRead + Unpin] BufReader<R>, same);
to_futures_io!(buf_read [R: AsyncRead + Unpin] BufReader<R>, same);
// Writes go straight to the inner writer, as with ramen's `AsyncWrite`.
to_futures_io!(write [R: AsyncWrite + Unpin] BufReader<R>, same);
to_futures_io!(read [T: AsyncRead] Compat<T>, Compat::project);
to_futures_io!(buf_read [T: AsyncBufRead] Compat<T>, Compat::project);
to_futures_io!(write [T: AsyncWrite] Compat<T>, Compat::project);

/// An adapter between ramen's I/O traits and `futures_io`'s, both ways.
///
/// - `T: futures_io::AsyncRead / AsyncWrite / AsyncBufRead` (a third-party
///   stream) → `Compat<T>` is ramen's [`AsyncRead`] / [`AsyncWrite`] /
///   [`AsyncBufRead`], so [`AsyncReadExt`](super::AsyncReadExt),
///   [`BufReader`] and [`lines`](super::AsyncBufReadExt::lines) work on it.
///   `poll_shutdown` calls the inner `poll_close`.
/// - `T: ramen's traits` → `Compat<T>` is the `futures_io` ones (for ramen
///   types without a direct impl, such as your own).
///
/// `T` may be `!Unpin`: `Compat` pins it structurally (it never moves `T`
/// out of a pinned `Compat`).
///
/// ```
/// use ramen::io::{AsyncBufReadExt, BufReader, Compat};
/// ramen::block_on(async {
///     // `futures::io::Cursor` speaks only futures-io.
///     let third_party = futures::io::Cursor::new(b"one\ntwo\n".to_vec());
///     let mut lines = BufReader::new(Compat::new(third_party)).lines();
///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("one"));
///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("two"));
///     assert_eq!(lines.next_line().await.unwrap(), None);
/// });
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "futures-io")))]
#[derive(Debug, Default, Clone)]
pub struct Compat<T> {
    inner: T,
}

impl<T> Compat<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Compat<T> {
        Compat { inner }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn project(self: Pin<&mut Self>) -> Pin<&mut T> {
        // SAFETY: structural pinning of `inner`: `Compat` has no `Drop` impl,
        // is `Unpin` only when `T` is (the auto impl), and offers no way to
        // move `inner` out of a pinned `Compat` (`get_mut` and `into_inner`
        // need an unpinned `&mut self` / `self`).
        unsafe { self.map_unchecked_mut(|c| &mut c.inner) }
    }
}

impl<T: futures_io::AsyncRead> AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncRead::poll_read(self.project(), cx, buf)
    }
}

impl<T: futures_io::AsyncWrite> AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(self.project(), cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(self.project(), cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures_io::AsyncWrite::poll_close(self.project(), cx)
    }
}

impl<T: futures_io::AsyncBufRead> AsyncBufRead for Compat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        futures_io::AsyncBufRead::poll_fill_buf(self.project(), cx)
    }
    fn consume(self: Pin<&mut Self>, amt: usize) {
        futures_io::AsyncBufRead::consume(self.project(), amt)
    }
}
