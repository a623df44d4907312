//! [`select`] and [`select_all`]: wait for the first of several futures.
//!
//! **Naive approach:** spawn each future and wait for whichever `JoinHandle`
//! finishes first. **Its problems:** the losers keep running (nobody cancels
//! them), and the futures must be `'static`.
//!
//! **What this file does:** one future polls the candidates in turn, returns
//! the first output, and *drops the others on the spot* — which cancels them
//! (every ramen future documents what being dropped means in its
//! `# Cancellation` section). Polling order is fixed, so the selection is
//! **biased**: if several are ready at the same poll, the first in order wins.
//! Put the most important future (a shutdown signal, say) first.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One of two values: the output of [`select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// Waits for the first of `a` and `b` to finish, then drops the other.
///
/// Biased: `a` is polled first on every wake, so if both are ready `a` wins.
///
/// # Cancellation
/// The losing future is dropped as soon as the winner's output is returned
/// (inside that poll). Dropping the `Select` before either finishes drops both.
///
/// ```
/// use std::time::Duration;
/// use ramen::{Either, select, time::sleep};
/// ramen::block_on(async {
///     let fast = async { sleep(Duration::from_millis(1)).await; "fast" };
///     let slow = async { sleep(Duration::from_secs(60)).await; 0 };
///     assert_eq!(select(slow, fast).await, Either::Right("fast"));
/// });
/// ```
pub fn select<A: Future, B: Future>(a: A, b: B) -> Select<A, B> {
    Select {
        a: Some(a),
        b: Some(b),
    }
}

/// Future of [`select`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Select<A, B> {
    a: Option<A>,
    b: Option<B>,
}

impl<A: Future, B: Future> Future for Select<A, B> {
    type Output = Either<A::Output, B::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `a` and `b` are structurally pinned: they are never moved
        // out of `self`, only polled through `Pin::new_unchecked` on their
        // place and dropped in place by assigning `None`. `Select` has no
        // `Unpin` impl of its own and no `Drop` impl that could move them.
        let this = unsafe { self.get_unchecked_mut() };
        let out = if let Some(a) = this.a.as_mut() {
            // SAFETY: `a` is pinned with `self` (see above).
            match unsafe { Pin::new_unchecked(a) }.poll(cx) {
                Poll::Ready(v) => Some(Either::Left(v)),
                Poll::Pending => None,
            }
        } else {
            panic!("ramen::select polled after completion")
        };
        let out = match (out, this.b.as_mut()) {
            (Some(out), _) => out,
            // SAFETY: `b` is pinned with `self` (see above).
            (None, Some(b)) => match unsafe { Pin::new_unchecked(b) }.poll(cx) {
                Poll::Ready(v) => Either::Right(v),
                Poll::Pending => return Poll::Pending,
            },
            (None, None) => unreachable!("`a` and `b` are emptied together"),
        };
        // Drop both in place: the loser is cancelled now, not when the
        // `Select` itself is dropped.
        this.a = None;
        this.b = None;
        Poll::Ready(out)
    }
}

/// Waits for the first of many futures of one type; returns its output and
/// its index in the iterator, and drops the rest.
///
/// Each future is boxed (one allocation each) so the set can be any size.
/// Biased: lower indices are polled first on every wake; each wake polls
/// every future, so for hundreds of futures prefer tasks and a
/// [`JoinSet`](crate::JoinSet).
///
/// # Cancellation
/// The losers are dropped inside the poll that returns the winner. Dropping
/// the `SelectAll` drops them all.
///
/// # Panics
/// If the iterator is empty (there would be nothing to wait for, forever).
///
/// ```
/// ramen::block_on(async {
///     let futs = (0..3u64).map(|i| async move {
///         ramen::time::sleep(std::time::Duration::from_millis(30 - 10 * i)).await;
///         i * 100
///     });
///     assert_eq!(ramen::select_all(futs).await, (200, 2));
/// });
/// ```
pub fn select_all<I>(futures: I) -> SelectAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    assert!(
        !futures.is_empty(),
        "ramen::select_all called with no futures: it would never complete"
    );
    SelectAll { futures }
}

/// Future of [`select_all`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct SelectAll<F> {
    futures: Vec<Pin<Box<F>>>,
}

impl<F: Future> Future for SelectAll<F> {
    type Output = (F::Output, usize);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(
            !self.futures.is_empty(),
            "ramen::select_all polled after completion"
        );
        let found =
            self.futures
                .iter_mut()
                .enumerate()
                .find_map(|(i, f)| match f.as_mut().poll(cx) {
                    Poll::Ready(v) => Some((v, i)),
                    Poll::Pending => None,
                });
        match found {
            Some(out) => {
                self.futures.clear(); // cancel the losers now
                Poll::Ready(out)
            }
            None => Poll::Pending,
        }
    }
}
