//! A single-value channel: receivers see the *latest* value, and can wait
//! for it to change.
//!
//! **Naive approach:** a broadcast channel of every update. **Its problem:**
//! a receiver that only needs the current state (a config, a "shutting
//! down" flag) has to read and discard every intermediate value, and a slow
//! one lags.
//!
//! **What this file does:** one value behind a `crate::loom::RwLock`
//! (readers borrow it in place through a [`Ref`], no clone), and a version
//! number plus the waiting futures under a small `crate::loom::Mutex`. Each
//! receiver remembers the version it has seen; `changed()` completes when
//! the version moved on, or queues in the shared `WaitList`. A sender
//! modifies the value under the write lock, then bumps the version and takes
//! every waiter *while still holding it*, so a reader that takes the read
//! lock and then the version always sees a matching pair. Lock order is
//! always value → state; wakers are woken after both are released.
//!
//! States: open → closed when the last [`Sender`] drops (`changed` then
//! returns `Err` once the last version is seen); a sender sees "closed" when
//! every receiver is gone ([`Sender::closed`]).

use std::fmt;
use std::ops::Deref;

use super::wait_list::{WaitList, Wakers};
use super::waiter::{WaitQueue, Waiter};
use crate::loom::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, lock, read, write};

pub mod error;
pub use error::{RecvError, SendError};

/// Creates a watch channel holding `init`.
///
/// ```
/// ramen::block_on(async {
///     let (tx, mut rx) = ramen::sync::watch::channel("starting");
///     let h = ramen::spawn(async move {
///         rx.changed().await.unwrap();
///         *rx.borrow_and_update()
///     });
///     tx.send("ready").unwrap();
///     assert_eq!(h.await.unwrap(), "ready");
/// });
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        state: Mutex::new(State {
            version: 1,
            senders: 1,
            receivers: 1,
            rx_waiters: WaitList::new(),
            tx_waiters: WaitList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 1 },
    )
}

struct Shared<T> {
    value: RwLock<T>,
    state: Mutex<State>,
}

pub(crate) struct State {
    /// Starts at 1 (a receiver's `seen == 0` means "marked changed").
    version: u64,
    senders: usize,
    receivers: usize,
    /// `changed()` futures.
    rx_waiters: WaitList<bool>,
    /// `Sender::closed()` futures.
    tx_waiters: WaitList<bool>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// A read guard on the value. While it lives, senders wait to write: keep
/// it short and never hold it across an `.await`.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value was new to the receiver that borrowed it (always
    /// `false` for [`Sender::borrow`]).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// The sending half; clone it for more writers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers; fails, giving the
    /// value back, if there is no receiver (the value is then not stored).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut guard = write(&self.shared.value);
        let st = self.shared.lock();
        if st.receivers == 0 {
            return Err(SendError(value));
        }
        let old = std::mem::replace(&mut *guard, value);
        self.publish(st, guard);
        drop(old); // user code: after every lock is released
        Ok(())
    }

    /// Replaces the value, even with no receiver, and returns the old one.
    pub fn send_replace(&self, value: T) -> T {
        let mut guard = write(&self.shared.value);
        let old = std::mem::replace(&mut *guard, value);
        let st = self.shared.lock();
        self.publish(st, guard);
        old
    }

    /// Modifies the value in place (under the write lock) and notifies.
    ///
    /// # Panics
    /// If `modify` panics, the panic propagates and receivers are not
    /// notified (the value keeps whatever `modify` did before panicking).
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Like [`send_modify`](Self::send_modify), but notifies only if
    /// `modify` returns `true`; returns that.
    ///
    /// # Panics
    /// If `modify` panics, as [`send_modify`](Self::send_modify).
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut guard = write(&self.shared.value);
        if !modify(&mut guard) {
            return false;
        }
        let st = self.shared.lock();
        self.publish(st, guard);
        true
    }

    /// New version: bump it and take the waiters while the write lock is
    /// still held, then release both and wake.
    fn publish(&self, mut st: MutexGuard<'_, State>, guard: crate::loom::RwLockWriteGuard<'_, T>) {
        let mut wakers = Wakers::default();
        st.version += 1;
        st.rx_waiters.drain_into(true, &mut wakers);
        drop(st);
        drop(guard);
        wakers.wake_all();
    }

    /// Borrows the current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: read(&self.shared.value),
            has_changed: false,
        }
    }

    /// A new receiver; the current value counts as seen by it.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut st = self.shared.lock();
        st.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: st.version,
        }
    }

    /// How many receivers exist now.
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().receivers
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing; it leaves the list of waiters.
    pub async fn closed(&self) {
        let mut waiter = List::waiter(&self.shared, |st| &mut st.tx_waiters);
        std::future::poll_fn(|cx| {
            waiter.poll_until(cx.waker(), |st| (st.receivers == 0).then_some(()))
        })
        .await;
    }
}

