//! A multi-producer, multi-consumer broadcast channel: every receiver sees
//! every value (a clone of it), in order.
//!
//! **Naive approach:** one mpsc channel per receiver, the sender cloning each
//! value into each. **Its problems:** memory grows with the slowest
//! receiver (or, bounded, one slow receiver blocks everybody), and a receiver
//! added later needs the sender to know about it.
//!
//! **What this file does:** one ring of `cap` slots, shared, under one
//! `crate::loom::Mutex`. Each value is written once at position `tail`
//! (slot `tail % cap`) with a count of the receivers that have yet to see it;
//! each receiver only keeps its own next position. The sender never waits:
//! when the ring is full it overwrites the oldest value, and a receiver that
//! had not read it learns on its next `recv` that it *lagged*:
//! `Err(RecvError::Lagged(n))` with the number of values it missed, after
//! which it continues from the oldest value still held. The last receiver
//! counted for a value moves it out instead of cloning it, so the ring lets
//! go of each value as soon as everyone read it (or when it is overwritten). Receivers waiting for the next value sit in the shared
//! `WaitList`; a send wakes all of them, after unlocking.
//!
//! Slot states: empty (`value: None`) → holds the value of position `pos`
//! with `rem` readers left → empty again when `rem` reaches 0, or holds a
//! newer position when overwritten. A value is cloned under the lock: keep
//! `Clone` of broadcast values cheap (an `Arc`, a small struct), and never
//! touch the same channel from inside `Clone` (it would deadlock).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait_list::{WaitList, Wakers};
use super::waiter::{WaitQueue, Waiter};
use crate::loom::{Arc, Mutex, MutexGuard, lock};

pub mod error;
pub use error::{RecvError, SendError, TryRecvError};

/// Creates a broadcast channel holding at most `cap` values: a receiver
/// more than `cap` values behind lags (see [`RecvError::Lagged`]).
///
/// # Panics
/// If `cap` is 0 ("broadcast channel capacity cannot be zero", as tokio),
/// or larger than `usize::MAX / 2`.
///
/// ```
/// use ramen::sync::broadcast::{self, error::RecvError};
/// ramen::block_on(async {
///     let (tx, mut rx) = broadcast::channel(2);
///     for v in [10, 20, 30] {
///         tx.send(v).unwrap();
///     }
///     // 10 was overwritten before `rx` read it:
///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
///     assert_eq!(rx.recv().await, Ok(20));
///     assert_eq!(rx.recv().await, Ok(30));
/// });
/// ```
pub fn channel<T: Clone>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap > 0, "broadcast channel capacity cannot be zero");
    assert!(
        cap <= usize::MAX >> 1,
        "broadcast channel capacity exceeded `usize::MAX / 2`"
    );
    let slots = (0..cap)
        .map(|_| Slot {
            pos: 0,
            rem: 0,
            value: None,
        })
        .collect();
    let shared = Arc::new(Shared {
        cap: cap as u64,
        state: Mutex::new(State {
            slots,
            tail: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

pub(crate) struct Shared<T> {
    cap: u64,
    state: Mutex<State<T>>,
}

pub(crate) struct State<T> {
    slots: Box<[Slot<T>]>,
    /// The position the next value is written at.
    tail: u64,
    senders: usize,
    receivers: usize,
    /// Pending `recv` futures; state `true` once a send (or the last
    /// sender's drop) woke them.
    waiters: WaitList<bool>,
}

struct Slot<T> {
    pos: u64,
    /// Receivers that have yet to read this value.
    rem: usize,
    value: Option<T>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.state)
    }

    /// The slot of position `pos`.
    fn index(&self, pos: u64) -> usize {
        (pos % self.cap) as usize
    }
}

impl<T> State<T> {
    /// The oldest position still held.
    fn oldest(&self, cap: u64) -> u64 {
        self.tail.saturating_sub(cap)
    }

    /// Wakes every pending `recv`.
    fn wake_receivers(&mut self, wakers: &mut Wakers) {
        self.waiters.drain_into(true, wakers);
    }
}

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver, never waiting: if the ring is
    /// full, the oldest value is overwritten (its slow readers will lag).
    /// Returns how many receivers will see it; fails, giving the value
    /// back, if there is no receiver.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut wakers = Wakers::default();
        let (old, n) = {
            let mut st = self.shared.lock();
            if st.receivers == 0 {
                return Err(SendError(value));
            }
            let tail = st.tail;
            let n = st.receivers;
            let idx = self.shared.index(tail);
            let slot = &mut st.slots[idx];
            let old = slot.value.replace(value);
            slot.pos = tail;
            slot.rem = n;
            st.tail += 1;
            st.wake_receivers(&mut wakers);
            (old, n)
        };
        drop(old); // user code: outside the lock
        wakers.wake_all();
        Ok(n)
    }

    /// A new receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// How many receivers exist now.
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().receivers
    }

    /// How many values are held: sent, not yet read by every receiver that
    /// existed when each was sent, and not overwritten.
    pub fn len(&self) -> usize {
        let st = self.shared.lock();
        st.slots.iter().filter(|s| s.value.is_some()).count()
    }

    /// Whether no value is held (see [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn new_receiver<T>(shared: &Arc<Shared<T>>) -> Receiver<T> {
    let mut st = shared.lock();
    st.receivers += 1;
    Receiver {
        shared: shared.clone(),
        next: st.tail,
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
            st.waiters.release_handle(&mut st.senders, &mut wakers);
        }
        wakers.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("cap", &self.shared.cap)
            .finish_non_exhaustive()
    }
}

