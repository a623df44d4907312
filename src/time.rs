//! Time: [`sleep`], [`sleep_until`], [`timeout`] and [`interval`].
//!
//! **Naive approach:** `std::thread::sleep(d)` inside a task. **Its problem:**
//! it puts the *thread* to sleep, and with it every other task
//! (`examples/blocking.rs` shows the frozen heartbeat).
//!
//! **What this file does:** a [`Sleep`] future registers its waker in the
//! runtime's deadline map (`timers.rs`) and returns `Pending`. The loop turns
//! the earliest deadline into the reactor's wait timeout, so a sleeping
//! runtime costs no CPU, and fires the entry when it is due.
//!
//! # Never early
//! A timer fires only when `Instant::now() >= deadline` at the moment the loop
//! checks; a deadline equal to now is due. It may fire *late* by however long
//! other tasks hold the thread — the cooperative bargain.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context;
use crate::timers::{TimerKey, Timers};

/// Waits until `duration` has elapsed. See [`Sleep`].
pub fn sleep(duration: Duration) -> Sleep {
    // A duration too large to add saturates to "practically never".
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    sleep_until(deadline)
}

/// Waits until `deadline`. See [`Sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// Future returned by [`sleep`] and [`sleep_until`]: completes at its
/// deadline, never earlier.
///
/// It registers with the runtime on its first poll, so it can be created
/// anywhere but must be polled inside a ramen runtime.
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

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later), cancelling the old registration.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
    }

    fn cancel(&mut self) {
        if let Some((timers, key)) = self.entry.take() {
            timers.remove(key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        if let Some((timers, key)) = &self.entry {
            // Still in the map: not fired yet (this poll was spurious or came
            // from a sibling future in the same task). Keep the waker fresh.
            if timers.refresh(*key, cx.waker()) {
                return Poll::Pending;
            }
            // Gone from the map: it fired — or its runtime was dropped
            // (which clears the map). Only the clock can tell, so check it
            // and register again if the deadline is still ahead: never early.
            self.entry = None;
        }
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let timers = context::with_current(|core| core.timers.clone()).unwrap_or_else(|| {
            panic!(
                "ramen::time::Sleep polled outside a ramen runtime; use it inside ramen::block_on"
            )
        });
        let key = timers.insert(self.deadline, cx.waker().clone());
        self.entry = Some((timers, key));
        Poll::Pending
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

/// The error of [`timeout`]: the deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future` for at most `duration`: `Ok(output)` if it finishes first,
/// `Err(Elapsed)` otherwise.
///
/// # Cancellation
/// At the deadline the inner future is **dropped** (its destructors run)
/// before `Err(Elapsed)` is returned. A future is only ever stopped at one of
/// its `.await` points: a CPU loop that never awaits cannot be timed out.
/// Socket reads in ramen are cancel-safe: a read dropped by a timeout has
/// consumed no bytes, and the stream stays usable.
///
/// ```
/// use std::time::Duration;
/// ramen::block_on(async {
///     let slow = ramen::time::sleep(Duration::from_secs(10));
///     let r = ramen::time::timeout(Duration::from_millis(10), slow).await;
///     assert!(r.is_err());
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Some(future),
        sleep: sleep(duration),
    }
}

/// Future returned by [`timeout`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Timeout<F> {
    future: Option<F>,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: pin projection. `future` is structurally pinned: it is never
        // moved out of `self` — only polled through this `Pin` or dropped in
        // place by `Pin::set(None)`. `sleep` is `Unpin`, so handing out
        // `&mut Sleep` is fine. `Timeout` has no `Drop` impl and is not
        // `Unpin` unless `F` is, so nothing else can move `future`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above: `this.future` is pinned because `self` was.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let Some(inner) = future.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(Elapsed(())));
        };
        if let Poll::Ready(v) = inner.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // The deadline is checked even when the inner future spent the task's
        // cooperative budget (coop.rs): else a busy inner loop hides it.
        match Pin::new(&mut crate::task::unconstrained(&mut this.sleep)).poll(cx) {
            Poll::Ready(()) => {
                future.set(None); // drop the inner future now, in place
                Poll::Ready(Err(Elapsed(())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

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
/// # Panics
/// If `period` is zero.
pub fn interval(period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "ramen::time::interval: period must be non-zero"
    );
    let now = Instant::now();
    Interval {
        period,
        next: now,
        sleep: sleep_until(now),
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
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll form of [`Interval::tick`].
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.deadline() != self.next {
            self.sleep.reset(self.next);
        }
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.next;
        let now = Instant::now();
        self.next = match self.missed {
            MissedTickBehavior::Burst => scheduled + self.period,
            _ if now < scheduled + self.period => scheduled + self.period,
            MissedTickBehavior::Delay => now + self.period,
            MissedTickBehavior::Skip => {
                let behind = now.duration_since(scheduled).as_nanos();
                let periods = behind / self.period.as_nanos() + 1;
                let periods = u32::try_from(periods).unwrap_or(u32::MAX);
                scheduled + self.period * periods
            }
        };
        Poll::Ready(scheduled)
    }

    /// Chooses what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
