//! Async-aware synchronization: channels, a mutex, a semaphore, a notifier.
//! All of them work between tasks of one runtime *and* between threads.
//!
//! **Naive approach:** share state through `std::sync::Mutex` and spin (or
//! `yield_now`) until the condition holds. **Its problems:** holding a std
//! lock across an `.await` blocks the whole runtime thread (every other task
//! with it), spinning burns the CPU, and a waiter that gave up (its future was
//! dropped by a `timeout` or `select`) can take a wakeup meant for someone else
//! with it, leaving the next waiter asleep forever.
//!
//! **What this module does:** each primitive keeps its state and a FIFO of
//! waiters (`wait_list.rs`: a slab-backed linked list) under one short
//! `crate::loom::Mutex`; a waiting future holds one `Waiter` (`waiter.rs`,
//! the same type for every primitive), which parks its [`Waker`] in that
//! list, returns `Pending`, and removes its entry when dropped. Three rules
//! make them correct:
//! - **wake outside the lock**: wakers are collected under the lock and woken
//!   after it is released;
//! - **fair**: a newcomer never overtakes a queued waiter; whatever is freed
//!   (a permit, the lock, a channel slot, a notification) is *handed* to the
//!   front waiter before it is woken;
//! - **cancellation passes things on**: a future dropped after being handed
//!   something but before observing it gives it to the next waiter. Every
//!   async method documents this in its `# Cancellation` section.
//!
//! # Wakers under the lock
//! Registering a waiter *clones* its `Waker` (and replacing one drops the
//! old) while the primitive's lock is held; only *waking* happens after the
//! lock is released. That is what tokio does too, and for every ordinary
//! waker (ramen's, tokio's, `futures`') clone and drop only touch a
//! reference count. A hand-written waker whose `clone` or `Drop` calls back
//! into the same primitive would deadlock on its mutex: don't write one.
//!
//! The types only use `crate::loom`'s `Arc`, `Mutex`, `RwLock` and atomics,
//! so the loom models at the bottom of `mpsc.rs`, `oneshot.rs`, `notify.rs`,
//! `broadcast.rs`, `watch.rs`, `semaphore.rs`, `rwlock.rs`, `barrier.rs` and
//! `cancellation_token.rs` check every interleaving of the cross-thread cases.
//!
//! | item | what it is |
//! |---|---|
//! | [`mpsc`] | multi-producer channels: bounded (backpressure, permits) and unbounded |
//! | [`broadcast`] | every receiver sees every value; slow receivers lag |
//! | [`oneshot`] | a single value, once |
//! | [`watch`] | the latest value; receivers wait for it to change |
//! | [`Mutex`] | a lock that may be held across `.await` |
//! | [`Semaphore`] | `n` permits, released on drop |
//! | [`Notify`] | wake one or all waiters, with a stored permit |
//! | [`RwLock`] | many readers or one writer, FIFO-fair (on `Semaphore`) |
//! | [`Barrier`] | `n` tasks meet, one of them is the leader, reusable |
//! | [`CancellationToken`] | a cancel signal for a tree of tasks (on `Notify`) |

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

mod barrier;
pub mod broadcast;
mod cancellation_token;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod rwlock;
mod semaphore;
mod semaphore_owned;
mod wait_list;
mod waiter;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cancellation_token::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use mutex::{Lock, Mutex, MutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Acquire, AcquireError, Semaphore, SemaphorePermit, TryAcquireError};
pub use semaphore_owned::OwnedSemaphorePermit;

/// Runs `future` on a plain OS thread, parking the thread while it is pending.
///
/// # Panics
/// If this thread runs a ramen runtime: parking it would stop that runtime's
/// loop, which may be the very thing the future waits for.
pub(crate) fn block_on_thread<F: Future>(what: &str, future: F) -> F::Output {
    assert!(
        crate::context::current_id() == 0,
        "ramen::sync::mpsc::{what} called on a thread that runs a ramen runtime: \
         blocking here would stop the event loop that must make progress (a deadlock); \
         use the async version with .await instead"
    );
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        // A spurious unpark only costs one more poll.
        std::thread::park();
    }
}

/// The loom models' `block_on`: parks the loom thread while pending, and its
/// waker unparks it (loom reports a deadlock if a wake is lost and every
/// thread ends up parked).
#[cfg(all(test, loom))]
pub(crate) fn loom_block_on<F: Future>(future: F) -> F::Output {
    struct Unparker(loom::thread::Thread);
    impl Wake for Unparker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unparker(loom::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        loom::thread::park();
    }
}
