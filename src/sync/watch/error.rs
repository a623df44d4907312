//! The errors of [`super`] (a module of its own, as in tokio:
//! `watch::error::RecvError`).

use std::fmt;

/// Error of [`Sender::send`](super::Sender::send): there is no receiver; the
/// value is given back (and was not stored).
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}
impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch channel has no receiver")
    }
}
impl<T> std::error::Error for SendError<T> {}

/// Error of [`Receiver::changed`](super::Receiver::changed) and
/// [`has_changed`](super::Receiver::has_changed): every sender is gone.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError(pub(super) ());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch channel closed: every sender is gone")
    }
}
impl std::error::Error for RecvError {}
