//! The runtime's clock: real, or paused for tests ([`pause`], [`resume`],
//! [`advance`]).
//!
//! **Naive approach:** every timer reads `std::time::Instant::now()`.
//! **Its problem:** a test of a 30-second timeout then takes 30 seconds and
//! flakes on a loaded machine; nothing can make time pass faster.
//!
//! **What this file does:** each runtime owns a [`Clock`] (inside its
//! `Timers`). It has three states:
//! - `Real` (`touched == false`): `now()` is `std::time::Instant::now()`
//!   behind one branch; a runtime that never pauses stays here.
//! - `Paused` (`unfrozen == None`): `now()` returns `base`, which only
//!   [`advance`] and the loop's auto-advance move forward.
//! - `Resumed` (`unfrozen == Some(at)`): `now()` is `base + at.elapsed()`:
//!   time runs at the real rate again from where the paused clock stood.
//!
//! Transitions: `Real → Paused` and `Resumed → Paused` by [`pause`] (or
//! `Builder::start_paused`), `Paused → Resumed` by [`resume`]; a paused clock
//! moves only forward. Pausing twice or resuming a running clock panics, as
//! in tokio.
//!
//! # Auto-advance (what `event_loop.rs` asks of [`Clock::auto_advance`])
//! When the clock is paused and the loop has nothing to run, it polls the
//! reactor without blocking; if that woke no task (no I/O event, no wake
//! from another thread) it jumps the clock to the earliest timer deadline
//! and fires it, instead of sleeping. With no timer at all it waits for I/O
//! as usual. As in
//! tokio, tasks awaiting sockets do **not** prevent this (a paused test with
//! a 30 s timeout around a read that never completes times out at once),
//! while a `spawn_blocking` job in flight **does**: its result is work the
//! runtime is waiting for, and jumping past it would make every timeout
//! around it fire. Then the loop waits, in real time, as it would unpaused.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::context;
use crate::time::Instant;
use crate::time::Timers;

/// Set (forever) by the first pause of any runtime in the process, so that
/// [`Instant::now`] outside paused tests is one relaxed load and one branch
/// before the OS clock (tokio keeps the same flag). Relaxed is enough: a
/// runtime is `!Send`, so the thread that paused a clock is the thread that
/// reads it; other threads' runtimes are not paused and read the OS clock
/// whatever they see.
static PAUSED_ANYWHERE: AtomicBool = AtomicBool::new(false);

#[inline]
pub(crate) fn paused_anywhere() -> bool {
    PAUSED_ANYWHERE.load(Ordering::Relaxed)
}

/// One runtime's clock; single-threaded (see the module docs for states).
pub(crate) struct Clock {
    /// False until the first pause: `now()` is then the OS clock.
    touched: Cell<bool>,
    /// The paused time, or the time at which the clock last resumed.
    base: Cell<Instant>,
    /// `Some(real instant of the resume)` while running, `None` while paused.
    unfrozen: Cell<Option<std::time::Instant>>,
}

impl Clock {
    /// A real clock, or a paused one reading the current time if `paused`.
    pub(crate) fn new(paused: bool) -> Clock {
        let clock = Clock {
            touched: Cell::new(false),
            base: Cell::new(Instant::std_now()),
            unfrozen: Cell::new(None),
        };
        if paused {
            clock.pause();
        }
        clock
    }

    /// The current time on this clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        if !self.touched.get() {
            return Instant::std_now(); // the unpaused path: one branch
        }
        self.touched_now()
    }

    #[cold]
    fn touched_now(&self) -> Instant {
        match self.unfrozen.get() {
            None => self.base.get(),
            Some(at) => self.base.get().saturating_add(at.elapsed()),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.touched.get() && self.unfrozen.get().is_none()
    }

    /// `Real | Resumed → Paused`. Returns false if it was already paused.
    pub(crate) fn pause(&self) -> bool {
        if self.is_paused() {
            return false;
        }
        let now = self.now();
        self.base.set(now);
        self.unfrozen.set(None);
        self.touched.set(true);
        PAUSED_ANYWHERE.store(true, Ordering::Relaxed);
        debug_assert!(self.is_paused());
        true
    }

    /// `Paused → Resumed`. Returns false if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        if !self.is_paused() {
            return false;
        }
        self.unfrozen.set(Some(std::time::Instant::now()));
        debug_assert!(!self.is_paused());
        true
    }

    /// Moves a paused clock forward to `to` (never backwards).
    pub(crate) fn set_paused(&self, to: Instant) {
        debug_assert!(self.is_paused(), "only a paused clock is moved by hand");
        if to > self.base.get() {
            self.base.set(to);
        }
    }

    /// What the idle loop does about `deadline` (the earliest timer), given
    /// whether a `spawn_blocking` job is in flight: `Some(deadline)` means
    /// "poll I/O without blocking, then jump there if nothing happened".
    pub(crate) fn auto_advance(
        &self,
        deadline: Option<Instant>,
        blocking: bool,
    ) -> Option<Instant> {
        if !self.touched.get() || blocking || !self.is_paused() {
            return None;
        }
        deadline
    }
}

