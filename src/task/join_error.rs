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

use super::panic_message;

/// Why a task did not produce its output.
///
/// `Send + Sync` (like `std::io::Error`'s payloads must be), so it converts
/// into an `io::Error` with `io::Error::other`.
pub struct JoinError {
    id: u64,
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// Boxed so a `JoinError` (and every task's output slot) stays two
    /// words: panics are rare, task cells are not.
    Panic(Box<PanicInfo>),
}

struct PanicInfo {
    /// Copied out once, for `Display`.
    message: String,
    /// The payload is `Send` but not `Sync`; the `Mutex` makes the error
    /// `Sync` without ever handing out a shared reference to it.
    payload: std::sync::Mutex<Box<dyn Any + Send + 'static>>,
}

impl JoinError {
    pub(crate) fn cancelled(id: u64) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: u64, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Box::new(PanicInfo {
                message: panic_message(&*payload).to_owned(),
                payload: std::sync::Mutex::new(payload),
            })),
        }
    }

    /// The task was aborted, or its runtime shut down before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
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
            Repr::Panic(info) => Ok(info
                .payload
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    pub(crate) fn panic_text(&self) -> &str {
        match &self.repr {
            Repr::Panic(info) => &info.message,
            Repr::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(info) => write!(f, "task {} panicked: {}", self.id, info.message),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled(task {})", self.id),
            Repr::Panic(info) => {
                write!(f, "JoinError::Panic(task {}, {:?})", self.id, info.message)
            }
        }
    }
}

impl std::error::Error for JoinError {}