/// `Receiver::changed` on its parts (so `wait_for` can keep a borrow of
/// `shared` while it waits).
async fn changed<T>(shared: &Shared<T>, seen: &mut u64) -> Result<(), RecvError> {
    let mut waiter = List::waiter(shared, |st| &mut st.rx_waiters);
    std::future::poll_fn(|cx| {
        waiter.poll_until(cx.waker(), |st| {
            if st.version != *seen {
                *seen = st.version;
                Some(Ok(()))
            } else if st.senders == 0 {
                Some(Err(RecvError(())))
            } else {
                None
            }
        })
    })
    .await
}

/// One `wait_for` check: borrow the value, mark its version seen, and keep
/// the borrow only if `f` accepts it.
fn check<'a, T>(
    shared: &'a Shared<T>,
    seen: &mut u64,
    start: u64,
    f: &mut impl FnMut(&T) -> bool,
) -> Option<Ref<'a, T>> {
    let guard = read(&shared.value);
    let version = shared.lock().version;
    *seen = version;
    f(&guard).then_some(Ref {
        guard,
        has_changed: version != start,
    })
}

/// One of the two lists of a channel, as a [`WaitQueue`]: a waiting
/// future's [`Waiter`] holds one (its entry is removed on drop).
struct List<'a, T> {
    shared: &'a Shared<T>,
    list: fn(&mut State) -> &mut WaitList<bool>,
}

impl<'a, T> List<'a, T> {
    /// A waiter on the list `list` picks out of the state.
    fn waiter(shared: &'a Shared<T>, list: fn(&mut State) -> &mut WaitList<bool>) -> Waiter<Self> {
        Waiter::new(List { shared, list })
    }
}

impl<T> WaitQueue for List<'_, T> {
    type Entry = bool;
    type Locked = State;

    fn mutex(&self) -> &Mutex<State> {
        &self.shared.state
    }

    fn list<'l>(&self, st: &'l mut State) -> &'l mut WaitList<bool> {
        (self.list)(st)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wakers = Wakers::default();
        {
            let st = &mut *self.shared.lock();
            st.rx_waiters.release_handle(&mut st.senders, &mut wakers);
        }
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// A receiving half; clone it for more readers (the clone has seen what
/// this one has seen).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen (0: marked changed).
    seen: u64,
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let has_changed = self.shared.lock().version != self.seen;
        Ref { guard, has_changed }
    }

    /// Borrows the current value and marks it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = read(&self.shared.value);
        let version = self.shared.lock().version;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a value this receiver has not seen is there; `Err` once every
    /// sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let st = self.shared.lock();
        if st.senders == 0 {
            return Err(RecvError(()));
        }
        Ok(st.version != self.seen)
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.lock().version;
    }

    /// Marks the current value unseen: the next `changed()` returns at once.
    pub fn mark_changed(&mut self) {
        self.seen = 0;
    }

    /// Waits for a value this receiver has not seen, and marks it seen
    /// (read it with [`borrow`](Self::borrow)). `Err` once every sender is
    /// gone and the last value was seen.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing: the value is only marked seen in
    /// the poll that returns `Ok`.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        changed(&self.shared, &mut self.seen).await
    }

    /// Waits until the value satisfies `f` and returns it, borrowed and
    /// marked seen. The current value is checked first; then each new
    /// version is (intermediate ones a sender overwrote are never seen).
    /// `Err` if every sender is gone before a value satisfies `f`.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing; values it checked stay seen.
    ///
    /// # Panics
    /// If `f` panics (the read lock is released as the panic unwinds).
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let (shared, seen) = (&self.shared, &mut self.seen);
        let start = *seen;
        loop {
            // The guard lives only inside this statement: never across the await.
            if let Some(r) = check(shared, seen, start, &mut f) {
                return Ok(r);
            }
            changed(shared, seen).await?;
        }
    }

    /// Whether `self` and `other` watch the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.shared.lock().receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut wakers = Wakers::default();
        {
            let st = &mut *self.shared.lock();
            st.tx_waiters.release_handle(&mut st.receivers, &mut wakers);
        }
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// A sender thread publishes two versions and keeps the sender (it is
    /// handed back through `join`), so only a publish can wake `changed()`.
    /// The receiver always ends up seeing the last value (a lost wake would
    /// deadlock the model), then `Err` once the sender is dropped.
    #[test]
    fn changed_sees_the_last_value() {
        loom::model(|| {
            let (tx, mut rx) = channel(0u32);
            let t = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send_modify(|v| *v += 1);
                tx
            });
            let mut last = 0;
            while last != 2 {
                crate::sync::loom_block_on(rx.changed()).unwrap();
                last = *rx.borrow_and_update();
            }
            drop(t.join().unwrap());
            assert!(crate::sync::loom_block_on(rx.changed()).is_err());
        });
    }

    /// The last receiver drops on another thread while the sender waits in
    /// `closed()`: the sender always wakes.
    #[test]
    fn closed_wakes_when_the_last_receiver_goes() {
        loom::model(|| {
            let (tx, rx) = channel(0u32);
            let t = thread::spawn(move || drop(rx));
            crate::sync::loom_block_on(tx.closed());
            assert!(tx.is_closed());
            t.join().unwrap();
        });
    }
}