const OUTSIDE: &str = "outside a ramen runtime: the clock belongs to a runtime; call it inside \
                       ramen::block_on(async { ... }) or Runtime::block_on, or build the runtime \
                       with Runtime::builder().start_paused(true)";

fn current_timers(what: &str) -> Rc<Timers> {
    context::with_current(|core| core.timers().clone())
        .unwrap_or_else(|| panic!("ramen::time::{what} called {OUTSIDE}"))
}

/// Pauses the current runtime's clock: from now on [`Instant::now`] returns
/// the saved time, which only [`advance`] and auto-advance move.
///
/// `std::time::Instant` is not affected. Deadlines of sleeps, timeouts and
/// intervals are instants on this clock, so a paused clock makes them
/// deterministic: see the module docs of [`crate::time`].
///
/// # Auto-advance
/// While paused, a runtime with no task to run polls its sockets without
/// blocking and, if none is ready, jumps the clock to the next timer deadline
/// at once: `sleep(Duration::from_secs(3600)).await` completes immediately.
/// As in tokio, tasks waiting on I/O do not stop this, while a
/// [`spawn_blocking`](crate::spawn_blocking) job in flight (queued or
/// running) does: the runtime then waits for it in real time.
///
/// # Panics
/// If the clock is already paused, or if called outside a ramen runtime
/// (every ramen runtime is single-threaded, so tokio's "current_thread only"
/// condition always holds).
pub fn pause() {
    if !current_timers("pause").clock.pause() {
        panic!("ramen::time::pause: time is already frozen (paused twice?)");
    }
}

/// Resumes the current runtime's clock: time runs at the real rate again,
/// continuing from the paused value (it does not jump back to the OS clock).
///
/// # Panics
/// If the clock is not paused, or if called outside a ramen runtime.
pub fn resume() {
    if !current_timers("resume").clock.resume() {
        panic!("ramen::time::resume: time is not frozen; call ramen::time::pause() first");
    }
}

/// Advances the paused clock by `duration`, firing the timers it passes in
/// deadline order.
///
/// Unlike tokio, which jumps in one step and fires the passed timers "at the
/// same time", ramen steps through them: the clock is set to each deadline
/// in turn and this task yields, so the tasks woken there run (and may
/// register more timers inside the window) before the clock moves on. A
/// task woken by a timer therefore sees `Instant::now()` equal to its
/// deadline, and an `Interval` ticks at each exact instant. When it returns,
/// `Instant::now()` is the old time plus `duration`.
///
/// A duration too large to add saturates to about 30 years ahead; it never
/// panics for overflow.
///
/// ```
/// use std::time::Duration;
/// use ramen::time::{Instant, advance, pause, sleep};
/// ramen::block_on(async {
///     pause();
///     let start = Instant::now();
///     let timer = ramen::spawn(async move {
///         sleep(Duration::from_secs(3)).await;
///         start.elapsed() // what the woken task sees
///     });
///     ramen::yield_now().await; // let it register its sleep
///     advance(Duration::from_secs(5)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
///     assert_eq!(timer.await.unwrap(), Duration::from_secs(3));
/// });
/// ```
///
/// # Cancellation
/// Dropped before completion, the clock stays where the last step put it
/// (between the old time and the target); no timer is lost.
///
/// # Panics
/// If the clock is not paused, or if called outside a ramen runtime.
pub async fn advance(duration: Duration) {
    let timers = current_timers("advance");
    if !timers.clock.is_paused() {
        panic!(
            "ramen::time::advance: time is not frozen; call ramen::time::pause() first \
             (or build the runtime with Runtime::builder().start_paused(true))"
        );
    }
    let target = timers.clock.now().saturating_add(duration);
    loop {
        // A `resume()` from another task during our yield ends the walk.
        if !timers.clock.is_paused() {
            return;
        }
        let step = timers
            .next_deadline()
            .filter(|d| *d <= target)
            .unwrap_or(target);
        timers.clock.set_paused(step);
        // The loop's turn fires the timers due at `step` and queues their
        // tasks ahead of this one (see `yield_now`).
        crate::rt::yield_now::yield_now().await;
        if timers.clock.now() >= target {
            return;
        }
    }
}
