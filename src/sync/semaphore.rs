//! A counting semaphore with fair (FIFO) waiting; [`Mutex`](super::Mutex) is
//! built on it.
//!
//! **Naive approach:** an atomic counter; `acquire` loops on
//! `compare_exchange` and yields while it is 0. **Its problems:** yielding is
//! spinning (the task keeps getting polled for nothing), and there is no order:
//! a task that just arrived can win over one that has waited for a second.
//!
//! **What this file does:** the count and a [`WaitList`] share one lock.
//! `acquire_many(n)` takes its permits at once only if nobody is queued;
//! otherwise it queues a `Ticket` for `n`. Released permits are *handed*
//! to the front ticket (its `assigned` grows, the count does not go up) until
//! it has all it wants; only then is it unlinked and woken. A front ticket
//! that still wants more blocks every later (even smaller) ticket: FIFO, as
//! tokio does, so a large request cannot starve. A waiter dropped before it
//! observed its permits (all or some) releases them again, which hands them
//! to the next ticket. `Arc<Semaphore>` permits live in `semaphore_owned.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{WaitList, Wakers};
use super::waiter::{WaitQueue, Waiter};
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

/// Invariant (when not closed): `permits > 0` only if nobody is queued,
/// because released permits go to the front ticket first.
pub(crate) struct State {
    permits: usize,
    closed: bool,
    waiters: WaitList<Ticket>,
}

/// One queued `acquire_many(want)`.
///
/// States and transitions:
/// - *waiting* (linked, `assigned < want`, `!closed`): `release` raises
///   `assigned`; reaching `want` unlinks it → *granted*; `close` unlinks it
///   → *closed*;
/// - *granted* (unlinked, `assigned == want`): the next poll returns `Ok`;
/// - *closed* (unlinked, `closed`): the next poll returns `Err` and gives
///   the `assigned` part back.
///
/// Whatever the state, the owner removes the entry; the `assigned` permits
/// it did not keep are released.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Ticket {
    want: usize,
    assigned: usize,
    closed: bool,
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
    /// Not enough permits are free now (or others are already waiting).
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
    /// The largest number of permits a semaphore may hold: `usize::MAX >> 3`
    /// (as in tokio).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS), with tokio's
    /// message "a semaphore may not have more than MAX_PERMITS permits (…)".
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Permits free right now (permits already handed to a queued or woken
    /// waiter are not counted).
    pub fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    /// Adds `n` permits, handing them to waiters first (FIFO).
    ///
    /// # Panics
    /// If the count would exceed [`MAX_PERMITS`](Self::MAX_PERMITS), with
    /// tokio's message ("number of added permits (n) would overflow
    /// MAX_PERMITS (…)"). Nothing is added then.
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        {
            let st = lock(&self.state);
            assert!(
                n <= Self::MAX_PERMITS - st.permits,
                "number of added permits ({}) would overflow MAX_PERMITS ({})",
                n,
                Self::MAX_PERMITS
            );
        }
        self.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many it removed
    /// (fewer than `n` if fewer were free). Permits held are not touched.
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut st = lock(&self.state);
        let k = st.permits.min(n);
        st.permits -= k;
        k
    }

    /// Closes the semaphore: every waiting and future `acquire` fails with
    /// [`AcquireError`]. Permits already held stay valid.
    pub fn close(&self) {
        let mut wakers = Wakers::default();
        {
            let mut st = lock(&self.state);
            st.closed = true;
            while let Some(t) = st.waiters.front_mut().copied() {
                let closed = Ticket { closed: true, ..t };
                wakers.push(st.waiters.pop_front(closed).expect("front exists"));
            }
        }
        wakers.wake_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Takes a permit without waiting. Fails if none is free, or if others
    /// are queued (fairness: they came first).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits without waiting, or none (see
    /// [`try_acquire`](Self::try_acquire)).
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n as usize,
        })
    }

    /// Waits for a permit.
    ///
    /// # Cancellation
    /// Dropping the future before it completes leaves the queue (its place
    /// in line is lost). If a permit had already been handed to it, the
    /// permit goes to the next waiter (or back to the count): no permit and
    /// no wakeup is lost.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once. FIFO: while this waits at the front of
    /// the queue, later callers wait behind it even if they want fewer.
    /// Permits freed meanwhile are set aside for it, so it cannot starve.
    ///
    /// # Cancellation
    /// Dropping the future leaves the queue; the permits already set aside
    /// for it (some or all) go to the next waiter or back to the count.
    ///
    /// # Panics
    /// If `n` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS) (only possible
    /// where `usize` is 32 bits), with tokio's message.
    #[track_caller]
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        assert!(
            n as usize <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        Acquire {
            waiter: Waiter::new(self),
            want: n as usize,
        }
    }

    /// The check behind every `try_acquire*`: takes `n` or nothing.
    pub(super) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut st = lock(&self.state);
        if st.closed {
            Err(TryAcquireError::Closed)
        } else if st.permits >= n && !st.waiters.has_queued() {
            st.permits -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Gives `n` permits back: to the front tickets first, the rest to the
    /// count.
    pub(super) fn release(&self, n: usize) {
        let mut wakers = Wakers::default();
        release_locked(&mut lock(&self.state), n, &mut wakers);
        wakers.wake_all();
    }
}

