//! The one channel core behind every mpsc flavour: bounded `Sender`,
//! `Permit`s, `UnboundedSender` and both receivers.
//!
//! **Naive approach:** one queue per flavour, each with its own waiting
//! logic. **Its problem:** `send`, `reserve`, `reserve_many` and `try_send`
//! would each decide on their own who gets a free slot, and FIFO order or
//! backpressure breaks at the seams between them.
//!
//! **What this file does:** every way to put a message in goes through two
//! counters under one lock: `queue.len()` (messages waiting) and `reserved`
//! (slots promised to permits or to woken waiters). A sender needing `n`
//! slots either takes them at once (nobody queued and `n` free) or queues in
//! the shared [`WaitList`] with its `n`; whoever frees slots grants them to
//! the front waiters in order ([`State::grant`]). `send(v)` is "reserve one
//! slot, then push". The unbounded channel is the same core with `cap =
//! usize::MAX`, so it never waits.
//!
//! Waiter states: `Waiting(n)` → `Granted(n)` (its `n` slots are counted in
//! `reserved`) or → `Closed` (the receiver closed). Only the owning future
//! (a [`Waiter`]) removes its entry; if it is dropped while `Granted`, it
//! releases the slots, which go to the next waiter ([`WaitQueue::pass_on`]).
//! A `Sender::closed()` future is a [`Waiter`] on the second list,
//! [`ClosedQueue`].
//!
//! Invariant: `queue.len() + reserved <= cap`.

use std::collections::VecDeque;
use std::task::{Poll, Waker};

use super::TrySendError;
use crate::loom::{Mutex, MutexGuard, lock};
use crate::sync::wait_list::{WaitList, Wakers};
use crate::sync::waiter::{WaitQueue, Waiter};
use crate::waker_slot::WakerSlot;

pub(super) struct Chan<T> {
    pub(super) cap: usize,
    state: Mutex<State<T>>,
}

pub(crate) struct State<T> {
    queue: VecDeque<T>,
    /// Slots promised to permits and to granted waiters that have not pushed.
    reserved: usize,
    senders: usize,
    rx_closed: bool,
    rx_waker: WakerSlot,
    send_waiters: WaitList<Slot>,
    /// Futures of `Sender::closed()`; all are popped when the receiver closes.
    closed_waiters: WaitList<()>,
}

/// The state of a waiting sender's entry (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Slot {
    Waiting(usize),
    Granted(usize),
    Closed,
}

impl<T> State<T> {
    /// Slots a sender may take right now.
    #[inline]
    fn free(&self, cap: usize) -> usize {
        cap - self.queue.len() - self.reserved
    }

    /// Hands free slots to the front waiters, in order, while the front one's
    /// whole request fits (a big request at the front is not overtaken).
    fn grant(&mut self, cap: usize, wakers: &mut Wakers) {
        if self.rx_closed {
            return;
        }
        while let Some(&Slot::Waiting(n)) = self.send_waiters.front_state() {
            if self.free(cap) < n {
                break;
            }
            self.reserved += n;
            if let Some(w) = self.send_waiters.pop_front(Slot::Granted(n)) {
                wakers.push(w);
            }
        }
        debug_assert!(self.queue.len() + self.reserved <= cap);
    }

    /// Whether `recv` must return `None` now (queue empty assumed): no
    /// sender left, or closed with no permit that could still push.
    #[inline]
    fn finished(&self) -> bool {
        self.senders == 0 || (self.rx_closed && self.reserved == 0)
    }
}

