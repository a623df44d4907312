//! Time: [`sleep`], [`timeout`], [`interval`], the paused clock ([`pause`],
//! [`advance`], [`resume`]) and its [`Instant`].
//!
//! **Naive approach:** `std::thread::sleep(d)` inside a task. **Its problem:**
//! it puts the *thread* to sleep, and with it every other task
//! (`examples/blocking.rs` shows the frozen heartbeat). So a [`Sleep`]
//! registers its waker in the runtime's deadline map (`time/deadline_map.rs`) and
//! returns `Pending`; the loop turns the earliest deadline into the reactor's
//! wait timeout, so a sleeping runtime costs no CPU, and fires the entry when
//! it is due.
//!
//! # The clock
//! **Naive approach:** every timer reads `std::time::Instant::now()`.
//! **Its problem:** tests cannot control time. A test of a 30-second timeout
//! waits 30 real seconds; a test of "the retry fires after 100 ms" flakes
//! when the machine is loaded, because "100 ms later" is whenever the OS lets
//! the thread run again.
//!
//! **What ramen does** (as tokio does): every deadline is a
//! [`time::Instant`](Instant) read from the *runtime's* clock (`clock.rs`).
//! Normally that clock is the OS clock. [`pause`] (or
//! [`Builder::start_paused`](crate::Builder::start_paused)) freezes it; from
//! then on time moves only when
//! - the test says so: [`advance`] walks it forward, firing timers in
//!   deadline order, or
//! - the runtime has nothing else to do: it **auto-advances** to the next
//!   timer deadline instead of sleeping (unless a
//!   [`spawn_blocking`](crate::spawn_blocking) job is in flight; see
//!   [`pause`]).
//!
//! So `sleep(Duration::from_secs(3600)).await` in a paused test returns at
//! once, with `Instant::now()` exactly one hour later, and a timeout fires at
//! exactly its deadline, every run. `std::time::Instant` is never affected:
//! code that must measure real time uses it.
//!
//! **Cost when never paused:** [`Instant::now`] tests one process-wide flag
//! ("has any runtime ever paused?") before calling the OS clock; the loop
//! and a polled `Sleep` test their runtime's own flag (`Clock::now`). A
//! `Sleep` re-polled while registered also reads the thread-local "current
//! runtime" pointer (to notice it moved runtimes). Measured with callgrind
//! on a loop of 420,000 `sleep`s and 220,000 `Sleep` polls (release build):
//! 89.4 M instructions before the paused clock existed, 95.3 M after, about
//! 9 per operation (`sleep` itself gained one load, one branch and two
//! register saves; the rest is the thread-local read in `Sleep::poll`).
//!
//! # Never early
//! A timer fires only when the clock's `now() >= deadline` at the moment the
//! loop checks; a deadline equal to now is due. It may fire *late* by however
//! long other tasks hold the thread — the cooperative bargain.
//!
//! # Far deadlines
//! `sleep(Duration::MAX)`, `timeout(Duration::MAX, f)` and the ticks of
//! `interval(Duration::MAX)` saturate to about 30 years ahead: they never
//! panic and never fire in practice.
//!
//! # A sleep moved between runtimes
//! A [`Sleep`] registers with the runtime that polls it. If a later poll
//! comes from another runtime (the first still alive or not), it removes its
//! old entry and registers with the new one, so it fires there.

mod clock;
mod deadline_map;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub(crate) use clock::Clock;
pub use clock::{advance, pause, resume};
pub(crate) use deadline_map::{TimerKey, Timers};
pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
