//! [`JoinError`]: why a task did not produce its output (cancelled, or panicked).
//!
//! **Naive approach:** `Result<T, Box<dyn Any + Send>>`, the raw panic payload.
//! **Its problem:** a cancelled task has no payload, the payload is not `Sync`
//! (so it cannot go into an `io::Error`), and printing it needs a downcast.
//! **What this file does:** a two-word error: the task id, and either
//! "cancelled" or a boxed panic (its text copied once for `Display`, the
//! payload kept for `into_panic`).

use std::any::Any;
use std::fmt;

use super::contain::panic_message;

/// Why a task did not produce its output.
///
/// `Send + Sync` (like `std::io::Error`'s payloads must be), so it converts
/// into an `io::Error` with `io::Error::other`.
pub struct JoinError {
    id: u64,
    repr: Failure,
}

/// A [`JoinError`] without its task id: what a task block stores (the id
/// is in the block's header already). One word: panics are rare, tasks are not.
pub(crate) enum Failure {
    Cancelled,
    /// Boxed so a failure stays one word (`Cancelled` is the null niche).
    Panic(Box<PanicInfo>),
}

impl Failure {
    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Failure {
        Failure::Panic(Box::new(PanicInfo {
            message: panic_message(&*payload).to_owned(),
            payload: std::sync::Mutex::new(payload),
        }))
    }

    /// The error the `JoinHandle` returns, for task `id`.
    pub(crate) fn into_error(self, id: u64) -> JoinError {
        JoinError { id, repr: self }
    }

    pub(crate) fn is_panic(&self) -> bool {
        matches!(self, Failure::Panic(_))
    }

    /// The panic message (or "cancelled").
    pub(crate) fn text(&self) -> &str {
        match self {
            Failure::Panic(info) => &info.message,
            Failure::Cancelled => "cancelled",
        }
    }
}

pub(crate) struct PanicInfo {
    /// Copied out once, for `Display`.
    message: String,
    /// The payload is `Send` but not `Sync`; the `Mutex` makes the error
    /// `Sync` without ever handing out a shared reference to it.
    payload: std::sync::Mutex<Box<dyn Any + Send + 'static>>,
}

impl JoinError {
    pub(crate) fn cancelled(id: u64) -> JoinError {
        Failure::Cancelled.into_error(id)
    }

    pub(crate) fn panic(id: u64, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        Failure::panic(payload).into_error(id)
    }

    /// The task was aborted, or its runtime shut down before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Failure::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Failure::Panic(_))
    }

    /// The id of the task that failed.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking; see [`JoinError::try_into_panic`].
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(err) => panic!("ramen: JoinError::into_panic on a cancelled task ({err})"),
        }
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Failure::Panic(info) => Ok(info
                .payload
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())),
            Failure::Cancelled => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Failure::Cancelled => write!(f, "task {} was cancelled", self.id),
            Failure::Panic(info) => write!(f, "task {} panicked: {}", self.id, info.message),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Failure::Cancelled => write!(f, "JoinError::Cancelled(task {})", self.id),
            Failure::Panic(info) => {
                write!(f, "JoinError::Panic(task {}, {:?})", self.id, info.message)
            }
        }
    }
}

impl std::error::Error for JoinError {}
