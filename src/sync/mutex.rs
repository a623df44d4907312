//! An async mutex: a lock whose guard may be held across `.await`.
//!
//! **Naive approach:** `std::sync::Mutex` in async code. **Its problem:** if a
//! task holds the guard across an `.await` and another task on the same thread
//! calls `lock()`, the thread blocks inside `lock()` and the holder can never
//! run again to unlock: the whole runtime deadlocks.
//!
//! **What this file does:** the lock is a [`Semaphore`] with one permit, so
//! waiting is a `Pending` future in the semaphore's FIFO queue, never a
//! blocked thread; unlocking hands the permit straight to the front waiter
//! (fair: no barging). The data sits in an `UnsafeCell`, reached only
//! through a [`MutexGuard`], which exists only while the permit is held.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::semaphore::{Acquire, Semaphore, TryAcquireError};

/// An async-aware mutual-exclusion lock with FIFO waiting.
///
/// Use it when the guard must live across an `.await`; for short critical
/// sections without `.await`, a `std::sync::Mutex` (or `RefCell` inside one
/// runtime) is cheaper.
///
/// ```
/// use std::rc::Rc;
/// ramen::block_on(async {
///     let m = Rc::new(ramen::sync::Mutex::new(0));
///     let m2 = m.clone();
///     let t = ramen::spawn(async move {
///         let mut g = m2.lock().await;
///         ramen::yield_now().await; // the guard lives across .await
///         *g += 1;
///     });
///     t.await.unwrap();
///     assert_eq!(*m.lock().await, 1);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    sem: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a `MutexGuard`, and at most one
// guard exists at a time (it owns the semaphore's single permit). So sharing
// `&Mutex<T>` between threads gives at most one thread access to `T` at a
// time, which needs `T: Send` (it may be used from different threads in turn)
// but not `T: Sync`. The semaphore itself is `Sync` (a loom/std `Mutex`).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: the mutex owns its `T`; sending it sends the `T`, which needs
// `T: Send`, and the semaphore is `Send`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

/// Error of [`Mutex::try_lock`]: the lock is held (or others wait for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mutex is locked")
    }
}
impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            sem: Semaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock. Waiters get it in the order they first polled.
    ///
    /// # Cancellation
    /// Dropping the future before it completes leaves the queue; if the lock
    /// had already been handed to it, it goes to the next waiter (or is
    /// released): the lock is never lost.
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            acquire: self.sem.acquire(),
        }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(MutexGuard { mutex: self })
            }
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => Err(TryLockError(())),
        }
    }

    /// Mutable access without locking: `&mut self` proves nobody else holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

/// Future of [`Mutex::lock`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Lock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    acquire: Acquire<'a>,
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let mutex = self.mutex;
        match Pin::new(&mut self.acquire).poll(cx) {
            Poll::Ready(Ok(permit)) => {
                // The guard now owns the permit; its `Drop` gives it back.
                permit.forget();
                Poll::Ready(MutexGuard { mutex })
            }
            Poll::Ready(Err(_)) => unreachable!("a mutex's semaphore is never closed"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

/// Exclusive access to a [`Mutex`]'s value; unlocks on drop.
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: a shared `&MutexGuard` only gives `&T`, so sharing the guard across
// threads is sharing `&T`: that needs `T: Sync`. (`Send` is derived: the guard
// holds `&Mutex<T>`, which is `Send` when `Mutex<T>: Sync`, i.e. `T: Send`.)
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no other guard
        // (and so no `&mut T`) exists while this borrow of `self` lives.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow
        // through this guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.sem.add_permits(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
