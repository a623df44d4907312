//! [`interval`] and [`interval_at`]: a tick every period.
//!
//! **Naive approach:** `loop { work().await; sleep(period).await }`.
//! **Its problem:** the period drifts by however long `work` and the loop
//! take, and a late task cannot tell it missed ticks.
//!
//! **What this file does:** an [`Interval`] keeps the *scheduled* instant of
//! the next tick (`next`) and one reusable [`Sleep`]; each tick moves `next`
//! on the grid `start + n * period`, or as [`MissedTickBehavior`] says when
//! the task was late. All arithmetic saturates to the far future, so
//! `interval(Duration::MAX)` ticks once at once and then never.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::time::{Instant, Sleep, sleep_until};

/// What an [`Interval`] does when ticks were missed (the task was late by
/// more than one period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks immediately, one per `tick()`, until caught up;
    /// the schedule stays `start + n * period`. (Default, as in tokio.)
    #[default]
    Burst,
    /// Fire once now, then continue `period` after *now*: the schedule shifts.
    Delay,
    /// Fire once now, then continue on the original grid, skipping the missed
    /// slots.
    Skip,
}

/// Yields every `period`; the first tick completes at once.
///
/// `interval(Duration::MAX)` ticks once, at once, and then never.
///
/// # Panics
/// If `period` is zero, with tokio's message "`period` must be non-zero."
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Like [`interval`], but the first tick completes at `start`.
///
/// # Panics
/// If `period` is zero, with tokio's message "`period` must be non-zero."
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    let start = start.into();
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval {
        period,
        next: start,
        sleep: sleep_until(start),
        missed: MissedTickBehavior::Burst,
    }
}

/// A stream of ticks, see [`interval`].
///
/// # Missed ticks
/// If the task is late (another task held the thread, or it did slow work
/// between ticks), what happens is set by [`MissedTickBehavior`]; the default
/// `Burst` returns the missed ticks back to back.
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// When the next tick is scheduled (what `tick` returns).
    next: Instant,
    sleep: Sleep,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// # Cancellation
    /// Dropping a pending `tick()` loses no tick: the next call waits for the
    /// same one.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll form of [`Interval::tick`]: `Ready(scheduled instant)` when the
    /// next tick is due; otherwise `Pending`, and `cx`'s waker is woken at the
    /// tick. Only the waker of the latest call is kept.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.deadline() != self.next {
            Pin::new(&mut self.sleep).reset(self.next);
        }
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        let now = Instant::now();
        let on_grid = scheduled.saturating_add(self.period);
        self.next = match self.missed {
            MissedTickBehavior::Burst => on_grid,
            _ if now < on_grid => on_grid,
            MissedTickBehavior::Delay => now.saturating_add(self.period),
            MissedTickBehavior::Skip => {
                // The first grid slot after `now`.
                let behind = now.duration_since(scheduled).as_nanos();
                let periods = behind / self.period.as_nanos() + 1;
                let periods = u32::try_from(periods).unwrap_or(u32::MAX);
                let ahead = self.period.checked_mul(periods).unwrap_or(Duration::MAX);
                scheduled.saturating_add(ahead)
            }
        };
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one `period` from now.
    pub fn reset(&mut self) {
        self.reset_at(Instant::now().saturating_add(self.period));
    }

    /// The next tick completes at once; the grid restarts from now.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// The next tick is `after` from now; the grid restarts from there.
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(Instant::now().saturating_add(after));
    }

    /// The next tick is at `deadline`; the grid restarts from there.
    pub fn reset_at(&mut self, deadline: impl Into<Instant>) {
        let deadline = deadline.into();
        self.next = deadline;
    }

    /// Chooses what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// What happens to missed ticks (default [`MissedTickBehavior::Burst`]).
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
