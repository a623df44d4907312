//! The unbounded channel: the `chan.rs` core with `cap = usize::MAX`, so a
//! send always finds a free slot and never waits. Use it only where the
//! producer is naturally limited (replies, events): nothing slows a fast
//! producer down, and the queue grows with it.

use std::fmt;

use super::chan::Chan;
use super::{SendError, TrySendError};
use crate::loom::Arc;

/// Creates an unbounded channel: [`UnboundedSender::send`] never waits.
///
/// ```
/// ramen::block_on(async {
///     let (tx, mut rx) = ramen::sync::mpsc::unbounded_channel();
///     for i in 0..3 {
///         tx.send(i).unwrap(); // not async: never waits
///     }
///     drop(tx);
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     assert_eq!(got, [0, 1, 2]);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(usize::MAX));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// The sending half of [`unbounded_channel`]; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` without waiting; gives it back if the receiver is gone
    /// or closed.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.chan.try_push(value) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(v) | TrySendError::Full(v)) => Err(SendError(v)),
        }
    }
}

sender_common!(UnboundedSender, WeakUnboundedSender);

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

/// The receiving half of [`unbounded_channel`].
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

receiver_common!(UnboundedReceiver);

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").finish_non_exhaustive()
    }
}