/// A receiving half: sees every value sent after it was created, in order.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The position of the next value this receiver reads.
    next: u64,
}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting if there is none yet.
    ///
    /// `Err(Lagged(n))` if `n` values were overwritten before this receiver
    /// read them (the next call returns the oldest value still held);
    /// `Err(Closed)` once every sender is gone and every value was read.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing: this receiver's position only
    /// moves in the poll that returns a value (or reports the lag).
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            next: &mut self.next,
            waiter: Waiter::new(&*self.shared),
        }
    }

    /// Receives without waiting (`Empty` if no value is there yet).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut st = self.shared.lock();
        take(&self.shared, &mut self.next, &mut st)
    }
}

/// Under the lock: the next value for the reader at `*next`. Cloned, or
/// moved out if this reader is the last one it waited for.
fn take<T: Clone>(
    shared: &Shared<T>,
    next: &mut u64,
    st: &mut State<T>,
) -> Result<T, TryRecvError> {
    if *next == st.tail {
        return Err(if st.senders == 0 {
            TryRecvError::Closed
        } else {
            TryRecvError::Empty
        });
    }
    let oldest = st.oldest(shared.cap);
    if *next < oldest {
        let missed = oldest - *next;
        *next = oldest;
        return Err(TryRecvError::Lagged(missed));
    }
    let slot = &mut st.slots[shared.index(*next)];
    debug_assert_eq!(slot.pos, *next, "slot holds another position");
    debug_assert!(slot.rem > 0, "a counted reader found its value gone");
    *next += 1;
    slot.rem -= 1;
    let value = if slot.rem == 0 {
        slot.value.take()
    } else {
        slot.value.clone()
    };
    Ok(value.expect("broadcast slot emptied before its last reader"))
}

impl<T> Receiver<T> {
    /// A new receiver that, like [`Sender::subscribe`], sees the values sent
    /// from now on (not the ones this receiver has yet to read).
    pub fn resubscribe(&self) -> Receiver<T> {
        new_receiver(&self.shared)
    }

    /// How many values this receiver has yet to read (at most `cap`).
    pub fn len(&self) -> usize {
        let st = self.shared.lock();
        (st.tail - self.next.max(st.oldest(self.shared.cap))) as usize
    }

    /// Whether this receiver has read every value held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may remain to be read).
    pub fn is_closed(&self) -> bool {
        self.shared.lock().senders == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Uncount this receiver from the values it has not read; those it was
        // the last reader of are dropped after unlocking (user code).
        let mut emptied = Vec::new();
        {
            let mut st = self.shared.lock();
            st.receivers -= 1;
            for pos in self.next.max(st.oldest(self.shared.cap))..st.tail {
                let slot = &mut st.slots[self.shared.index(pos)];
                debug_assert_eq!(slot.pos, pos);
                slot.rem -= 1;
                if slot.rem == 0 {
                    emptied.extend(slot.value.take());
                }
            }
        }
        drop(emptied);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Future of [`Receiver::recv`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Recv<'a, T> {
    /// The receiver's position.
    next: &'a mut u64,
    /// Our entry in the waiters, once we wait; removed on drop.
    waiter: Waiter<&'a Shared<T>>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let shared = *this.waiter.queue();
        let next = &mut *this.next;
        this.waiter
            .poll_until(cx.waker(), |st| match take(shared, next, st) {
                Ok(v) => Some(Ok(v)),
                Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
                Err(TryRecvError::Empty) => None,
            })
    }
}

/// Pending `recv` futures wait here; a send wakes them all to look again.
impl<T> WaitQueue for &Shared<T> {
    type Entry = bool;
    type Locked = State<T>;

    fn mutex(&self) -> &Mutex<State<T>> {
        &self.state
    }

    fn list<'l>(&self, st: &'l mut State<T>) -> &'l mut WaitList<bool> {
        &mut st.waiters
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// Capacity 1, a sender thread sends two values and keeps the sender
    /// (handing it back through `join`), so only a send can wake the
    /// receiver. Whatever the interleaving, it ends on the last value, and
    /// values read plus values reported lagged add up to two (a lost wake
    /// deadlocks the model); `Closed` comes once the sender is dropped.
    #[test]
    fn ring_overwrite_races_recv() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u32>(1);
            let t = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
                tx
            });
            let (mut got, mut lagged) = (Vec::new(), 0);
            while got.last() != Some(&2) {
                match crate::sync::loom_block_on(rx.recv()) {
                    Ok(v) => got.push(v),
                    Err(RecvError::Lagged(n)) => lagged += n,
                    Err(RecvError::Closed) => panic!("closed while the sender lives"),
                }
            }
            assert_eq!(got.len() as u64 + lagged, 2);
            drop(t.join().unwrap());
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        });
    }

    /// Two receivers on two threads: each sees the value, and the value's
    /// reader count reaches zero exactly once (it is dropped, not leaked).
    #[test]
    fn two_receivers_each_see_the_value() {
        loom::model(|| {
            let value = Arc::new(5u32);
            let (tx, mut rx1) = channel::<Arc<u32>>(1);
            let mut rx2 = tx.subscribe();
            let t = thread::spawn(move || crate::sync::loom_block_on(rx2.recv()).map(|v| *v));
            tx.send(value.clone()).unwrap();
            assert_eq!(crate::sync::loom_block_on(rx1.recv()).map(|v| *v), Ok(5));
            assert_eq!(t.join().unwrap(), Ok(5));
            assert_eq!(Arc::strong_count(&value), 1, "the ring let go of it");
        });
    }
}
