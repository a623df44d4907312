//! An async reader-writer lock: many readers or one writer, FIFO-fair.
//!
//! **Naive approach:** a reader count and a writer flag; `read` waits while a
//! writer holds it, `write` waits until the count is 0. **Its problem:**
//! with a steady stream of readers the count never reaches 0, so a writer
//! waits forever (writer starvation); preferring writers instead starves
//! readers.
//!
//! **What this file does:** tokio's construction. The lock is a
//! [`Semaphore`] with `max_readers` permits: `read` takes one, `write` takes
//! all of them with `acquire_many`. The semaphore is FIFO and a front
//! request for many permits blocks later small ones, so a writer that
//! arrives while readers hold the lock waits only for *those* readers;
//! readers that come after it queue behind it. No new waiting code: the
//! queue, the hand-over and the cancellation rules are the semaphore's.

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::mutex::TryLockError;
use super::semaphore::{Semaphore, TryAcquireError};

/// The largest `max_readers` (as tokio: `u32::MAX >> 3`).
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock with FIFO waiting (writers are not starved).
///
/// ```
/// ramen::block_on(async {
///     let lock = ramen::sync::RwLock::new(5);
///     {
///         let r1 = lock.read().await;
///         let r2 = lock.read().await; // readers share
///         assert_eq!(*r1 + *r2, 10);
///         assert!(lock.try_write().is_err()); // the writer must wait for both
///     }
///     *lock.write().await += 1;
///     assert_eq!(lock.into_inner(), 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    sem: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: readers on several threads share `&T` (needs `T: Sync`), a writer
// on any thread gets `&mut T` (needs `T: Send`); the semaphore guarantees
// one writer or only readers at any time.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: the lock owns its `T`; sending it sends the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`, allowing up to `u32::MAX >> 3`
    /// readers at once.
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// An unlocked lock allowing at most `max_readers` concurrent readers.
    ///
    /// # Panics
    /// If `max_readers` is 0 ("a RwLock may not be created with 0 readers")
    /// or above `u32::MAX >> 3`, with tokio's messages.
    #[track_caller]
    pub fn with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
        assert_ne!(max_readers, 0, "a RwLock may not be created with 0 readers");
        assert!(
            max_readers <= MAX_READS,
            "a RwLock may not be created with more than {MAX_READS} readers"
        );
        RwLock {
            max_readers,
            sem: Semaphore::new(max_readers as usize),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access. Queued in FIFO order with writers: a reader
    /// arriving after a waiting writer waits for that writer.
    ///
    /// # Cancellation
    /// Dropping the future loses its place in the queue and nothing else; a
    /// read permit already handed to it goes to the next waiter.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let permit = self.sem.acquire().await;
        permit
            .expect("a RwLock's semaphore is never closed")
            .forget();
        RwLockReadGuard { lock: self }
    }

    /// Waits for exclusive access: waits for the readers and writer ahead
    /// of it in the queue, and blocks readers queued after it.
    ///
    /// # Cancellation
    /// Dropping the future loses its place in the queue; the read permits
    /// already set aside for it are passed on, so the readers queued behind
    /// it proceed.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let permit = self.sem.acquire_many(self.max_readers).await;
        permit
            .expect("a RwLock's semaphore is never closed")
            .forget();
        RwLockWriteGuard { lock: self }
    }

    /// Shared access without waiting; fails if a writer holds or waits for
    /// the lock.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_take(1)?;
        Ok(RwLockReadGuard { lock: self })
    }

    /// Exclusive access without waiting; fails if anyone holds or waits for
    /// the lock.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_take(self.max_readers)?;
        Ok(RwLockWriteGuard { lock: self })
    }

    fn try_take(&self, n: u32) -> Result<(), TryLockError> {
        match self.sem.try_acquire_many(n) {
            Ok(permit) => {
                permit.forget();
                Ok(())
            }
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => Err(TryLockError(())),
        }
    }

    /// Mutable access without locking: `&mut self` proves nobody holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("max_readers", &self.max_readers)
            .finish_non_exhaustive()
    }
}

/// Shared access to a [`RwLock`]'s value; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds one of the semaphore's permits, so no
        // writer (which needs all of them) exists while it lives; other
        // guards alive now are readers, which only create `&T`.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a [`RwLock`]'s value; released on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a shared `&RwLockWriteGuard` only gives `&T`: sharing it across
// threads needs `T: Sync`. (`Send` is derived from `&RwLock<T>`.)
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit: no other guard exists.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow
        // through this guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};

    /// A reader drops its guard while a writer on another thread queues:
    /// the writer gets the lock (no lost hand-over), and a reader queued
    /// after it sees its write.
    #[test]
    fn reader_release_hands_over_to_writer() {
        loom::model(|| {
            let lock = Arc::new(RwLock::new(0));
            let guard = lock.try_read().unwrap();
            let l = lock.clone();
            let writer = thread::spawn(move || {
                *crate::sync::loom_block_on(l.write()) += 1;
            });
            drop(guard);
            writer.join().unwrap();
            assert_eq!(*crate::sync::loom_block_on(lock.read()), 1);
        });
    }
}
