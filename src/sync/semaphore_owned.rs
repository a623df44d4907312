//! Permits that own their semaphore: `Arc<Semaphore>::acquire_owned`.
//!
//! **Naive approach:** hand out [`SemaphorePermit`](super::SemaphorePermit)s
//! only. **Its problem:** that permit borrows the semaphore, so it cannot be
//! moved into a spawned task (which must be `'static`) — exactly where a
//! "at most N jobs at once" permit is needed.
//!
//! **What this file does:** the same waiting (it awaits the borrowed
//! `acquire_many` and forgets the borrowed permit), then wraps the count in
//! an [`OwnedSemaphorePermit`] that keeps an `Arc` of the semaphore and gives
//! the permits back on drop. No new waiting code.

use std::fmt;
use std::sync::Arc;

use super::semaphore::{AcquireError, Semaphore, TryAcquireError};

impl Semaphore {
    /// [`acquire`](Semaphore::acquire) on an `Arc<Semaphore>`, returning a
    /// permit that owns a clone of the `Arc` (so it can move into a
    /// `'static` task).
    ///
    /// # Cancellation
    /// As [`acquire`](Semaphore::acquire): the place in line is lost,
    /// nothing else (a permit already handed to it goes to the next waiter).
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Semaphore::acquire_many) on an `Arc<Semaphore>`.
    ///
    /// # Cancellation
    /// As [`acquire_many`](Semaphore::acquire_many): permits set aside for
    /// it are passed on.
    ///
    /// # Panics
    /// As [`acquire_many`](Semaphore::acquire_many).
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many(n).await?.forget();
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n as usize,
        })
    }

    /// [`try_acquire`](Semaphore::try_acquire) on an `Arc<Semaphore>`.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) on an
    /// `Arc<Semaphore>`.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n as usize,
        })
    }
}

/// Permits of an `Arc<Semaphore>`; dropping it gives them back.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits taken forever (the semaphore has that many fewer).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore these permits belong to.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Moves `other`'s permits into this one.
    ///
    /// # Panics
    /// If `other` comes from a different semaphore ("merging permits from
    /// different semaphore instances", as tokio).
    #[track_caller]
    pub fn merge(&mut self, mut other: OwnedSemaphorePermit) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "merging permits from different semaphore instances"
        );
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Splits `n` permits off into a new permit; `None` (and nothing
    /// changes) if this holds fewer than `n`.
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        if n > self.permits {
            return None;
        }
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            permits: n,
        })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}