impl<T> Chan<T> {
    pub(super) fn new(cap: usize) -> Chan<T> {
        Chan {
            cap,
            state: Mutex::new(State {
                queue: VecDeque::with_capacity(cap.min(1024)),
                reserved: 0,
                senders: 1,
                rx_closed: false,
                rx_waker: WakerSlot::new(),
                send_waiters: WaitList::new(),
                closed_waiters: WaitList::new(),
            }),
        }
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.state)
    }

    /// Pushes now if a slot is free and nobody waits before us (fairness).
    #[inline]
    pub(super) fn try_push(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut st = self.lock();
        if st.rx_closed {
            return Err(TrySendError::Closed(value));
        }
        if st.send_waiters.has_queued() || st.free(self.cap) == 0 {
            return Err(TrySendError::Full(value));
        }
        st.queue.push_back(value);
        let waker = st.rx_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Pushes into a slot reserved earlier (a permit's or a granted send's).
    pub(super) fn push_reserved(&self, value: T) {
        let mut st = self.lock();
        debug_assert!(st.reserved > 0, "push without a reservation");
        st.reserved -= 1;
        st.queue.push_back(value);
        let waker = st.rx_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Takes `n` slots now, or says why not.
    pub(super) fn try_acquire(&self, n: usize) -> Result<(), TrySendError<()>> {
        let mut st = self.lock();
        if st.rx_closed {
            return Err(TrySendError::Closed(()));
        }
        if st.send_waiters.has_queued() || st.free(self.cap) < n {
            return Err(TrySendError::Full(()));
        }
        st.reserved += n;
        Ok(())
    }

    /// Waits for `n` slots in FIFO order with every other sender. `Ok`:
    /// the slots are reserved for the caller. `Err`: the receiver closed.
    pub(super) fn poll_acquire(
        waiter: &mut Waiter<&Chan<T>>,
        n: usize,
        waker: &Waker,
    ) -> Poll<Result<(), ()>> {
        waiter.poll_grant(
            waker,
            |chan, st| {
                if st.rx_closed {
                    return Ok(Err(()));
                }
                if !st.send_waiters.has_queued() && st.free(chan.cap) >= n {
                    st.reserved += n;
                    return Ok(Ok(()));
                }
                Err(Slot::Waiting(n))
            },
            |_, slot| match slot {
                Slot::Granted(_) => Ok(()),
                Slot::Closed => Err(()),
                Slot::Waiting(_) => unreachable!("a waiting entry is still linked"),
            },
        )
    }

    /// Gives back `n` reserved slots (an unused permit).
    pub(super) fn release(&self, n: usize) {
        let mut wakers = Wakers::default();
        self.release_locked(&mut self.lock(), n, &mut wakers);
        wakers.wake_all();
    }

    /// [`release`](Self::release) under the lock: the slots go to the front
    /// waiters; a closed receiver waiting for the last permit is woken.
    fn release_locked(&self, st: &mut State<T>, n: usize, wakers: &mut Wakers) {
        debug_assert!(st.reserved >= n);
        st.reserved -= n;
        st.grant(self.cap, wakers);
        if st.rx_closed && st.reserved == 0 {
            // A closed receiver waits for outstanding permits.
            if let Some(w) = st.rx_waker.take() {
                wakers.push(w);
            }
        }
    }

    /// Receives up to `limit` messages into `buf` (the `recv` path uses 1).
    /// `Ready(0)` means the channel is finished; `waker: None` never waits.
    pub(super) fn poll_recv_many(
        &self,
        buf: &mut impl Extend<T>,
        limit: usize,
        waker: Option<&Waker>,
    ) -> Poll<usize> {
        let mut st = self.lock();
        let n = st.queue.len().min(limit);
        if n > 0 {
            buf.extend(st.queue.drain(..n));
            let mut wakers = Wakers::default();
            st.grant(self.cap, &mut wakers);
            drop(st);
            wakers.wake_all();
            return Poll::Ready(n);
        }
        if st.finished() {
            return Poll::Ready(0);
        }
        if let Some(waker) = waker {
            st.rx_waker.register(waker);
        }
        Poll::Pending
    }

    /// One message, or `None` once finished (`waker: None` never waits).
    #[inline]
    pub(super) fn poll_recv(&self, waker: Option<&Waker>) -> Poll<Option<T>> {
        let mut st = self.lock();
        if let Some(value) = st.queue.pop_front() {
            let mut wakers = Wakers::default();
            st.grant(self.cap, &mut wakers);
            drop(st);
            wakers.wake_all();
            return Poll::Ready(Some(value));
        }
        if st.finished() {
            return Poll::Ready(None);
        }
        if let Some(waker) = waker {
            st.rx_waker.register(waker);
        }
        Poll::Pending
    }

    /// The receiver closes: waiting senders and `closed()` futures finish.
    pub(super) fn close(&self) {
        let mut wakers = Wakers::default();
        {
            let mut st = self.lock();
            st.rx_closed = true;
            st.send_waiters.drain_into(Slot::Closed, &mut wakers);
            st.closed_waiters.drain_into((), &mut wakers);
        }
        wakers.wake_all();
    }

    /// The receiver is dropped: close, then drop the undelivered messages and
    /// the receiver's waker now (outside the lock: destructors are user code).
    pub(super) fn drop_rx(&self) {
        self.close();
        let (rest, waker) = {
            let mut st = self.lock();
            (std::mem::take(&mut st.queue), st.rx_waker.take())
        };
        drop(rest);
        drop(waker);
    }

    /// `Sender::closed()`: ready once the receiver closed or dropped (an
    /// entry of the closed list is only ever popped by `close`).
    pub(super) fn poll_closed(waiter: &mut Waiter<ClosedQueue<'_, T>>, waker: &Waker) -> Poll<()> {
        waiter.poll_grant(
            waker,
            |_, st| if st.rx_closed { Ok(()) } else { Err(()) },
            |_, ()| (),
        )
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// A new strong sender from a weak one, unless every sender is gone.
    pub(super) fn upgrade(&self) -> bool {
        let mut st = self.lock();
        if st.senders == 0 {
            return false;
        }
        st.senders += 1;
        true
    }

    pub(super) fn drop_sender(&self) {
        let waker = {
            let mut st = self.lock();
            st.senders -= 1;
            if st.senders == 0 {
                st.rx_waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether the receiver closed or was dropped (sends fail).
    pub(super) fn is_rx_closed(&self) -> bool {
        self.lock().rx_closed
    }

    /// The receiver's view: closed by it, or no sender left.
    pub(super) fn is_closed_for_rx(&self) -> bool {
        let st = self.lock();
        st.rx_closed || st.senders == 0
    }

    pub(super) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Free slots now (queued messages and outstanding permits use slots).
    pub(super) fn capacity(&self) -> usize {
        self.lock().free(self.cap)
    }
}

/// The waiting senders: a dropped [`Waiter`] that was granted slots gives
/// them back, and they go to the next waiters.
impl<T> WaitQueue for &Chan<T> {
    type Entry = Slot;
    type Locked = State<T>;

    #[inline]
    fn mutex(&self) -> &Mutex<State<T>> {
        &self.state
    }

    #[inline]
    fn list<'l>(&self, st: &'l mut State<T>) -> &'l mut WaitList<Slot> {
        &mut st.send_waiters
    }

    fn pass_on(&self, st: &mut State<T>, slot: Slot, wakers: &mut Wakers) {
        if let Slot::Granted(n) = slot {
            self.release_locked(st, n, wakers);
        }
    }
}

/// The futures of `Sender::closed()`: nothing to pass on.
pub(super) struct ClosedQueue<'a, T>(pub(super) &'a Chan<T>);

impl<T> WaitQueue for ClosedQueue<'_, T> {
    type Entry = ();
    type Locked = State<T>;

    #[inline]
    fn mutex(&self) -> &Mutex<State<T>> {
        &self.0.state
    }

    #[inline]
    fn list<'l>(&self, st: &'l mut State<T>) -> &'l mut WaitList<()> {
        &mut st.closed_waiters
    }
}
