//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.
//!
//! **Naive approach:** `std::thread::sleep(d)` inside a task. **Its problem:**
//! it puts the *thread* to sleep, and with it every other task
//! (`examples/blocking.rs` shows the frozen heartbeat).
//!
//! **What this file does:** a [`Sleep`] registers its waker in the deadline map
//! of the runtime that polls it (`deadline_map.rs`) and returns `Pending`; the
//! loop turns the earliest deadline into the reactor's wait timeout and fires
//! the entry when it is due.
//!
//! # States of a `Sleep`
//! `Unregistered` (`entry == None`) → first poll with the deadline ahead →
//! `Registered(timers, key)`. A poll finding the key gone from the map (it
//! fired, or its runtime was dropped) checks the clock: `Ready` if due, else
//! registers again (never early). A poll from a *different* runtime than the
//! one it is registered with (issue 15, fix 7) removes the old entry and
//! registers with the polling runtime: a sleep follows whoever awaits it.
//! `reset` and drop go back to `Unregistered` by removing the entry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context;
use crate::time::Instant;
use crate::time::{TimerKey, Timers};

/// Waits until `duration` has elapsed on the runtime's clock. See [`Sleep`].
///
/// `sleep(Duration::MAX)` (or any duration that would overflow) sleeps
/// until about 30 years from now: practically forever, without panicking.
///
/// ```
/// use std::time::Duration;
/// ramen::block_on(async {
///     ramen::time::sleep(Duration::from_millis(5)).await;
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now().saturating_add(duration))
}

/// Waits until `deadline`. See [`Sleep`].
///
/// Takes a [`ramen::time::Instant`](Instant) (paused-aware, like tokio's)
/// or a `std::time::Instant` (ramen's first API, which code written against
/// it keeps passing): both convert `Into<Instant>`. The one thing this
/// costs: `sleep_until(x.into())` with an unnamed target type does not
/// infer; pass `x` itself.
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    let deadline = deadline.into();
    Sleep {
        deadline,
        entry: None,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]: completes at its
/// deadline, never earlier.
///
/// It registers with the runtime on its first poll, so it can be created
/// anywhere but must be polled inside a ramen runtime. Polled by another
/// runtime later (say, handed from one `block_on` to the next while the first
/// runtime is still alive), it moves its registration there: the deadline is
/// then read on the new runtime's clock.
///
/// # Cancellation
/// Dropping a `Sleep` removes its timer entry at once (O(log n)); nothing is
/// left behind in the runtime.
///
/// # Panics
/// If polled outside a ramen runtime.
#[must_use = "futures do nothing unless you .await them"]
pub struct Sleep {
    deadline: Instant,
    entry: Option<(Rc<Timers>, TimerKey)>,
}

impl Sleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed on the current clock
    /// ([`Instant::now`]).
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later), cancelling the old
    /// registration; the next poll registers the new one. The signature is
    /// tokio's; `Sleep` is `Unpin`, so `Pin::new(&mut sleep).reset(d)` works.
    pub fn reset(self: Pin<&mut Self>, deadline: impl Into<Instant>) {
        let deadline = deadline.into();
        let this = self.get_mut();
        this.cancel();
        this.deadline = deadline;
    }

    fn cancel(&mut self) {
        if let Some((timers, key)) = self.entry.take() {
            timers.remove(key);
        }
    }

    fn poll_with(&mut self, current: &Rc<Timers>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((timers, key)) = &self.entry {
            if Rc::ptr_eq(timers, current) {
                // Still in the map: not fired yet (this poll was spurious or
                // came from a sibling future in the same task). Keep the
                // waker fresh.
                if timers.refresh(*key, cx.waker()) {
                    return Poll::Pending;
                }
                // Gone from the map: it fired — or its runtime was dropped
                // (which clears the map). Only the clock can tell.
            } else {
                // Registered with another runtime than the one polling now:
                // that one would wake a loop nobody is driving. Move here.
                timers.remove(*key);
            }
            self.entry = None;
        }
        if current.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        let key = current.insert(self.deadline, cx.waker().clone());
        self.entry = Some((current.clone(), key));
        Poll::Pending
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        let this = &mut *self;
        context::with_current(|core| this.poll_with(core.timers(), cx)).unwrap_or_else(|| {
            panic!(
                "ramen::time::Sleep polled outside a ramen runtime; use it inside ramen::block_on"
            )
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.entry.is_some())
            .finish()
    }
}
