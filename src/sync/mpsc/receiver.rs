//! The bounded receiver (the unbounded one in `unbounded.rs` is a thin
//! wrapper over the same `chan.rs` calls).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chan::Chan;
use crate::loom::Arc;

/// The receiving half of a bounded channel.
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
}

receiver_common!(Receiver);

impl<T> Receiver<T> {
    /// Free slots now (as [`Sender::capacity`](super::Sender::capacity)).
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The capacity given to [`channel`](super::channel).
    pub fn max_capacity(&self) -> usize {
        self.chan.cap
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("cap", &self.chan.cap)
            .finish_non_exhaustive()
    }
}

/// Future of [`Receiver::recv`] (and `UnboundedReceiver::recv`).
#[must_use = "futures do nothing unless you .await them"]
pub struct Recv<'a, T> {
    pub(super) chan: &'a Chan<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        // cooperative budget (coop.rs)
        crate::coop::with_budget(cx, |cx| self.chan.poll_recv(Some(cx.waker())))
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
