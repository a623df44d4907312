//! `Stream` for ramen's sources of many values (feature `stream`).
//!
//! **Naive approach:** leave it to users: `futures::stream::unfold(rx, |mut
//! rx| async { rx.recv().await.map(|v| (v, rx)) })` every time they want
//! `StreamExt::map` over a channel. **Its problem:** boilerplate at every
//! call site, a boxed or unnameable stream type, and the cancellation
//! guarantee of `recv` is easy to lose in a hand-written state machine.
//!
//! **What this file does:** `futures_core::Stream` for each ramen type that
//! yields many values, by calling the type's own public poll method, the
//! same one its `.await` form is built on. So `poll_next` keeps that form's
//! cancellation guarantee exactly: dropping a pending `StreamExt::next()` is
//! dropping a pending `.await`.
//!
//! | type | `Item` | poll method used | dropping a pending `next()` |
//! |---|---|---|---|
//! | [`sync::mpsc::Receiver<T>`](crate::sync::mpsc::Receiver), [`UnboundedReceiver<T>`](crate::sync::mpsc::UnboundedReceiver) | `T` | `poll_recv` | loses no message: one leaves the queue only in the poll that returns it |
//! | [`time::Interval`](crate::time::Interval) | the tick's scheduled `Instant` | `poll_tick` | loses no tick: the next `next()` waits for the same one (never ends) |
//! | [`io::Lines<R>`](crate::io::Lines) | `io::Result<String>` | `poll_next_line` | loses no bytes: a partial line stays inside `Lines` |
//! | [`JoinSet<T>`](crate::JoinSet) | `Result<T, JoinError>` | `poll_join_next` | loses no result: a finished task stays in the set (ends when the set is empty) |
//! | [`Incoming`] (`TcpListener::incoming`) | `io::Result<TcpStream>` | `poll_accept` | takes no connection from the backlog (never ends) |
//! | [`UnixIncoming`] (`UnixListener::incoming`) | `io::Result<UnixStream>` | `poll_accept` | takes no connection from the backlog (never ends) |
//!
//! An accept error (for example `EMFILE`, out of fds) is yielded as an item
//! and the stream goes on: a server decides whether to back off or stop.
//!
//! ```
//! use futures::StreamExt;
//! ramen::block_on(async {
//!     let (tx, rx) = ramen::sync::mpsc::channel(4);
//!     ramen::spawn(async move {
//!         for i in 1..=5 {
//!             tx.send(i).await.unwrap();
//!         }
//!     });
//!     let even: Vec<i32> = rx.filter(|v| std::future::ready(v % 2 == 0)).collect().await;
//!     assert_eq!(even, [2, 4]);
//! });
//! ```

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;

use crate::io::{AsyncBufRead, Lines};
use crate::join_set::JoinSet;
use crate::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use crate::sync::mpsc::{Receiver, UnboundedReceiver};
use crate::task::JoinError;
use crate::time::{Instant, Interval};

/// Yields each message; ends once every sender is gone (or the receiver was
/// closed) and the queue is empty.
///
/// # Cancellation
/// As [`Receiver::recv`]: a dropped pending `next()` loses no message.
impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

/// Yields each message; ends once every sender is gone (or the receiver was
/// closed) and the queue is empty.
///
/// # Cancellation
/// As [`UnboundedReceiver::recv`]: a dropped pending `next()` loses no message.
impl<T> Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

/// Yields the scheduled `Instant` of each tick; never ends.
///
/// # Cancellation
/// As [`Interval::tick`]: a dropped pending `next()` loses no tick.
impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// Yields each line (without `\n` / `\r\n`), or the error reading it; a
/// line that is not UTF-8 is an `InvalidData` item and the stream goes on.
///
/// # Cancellation
/// As [`Lines::next_line`]: a partial line stays inside `Lines`.
impl<R: AsyncBufRead + Unpin> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_line(cx).map(Result::transpose)
    }
}

/// Yields each task's result in completion order; ends when the set is empty.
///
/// # Cancellation
/// As [`JoinSet::join_next`]: a finished task stays in the set until a
/// `next()` returns it.
impl<T: 'static> Stream for JoinSet<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_join_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

/// The connections a [`TcpListener`] accepts, as a `Stream` (from
/// [`TcpListener::incoming`]); it never ends.
///
/// # Cancellation
/// A pending `next()` dropped took no connection from the backlog, as with
/// [`TcpListener::accept`].
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl TcpListener {
    /// The accepted connections as a `Stream` of `io::Result<TcpStream>`
    /// (peer addresses are dropped; use [`accept`](Self::accept) for them).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use ramen::net::{TcpListener, TcpStream};
    /// ramen::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     ramen::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    ///     let first = listener.incoming().next().await.unwrap().unwrap();
    ///     assert_eq!(first.local_addr().unwrap(), addr);
    /// });
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let accepted = ready!(self.listener.poll_accept(cx));
        Poll::Ready(Some(accepted.map(|(stream, _peer)| stream)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// The connections a [`UnixListener`] accepts, as a `Stream` (from
/// [`UnixListener::incoming`]); it never ends.
///
/// # Cancellation
/// A pending `next()` dropped took no connection from the backlog, as with
/// [`UnixListener::accept`].
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl UnixListener {
    /// The accepted connections as a `Stream` of `io::Result<UnixStream>`.
    #[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }
}

impl Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let accepted = ready!(self.listener.poll_accept(cx));
        Poll::Ready(Some(accepted.map(|(stream, _peer)| stream)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
