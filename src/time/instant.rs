//! [`Instant`]: a point on the runtime's clock.
//!
//! **Naive approach:** use `std::time::Instant` everywhere. **Its problem:**
//! `std::time::Instant::now()` always reads the OS clock, so a test cannot
//! pause or advance it (see the module docs of [`crate::time`]).
//!
//! **What this file does:** a thin `Copy` wrapper around
//! `std::time::Instant` whose [`Instant::now`] asks the current runtime's
//! clock (`clock.rs`): the OS clock unless that runtime's time is paused.
//! All arithmetic is the std arithmetic on the wrapped value.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::context;

/// A measurement of the current runtime's clock, like `std::time::Instant`
/// but paused-aware (tokio's `time::Instant`).
///
/// [`Instant::now`] inside a runtime whose clock is paused (see
/// [`pause`](crate::time::pause)) returns the frozen time; everywhere else
/// it is `std::time::Instant::now()`. Convert with [`Instant::from_std`] /
/// `From`, and back with [`Instant::into_std`].
///
/// ```
/// use std::time::Duration;
/// use ramen::time::Instant;
/// let rt = ramen::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     ramen::time::sleep(Duration::from_secs(3600)).await; // no real waiting
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: std::time::Instant,
}

impl Instant {
    /// The current runtime's time (frozen while its clock is paused), or
    /// `std::time::Instant::now()` outside a runtime.
    pub fn now() -> Instant {
        // Until some runtime pauses, skip even the thread-local lookup.
        if !super::clock::paused_anywhere() {
            return Instant::std_now();
        }
        context::with_current(|core| core.timers().clock.now()).unwrap_or_else(Instant::std_now)
    }

    /// The OS clock, ignoring any paused runtime.
    pub(crate) fn std_now() -> Instant {
        Instant::from_std(std::time::Instant::now())
    }

    /// Wraps a `std::time::Instant`.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { std }
    }

    /// The wrapped `std::time::Instant`.
    pub fn into_std(self) -> std::time::Instant {
        self.std
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time since `self` on the current runtime's clock (see [`Instant::now`]);
    /// zero if `self` is in the future.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` if that is not representable.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_add(duration).map(Instant::from_std)
    }

    /// `self - duration`, or `None` if that is not representable.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_sub(duration).map(Instant::from_std)
    }

    /// About 30 years after `self`: the deadline of a sleep "forever"
    /// (`sleep(Duration::MAX)`), far enough to never fire and near enough to
    /// add to without overflow (tokio uses the same).
    #[cold]
    pub(crate) fn far_future_from(self) -> Instant {
        // `checked_add`: an instant already ~292 billion years out stays put.
        self.checked_add(Duration::from_secs(86_400 * 365 * 30))
            .unwrap_or(self)
    }

    /// `self + duration`, or [`Instant::far_future_from`] when the sum is not
    /// representable (tokio's rule for `sleep`). The far future is computed
    /// only then: this is on every `sleep`'s path.
    #[inline]
    pub(crate) fn saturating_add(self, duration: Duration) -> Instant {
        match self.checked_add(duration) {
            Some(t) => t,
            None => self.far_future_from(),
        }
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant::from_std(std)
    }
}

/// A ramen `Instant` compares with a std one (both are points on the same
/// monotonic clock while the runtime's clock is not paused).
impl PartialEq<std::time::Instant> for Instant {
    fn eq(&self, other: &std::time::Instant) -> bool {
        self.into_std() == *other
    }
}

impl PartialOrd<std::time::Instant> for Instant {
    fn partial_cmp(&self, other: &std::time::Instant) -> Option<std::cmp::Ordering> {
        self.into_std().partial_cmp(other)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(i: Instant) -> std::time::Instant {
        i.into_std()
    }
}

/// # Panics
/// If the result is not representable (as `std::time::Instant + Duration`);
/// use [`Instant::checked_add`] to avoid it.
impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, rhs: Duration) -> Instant {
        Instant::from_std(self.std + rhs)
    }
}

/// # Panics
/// As `Add<Duration>`.
impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

/// # Panics
/// If the result is not representable; use [`Instant::checked_sub`] to avoid it.
impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, rhs: Duration) -> Instant {
        Instant::from_std(self.std - rhs)
    }
}

/// # Panics
/// As `Sub<Duration>`.
impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

/// Saturating, as [`Instant::duration_since`]: zero if `rhs` is later.
impl Sub<Instant> for Instant {
    type Output = Duration;

    fn sub(self, rhs: Instant) -> Duration {
        self.duration_since(rhs)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}
