//! [`AsyncSeek`] and [`AsyncSeekExt::seek`].
//!
//! **Naive approach:** `fn poll_seek(cx, pos)` in one call. **Its problem:**
//! for an object whose seek runs on another thread (a [`File`](crate::fs::File)),
//! a `Pending` seek must not be started again by the next poll with a
//! position that was relative to a place the file has already left
//! (`SeekFrom::Current(10)` twice moves 20 bytes).
//!
//! **What this file does:** tokio's two-step shape. `start_seek` submits
//! the seek once; `poll_complete` waits for it (or for whatever operation was
//! already in flight) and returns the new position. The [`SeekTo`] future calls
//! `poll_complete` first (finishing earlier work), then `start_seek` exactly
//! once, then `poll_complete` until done.

use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// Seeking for asynchronous I/O objects.
pub trait AsyncSeek {
    /// Submits a seek. An error if another operation is still in flight
    /// (call `poll_complete` until `Ready` first).
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()>;

    /// Waits for the submitted seek (or the operation in flight) and returns
    /// the position it reported; with nothing in flight, the last position.
    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>>;
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for &mut T {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        Pin::new(&mut **self).start_seek(position)
    }
    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut **self).poll_complete(cx)
    }
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for Box<T> {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        Pin::new(&mut **self).start_seek(position)
    }
    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut **self).poll_complete(cx)
    }
}

/// `.await` methods for every [`AsyncSeek`].
pub trait AsyncSeekExt: AsyncSeek {
    /// Seeks to `position`; returns the new position from the start.
    ///
    /// # Cancellation
    /// Dropped after the seek was submitted, the seek still happens: the
    /// position afterwards is unknown to the caller (seek again with
    /// `SeekFrom::Start` to be sure).
    fn seek(&mut self, position: SeekFrom) -> SeekTo<'_, Self>
    where
        Self: Unpin,
    {
        SeekTo {
            seeker: self,
            position: Some(position),
        }
    }

    /// Seeks to the start.
    ///
    /// # Cancellation
    /// As [`seek`](AsyncSeekExt::seek).
    fn rewind(&mut self) -> SeekTo<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// The current position (a `SeekFrom::Current(0)` seek).
    ///
    /// # Cancellation
    /// Safe to drop: a zero seek moves nothing.
    fn stream_position(&mut self) -> SeekTo<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future of [`AsyncSeekExt::seek`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct SeekTo<'a, S: ?Sized> {
    seeker: &'a mut S,
    /// `Some` until the seek has been submitted.
    position: Option<SeekFrom>,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for SeekTo<'_, S> {
    type Output = io::Result<u64>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(position) = this.position {
            // Finish whatever was in flight before submitting ours.
            if let Err(e) = ready!(Pin::new(&mut *this.seeker).poll_complete(cx)) {
                this.position = None;
                return Poll::Ready(Err(e));
            }
            this.position = None;
            Pin::new(&mut *this.seeker).start_seek(position)?;
        }
        Pin::new(&mut *this.seeker).poll_complete(cx)
    }
}

/// In-memory seeking never waits; handy in tests.
impl<T: AsRef<[u8]> + Unpin> AsyncSeek for io::Cursor<T> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        io::Seek::seek(self.get_mut(), position).map(drop)
    }
    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.get_mut().position()))
    }
}

/// Old name of [`SeekTo`] (it shadowed `std::io::Seek`).
#[deprecated(since = "0.2.0", note = "renamed to `SeekTo`")]
pub type Seek<'a, S> = SeekTo<'a, S>;
