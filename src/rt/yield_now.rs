//! [`yield_now`]: a task gives the thread to every other ready task, and to
//! the reactor and timers, before it resumes.
//!
//! **Naive approach:** wake yourself and return `Pending`. **Its problem:**
//! the task goes to the back of the run queue, but the loop only checks I/O
//! and timers once the queue is empty or the budget is spent: a task that
//! yields in a loop keeps sockets waiting. **What this file does:** the
//! waker goes to the loop's *deferred* list (`Core::defer`), released only
//! after the next reactor turn (`Core::release_yielders`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::context;

/// Gives the thread to every other ready task, and lets the reactor and
/// timers run, before resuming.
///
/// Use it inside long CPU loops so one task does not starve the others
/// (`examples/starvation.rs` measures the difference).
///
/// # How
/// The first poll hands its waker to the runtime's *deferred* list and returns
/// `Pending`. The loop releases deferred wakers only after its next reactor
/// turn, so every task that was ready runs once (FIFO) and I/O and timers are
/// checked before this task resumes. Outside a ramen runtime it simply wakes
/// itself at once.
///
/// # Cancellation
/// Dropping it before it completes loses nothing; the task just is not resumed.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        if context::with_current(|core| core.defer(cx.waker())).is_none() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
