//! A counting semaphore with fair (FIFO) waiting; [`Mutex`](super::Mutex) is
//! built on it.
//!
//! **Naive approach:** an atomic counter; `acquire` loops on
//! `compare_exchange` and yields while it is 0. **Its problems:** yielding is
//! spinning (the task keeps getting polled for nothing), and there is no order:
//! a task that just arrived can win over one that has waited for a second.
//!
//! **What this file does:** the count and a [`WaitList`] share one lock.
//! `acquire` takes a permit at once only if nobody is queued; otherwise it
//! queues. A released permit is *handed* to the front waiter (its entry's
//! state becomes `Granted`, the count does not go up) before it is woken; a
//! waiter dropped between being granted and observing it releases the permit
//! again, which hands it to the next waiter.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{WaitList, Wakers};
use crate::loom::{Mutex, lock};

/// A counting semaphore: `acquire().await` waits until one of `n` permits is
/// free; the permit goes back when the [`SemaphorePermit`] drops.
///
/// Waiters are served in FIFO order.
///
/// ```
/// ramen::block_on(async {
///     let sem = ramen::sync::Semaphore::new(2);
///     let a = sem.acquire().await.unwrap();
///     let _b = sem.acquire().await.unwrap();
///     assert_eq!(sem.available_permits(), 0);
///     drop(a);
///     assert_eq!(sem.available_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    permits: usize,
    closed: bool,
    waiters: WaitList<Grant>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Grant {
    Waiting,
    /// One permit was handed to this waiter.
    Granted,
    Closed,
}

/// Error of [`Semaphore::acquire`]: the semaphore was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}
impl std::error::Error for AcquireError {}

/// Error of [`Semaphore::try_acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// No permit is free now (or others are already waiting for one).
    NoPermits,
    /// The semaphore was closed.
    Closed,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::NoPermits => f.write_str("no permits available"),
            TryAcquireError::Closed => f.write_str("semaphore closed"),
        }
    }
}
impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Permits free right now (permits already handed to a woken waiter are
    /// not counted).
    pub fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    /// Adds `n` permits, handing them to waiters first (FIFO).
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Closes the semaphore: every waiting and future `acquire` fails with
    /// [`AcquireError`]. Permits already held stay valid.
    pub fn close(&self) {
        let mut wakers = Wakers::default();
        {
            let mut st = lock(&self.state);
            st.closed = true;
            while let Some(w) = st.waiters.pop_front(Grant::Closed) {
                wakers.push(w);
            }
        }
        wakers.wake_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Takes a permit without waiting. Fails if none is free, or if others
    /// are queued for one (fairness: they came first).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut st = lock(&self.state);
        if st.closed {
            Err(TryAcquireError::Closed)
        } else if st.permits > 0 && !st.waiters.has_queued() {
            st.permits -= 1;
            Ok(SemaphorePermit { sem: self })
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Waits for a permit.
    ///
    /// # Cancellation
    /// Dropping the future before it completes leaves the queue. If a permit
    /// had already been handed to it, the permit goes to the next waiter (or
    /// back to the count): no permit and no wakeup is lost.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            sem: self,
            key: None,
        }
    }

    /// Gives `n` permits back: to queued waiters first, the rest to the count.
    fn release(&self, mut n: usize) {
        let mut wakers = Wakers::default();
        {
            let mut st = lock(&self.state);
            while n > 0 && !st.closed {
                match st.waiters.pop_front(Grant::Granted) {
                    Some(w) => wakers.push(w),
                    None => break,
                }
                n -= 1;
            }
            st.permits += n;
        }
        wakers.wake_all();
    }

    /// The poll behind [`Acquire`]; `Ready(false)` means closed.
    fn poll_acquire(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut st = lock(&self.state);
        match *key {
            None => {
                if st.closed {
                    return Poll::Ready(false);
                }
                if st.permits > 0 && !st.waiters.has_queued() {
                    st.permits -= 1;
                    return Poll::Ready(true);
                }
                *key = Some(st.waiters.push_back(cx.waker(), Grant::Waiting));
                Poll::Pending
            }
            Some(k) => match *st.waiters.state(k) {
                Grant::Waiting => {
                    st.waiters.set_waker(k, cx.waker());
                    Poll::Pending
                }
                grant => {
                    st.waiters.remove(k);
                    *key = None;
                    Poll::Ready(grant == Grant::Granted)
                }
            },
        }
    }

    /// A pending acquire is dropped: leave the queue, pass on a grant.
    fn cancel_acquire(&self, key: usize) {
        let granted = lock(&self.state).waiters.remove(key) == Grant::Granted;
        if granted {
            self.release(1);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("permits", &st.permits)
            .field("closed", &st.closed)
            .finish()
    }
}

/// Future of [`Semaphore::acquire`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Acquire<'a> {
    sem: &'a Semaphore,
    key: Option<usize>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        let this = &mut *self;
        let sem = this.sem;
        sem.poll_acquire(&mut this.key, cx).map(|ok| {
            if ok {
                Ok(SemaphorePermit { sem })
            } else {
                Err(AcquireError(()))
            }
        })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.sem.cancel_acquire(key);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("queued", &self.key.is_some())
            .finish()
    }
}

/// One permit of a [`Semaphore`]; dropping it gives the permit back.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken forever (the semaphore has one fewer).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphorePermit")
    }
}