/// [`Semaphore::release`] under the lock: hands `n` permits to the front
/// tickets (collecting the wakers of those now complete), the rest to the
/// count. While closed, everything goes to the count.
fn release_locked(st: &mut State, mut n: usize, wakers: &mut Wakers) {
    while !st.closed {
        let Some(t) = st.waiters.front_mut() else {
            break;
        };
        let give = n.min(t.want - t.assigned);
        t.assigned += give;
        n -= give;
        if t.assigned < t.want {
            break; // `n` is spent; the front still waits
        }
        let granted = *t;
        wakers.push(st.waiters.pop_front(granted).expect("front exists"));
    }
    st.permits += n;
    debug_assert!(st.closed || st.permits == 0 || !st.waiters.has_queued());
}

/// A waiting `acquire` queues a [`Ticket`]; dropped, it gives back the
/// permits set aside for it (some or all), which go to the next tickets.
impl WaitQueue for &Semaphore {
    type Entry = Ticket;
    type Locked = State;

    #[inline]
    fn mutex(&self) -> &Mutex<State> {
        &self.state
    }

    #[inline]
    fn list<'l>(&self, st: &'l mut State) -> &'l mut WaitList<Ticket> {
        &mut st.waiters
    }

    fn pass_on(&self, st: &mut State, t: Ticket, wakers: &mut Wakers) {
        if t.assigned > 0 {
            release_locked(st, t.assigned, wakers);
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

/// Future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Acquire<'a> {
    /// Our ticket in the semaphore's queue, once we wait; removed (and the
    /// permits set aside for it passed on) when dropped.
    waiter: Waiter<&'a Semaphore>,
    want: usize,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        let this = &mut *self;
        let (sem, want) = (*this.waiter.queue(), this.want);
        let ok = this.waiter.poll_grant(
            cx.waker(),
            |_, st| {
                if st.closed {
                    return Ok(false);
                }
                if !st.waiters.has_queued() && st.permits >= want {
                    st.permits -= want;
                    return Ok(true);
                }
                // Whatever is free now is set aside for us (the invariant
                // says it is 0 if anyone is queued).
                let assigned = st.permits.min(want);
                st.permits -= assigned;
                Err(Ticket {
                    want,
                    assigned,
                    closed: false,
                })
            },
            |st, t| {
                // Closed: what was set aside goes back to the count (once
                // closed, no ticket is handed anything, so nobody to wake).
                if t.closed {
                    st.permits += t.assigned;
                }
                !t.closed
            },
        );
        ok.map(|ok| {
            if ok {
                Ok(SemaphorePermit { sem, permits: want })
            } else {
                Err(AcquireError(()))
            }
        })
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("want", &self.want)
            .field("queued", &self.waiter.is_queued())
            .finish()
    }
}

/// Permits of a [`Semaphore`]; dropping it gives them back.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits taken forever (the semaphore has that many fewer).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Moves `other`'s permits into this one.
    ///
    /// # Panics
    /// If `other` comes from a different semaphore ("merging permits from
    /// different semaphore instances", as tokio).
    #[track_caller]
    pub fn merge(&mut self, mut other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "merging permits from different semaphore instances"
        );
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` (and nothing
    /// changes) if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(SemaphorePermit {
            sem: self.sem,
            permits: n,
        })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};

    /// A front waiter for 2 permits holds back a later waiter for 1; the
    /// permits arrive one by one from another thread while the big waiter
    /// is dropped: whatever was set aside for it reaches the small waiter
    /// (loom reports a deadlock if a permit or a wake were lost).
    #[test]
    fn dropped_partial_waiter_passes_permits_on() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let mut big = sem.acquire_many(2);
            let mut cx = Context::from_waker(std::task::Waker::noop());
            assert!(Pin::new(&mut big).poll(&mut cx).is_pending());
            let s = sem.clone();
            let small = thread::spawn(move || {
                crate::sync::loom_block_on(s.acquire()).unwrap().forget();
            });
            let s = sem.clone();
            let adder = thread::spawn(move || {
                s.add_permits(1);
                s.add_permits(1);
            });
            drop(big);
            adder.join().unwrap();
            small.join().unwrap();
            assert_eq!(sem.available_permits(), 1, "2 added, 1 taken");
        });
    }
}
