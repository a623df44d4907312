//! [`timeout`] and [`timeout_at`]: run a future against a deadline.
//!
//! **Naive approach:** race the future against a sleep and keep both alive
//! until the `Timeout` is dropped (what tokio does). **Its problem:** the
//! loser's resources (a socket borrow, a lock guard held across an await)
//! stay held after `Err(Elapsed)` was returned, until the caller drops the
//! `Timeout` — in a loop that keeps it in scope, surprisingly long.
//!
//! **What this file does:** polls the inner future first (a future that is
//! ready at the deadline wins), then the [`Sleep`]; at the deadline it drops
//! the inner future in place before returning `Err(Elapsed)`.
//! States: `Running` (`future: Some`) → `Elapsed` (`future: None`, only after
//! the sleep fired); an `Ok` completion leaves it `Running` but finished.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::time::{Instant, Sleep, sleep, sleep_until};

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
/// `Err(Elapsed)` otherwise. `timeout(Duration::MAX, f)` behaves as `f`
/// (its deadline is about 30 years ahead; nothing overflows).
///
/// # Cancellation
/// At the deadline the inner future is **dropped** (its destructors run)
/// before `Err(Elapsed)` is returned. A future is only ever stopped at one of
/// its `.await` points: a CPU loop that never awaits cannot be timed out.
/// Socket reads in ramen are cancel-safe: a read dropped by a timeout has
/// consumed no bytes, and the stream stays usable. Dropping the `Timeout`
/// itself drops the inner future and cancels the timer.
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

/// Runs `future` until `deadline` at most: [`timeout`] with an instant.
///
/// # Cancellation
/// As [`timeout`].
pub fn timeout_at<F: Future>(deadline: impl Into<Instant>, future: F) -> Timeout<F> {
    let deadline = deadline.into();
    Timeout {
        future: Some(future),
        sleep: sleep_until(deadline),
    }
}

/// Future returned by [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Timeout<F> {
    future: Option<F>,
    sleep: Sleep,
}

const DROPPED: &str = "ramen::time::Timeout: the inner future was dropped when the deadline \
                       passed (see timeout's # Cancellation); do not use it after Err(Elapsed)";

impl<F> Timeout<F> {
    /// The inner future.
    ///
    /// # Panics
    /// After this `Timeout` returned `Err(Elapsed)`: the inner future was
    /// dropped at the deadline.
    pub fn get_ref(&self) -> &F {
        self.future.as_ref().expect(DROPPED)
    }

    /// The inner future, mutably (only reachable while the `Timeout` is not
    /// pinned, or when `F: Unpin`).
    ///
    /// # Panics
    /// As [`Timeout::get_ref`].
    pub fn get_mut(&mut self) -> &mut F {
        self.future.as_mut().expect(DROPPED)
    }

    /// Gives the inner future back, cancelling the timer.
    ///
    /// # Panics
    /// As [`Timeout::get_ref`].
    pub fn into_inner(self) -> F {
        self.future.expect(DROPPED)
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: pin projection. `future` is structurally pinned: it is never
        // moved out of `self` while pinned — only polled through this `Pin` or
        // dropped in place by `Pin::set(None)` (`get_mut`/`into_inner` need an
        // unpinned `Timeout` or `F: Unpin`). `sleep` is `Unpin`, so handing
        // out `&mut Sleep` is fine. `Timeout` has no `Drop` impl and is not
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
        match Pin::new(&mut crate::coop::unconstrained(&mut this.sleep)).poll(cx) {
            Poll::Ready(()) => {
                future.set(None); // drop the inner future now, in place
                debug_assert!(this.future.is_none(), "Running → Elapsed");
                Poll::Ready(Err(Elapsed(())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("future", &self.future)
            .field("sleep", &self.sleep)
            .finish()
    }
}
