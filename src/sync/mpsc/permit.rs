//! Permits: reserve a slot first, send later without waiting.
//!
//! **Naive approach:** `send(v).await` only. **Its problem:** the value must
//! exist before the wait starts; a producer that builds an expensive value, or
//! wants to send on one of several channels (`select!`), has to build it and
//! then maybe drop it.
//!
//! **What this file does:** `reserve*` waits in the same FIFO as `send` (see
//! `chan.rs`) but only takes a slot (`reserved += n`); a [`Permit`] then
//! pushes without waiting. A permit dropped unused gives its slot back,
//! which goes to the next waiting sender.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::{SendError, Sender, TrySendError};
use crate::sync::waiter::Waiter;

/// Waits for `n` slots (FIFO with every sender); dropped, its [`Waiter`]
/// leaves the queue and passes granted slots on.
struct Acquire<'a, T> {
    waiter: Waiter<&'a Chan<T>>,
    n: usize,
}

impl<T> Future for Acquire<'_, T> {
    type Output = Result<(), SendError<()>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        let this = &mut *self;
        Chan::poll_acquire(&mut this.waiter, this.n, cx.waker())
            .map(|r| r.map_err(|()| SendError(())))
    }
}

impl<T> Sender<T> {
    /// Waits for one free slot and reserves it: the [`Permit`] then sends
    /// without waiting. Queues FIFO with `send` calls.
    ///
    /// Fails if the receiver is closed or dropped.
    ///
    /// # Cancellation
    /// Dropping the future leaves the queue; a slot already reserved for it
    /// goes to the next waiting sender.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.acquire(1).await?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for `n` free slots at once (FIFO: later senders wait behind it).
    ///
    /// Fails at once if `n` exceeds [`max_capacity`](Self::max_capacity) (it
    /// could never be satisfied) or the receiver is closed or dropped.
    ///
    /// # Cancellation
    /// As [`reserve`](Self::reserve): reserved slots go to the next waiters.
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.chan.cap {
            return Err(SendError(()));
        }
        self.acquire(n).await?;
        Ok(PermitIterator {
            chan: &self.chan,
            n,
        })
    }

    /// [`reserve`](Self::reserve) consuming the sender: the [`OwnedPermit`]
    /// can be moved into another task and gives the sender back on use.
    ///
    /// # Cancellation
    /// As [`reserve`](Self::reserve); the sender is dropped with the future.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.acquire(1).await?;
        Ok(OwnedPermit { sender: Some(self) })
    }

    /// Reserves a slot without waiting (`Full` if none is free or senders
    /// are queued, `Closed` if the receiver is gone).
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.chan.try_acquire(1)?;
        Ok(Permit { chan: &self.chan })
    }

    /// Reserves `n` slots without waiting; `Full` also when `n` is more than
    /// is free (or more than the capacity).
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.chan.cap {
            return Err(TrySendError::Full(()));
        }
        self.chan.try_acquire(n)?;
        Ok(PermitIterator {
            chan: &self.chan,
            n,
        })
    }

    /// [`try_reserve`](Self::try_reserve) consuming the sender, which comes
    /// back inside the error on failure.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Sender<T>>> {
        match self.chan.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    fn acquire(&self, n: usize) -> Acquire<'_, T> {
        Acquire {
            waiter: Waiter::new(&self.chan),
            n,
        }
    }
}

/// One reserved slot: [`send`](Self::send) never waits. Dropped unused, it
/// gives the slot back.
#[must_use = "dropping a permit gives its slot back without sending"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Permit<'_, T> {
    /// Sends into the reserved slot. Works even after the receiver called
    /// `close` (the slot was promised before), as in tokio.
    pub fn send(self, value: T) {
        let chan = self.chan;
        std::mem::forget(self); // the slot is used, not given back
        chan.push_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release(1);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// The `n` permits of [`Sender::reserve_many`], yielded one by one; those
/// not taken are given back when it is dropped.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.n > 0 {
            self.chan.release(self.n);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("remaining", &self.n)
            .finish_non_exhaustive()
    }
}

/// A reserved slot that owns its [`Sender`] (`'static`, movable into a task).
#[must_use = "dropping a permit gives its slot back without sending"]
pub struct OwnedPermit<T> {
    /// `None` only after `send`/`release` took it.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends into the reserved slot and gives the sender back.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("OwnedPermit used twice");
        sender.chan.push_reserved(value);
        sender
    }

    /// Gives the slot back without sending, and the sender with it.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("OwnedPermit used twice");
        sender.chan.release(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.chan.release(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}
