//! The bounded sender: `send`, `try_send`, `send_timeout`, `closed`, and its
//! weak form. Permits (`reserve*`) live in `permit.rs`; all of them share
//! the FIFO of waiting senders in `chan.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::chan::{Chan, ClosedQueue};
use super::{SendError, SendTimeoutError, TrySendError};
use crate::loom::Arc;
use crate::sync::waiter::Waiter;

/// The sending half of a bounded channel; clone it for more producers.
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full (backpressure).
    ///
    /// Waiting senders (and `reserve` calls) are served in FIFO order. Fails,
    /// giving the value back, if the receiver was dropped or closed.
    ///
    /// # Cancellation
    /// Dropping the future before it completes sends nothing: the value is
    /// dropped with it. The future leaves the queue of waiting senders; if a
    /// slot had already been reserved for it, the reservation goes to the next
    /// waiting sender, so no sender misses its turn.
    pub fn send(&self, value: T) -> SendFut<'_, T> {
        SendFut {
            waiter: Waiter::new(&self.chan),
            value: Some(value),
        }
    }

    /// Sends without waiting: fails with `Full` when `cap` slots are used
    /// (queued messages and outstanding permits) or other senders are already
    /// waiting, to keep the order fair.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_push(value)
    }

    /// [`send`](Self::send), giving up after `timeout`: the value comes back
    /// in [`SendTimeoutError::Timeout`].
    ///
    /// # Cancellation
    /// As [`send`](Self::send): dropping the future drops the value, and a
    /// slot reserved for it goes to the next waiting sender.
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        let mut send = self.send(value);
        let mut sleep = std::pin::pin!(crate::time::sleep(timeout));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(r) = Pin::new(&mut send).poll(cx) {
                return Poll::Ready(r.map_err(|SendError(v)| SendTimeoutError::Closed(v)));
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(SendTimeoutError::Timeout(send.give_up())));
            }
            Poll::Pending
        })
        .await
    }

    /// Sends from a plain OS thread, blocking it while the channel is full.
    ///
    /// # Panics
    /// If called on a thread that is running a ramen runtime (inside
    /// `block_on` or a task): blocking that thread would stop the very loop
    /// that runs the receiver, a deadlock. Use `send(v).await` there.
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::block_on_thread("Sender::blocking_send", self.send(value))
    }

    /// Slots free right now: `max_capacity` minus queued messages minus
    /// outstanding permits.
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The capacity given to [`channel`](super::channel).
    pub fn max_capacity(&self) -> usize {
        self.chan.cap
    }
}

sender_common!(Sender, WeakSender);

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("cap", &self.chan.cap)
            .finish_non_exhaustive()
    }
}

/// Future of [`Sender::send`].
#[must_use = "futures do nothing unless you .await them"]
pub struct SendFut<'a, T> {
    /// Our entry in the channel's queue of waiting senders, once we wait;
    /// dropped, it leaves the queue and passes a granted slot on.
    waiter: Waiter<&'a Chan<T>>,
    value: Option<T>,
}

// `value` is only ever moved as a whole, never pinned: no structural pinning.
impl<T> Unpin for SendFut<'_, T> {}

impl<T> SendFut<'_, T> {
    /// Leaves the queue (passing on a granted slot) and returns the value.
    fn give_up(&mut self) -> T {
        self.waiter.cancel();
        self.value.take().expect("SendFut polled after completion")
    }
}

impl<T> Future for SendFut<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::with_budget(cx, |cx| self.poll_send(cx)) // cooperative budget (coop.rs)
    }
}

impl<T> SendFut<'_, T> {
    fn poll_send(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = &mut *self;
        let chan = *this.waiter.queue();
        if !this.waiter.is_queued() {
            // Fast path: one lock, push if a slot is free and nobody waits.
            let value = this.value.take().expect("SendFut polled after completion");
            match chan.try_push(value) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TrySendError::Closed(v)) => return Poll::Ready(Err(SendError(v))),
                Err(TrySendError::Full(v)) => this.value = Some(v),
            }
        }
        match Chan::poll_acquire(&mut this.waiter, 1, cx.waker()) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(granted) => {
                let value = this.value.take().expect("SendFut polled after completion");
                Poll::Ready(match granted {
                    Ok(()) => {
                        chan.push_reserved(value);
                        Ok(())
                    }
                    Err(()) => Err(SendError(value)),
                })
            }
        }
    }
}

/// Future of [`Sender::closed`] (and `UnboundedSender::closed`).
#[must_use = "futures do nothing unless you .await them"]
pub struct Closed<'a, T> {
    /// Our entry in the channel's list of `closed()` futures, once we wait.
    waiter: Waiter<ClosedQueue<'a, T>>,
}

impl<'a, T> Closed<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Closed<'a, T> {
        Closed {
            waiter: Waiter::new(ClosedQueue(chan)),
        }
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Chan::poll_closed(&mut self.waiter, cx.waker())
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
