//! Tasks: [`spawn`], [`JoinHandle`], [`JoinError`], [`yield_now`], and
//! [`unconstrained`] (the opt-out of the cooperative budget, `coop.rs`):
//! the names a tokio user reaches for under `task::`.
//!
//! A task is one block of memory holding its state word, its future (then
//! its output) and its join waker: see `rt/task/raw.rs` for the block and
//! `rt/task/state.rs` for the state machine. Polls run under
//! `catch_unwind`, so a panic becomes a [`JoinError`].
//!
//! Panics follow tokio's rules: a task that panics has its future dropped
//! *during* the unwind (its destructors see `thread::panicking()`); a future
//! that panics while being dropped (also when aborted or cancelled) makes the
//! task a panicked one; and an output whose destructor panics when nobody
//! reads it — its handle dropped — is contained and reported on stderr, never
//! unwound into the loop or into whoever dropped the handle.

pub use crate::coop::{Unconstrained, unconstrained};
pub(crate) use crate::rt::task::panic_message;
pub use crate::rt::task::{JoinError, JoinHandle};
pub use crate::spawn::{spawn, yield_now};
