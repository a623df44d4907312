//! A bounded multi-producer, single-consumer channel.
//!
//! **Naive approach:** an `Arc<Mutex<VecDeque<T>>>` that the receiver polls
//! in a loop. **Its problems:** polling burns the CPU, an unbounded queue lets
//! a fast producer eat all memory, and a receiver that sleeps needs someone to
//! wake it exactly once per "something changed".
//!
//! **What this file does:** one `crate::loom::Mutex` guards the queue, the
//! receiver's waker and a FIFO of senders waiting for room (a `WaitList`, see `wait_list.rs`).
//! The fast paths take that lock once per message and allocate nothing beyond
//! the `VecDeque`'s buffer. When `recv` frees a slot while senders wait, the
//! slot is *reserved* for the front sender (`reserved += 1`) before it is
//! woken, so a newcomer cannot barge in (fair FIFO), and a woken sender that is
//! dropped before it runs gives the reservation to the next one (no lost
//! wakeup). Every waker is woken after the lock is released.
//!
//! Invariant: `queue.len() + reserved <= cap`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitList, Wakers};
use crate::loom::{Arc, Mutex, lock};

mod error;
pub use error::{SendError, TryRecvError, TrySendError};

/// Creates a bounded channel: exactly `cap` messages queue before
/// [`Sender::send`] waits for the receiver to make room.
///
/// Works between tasks of one runtime and between threads (each running its
/// own runtime, or a plain thread using [`Sender::blocking_send`]).
///
/// # Panics
/// If `cap` is 0 (a rendezvous channel is a different design), as tokio does.
///
/// ```
/// ramen::block_on(async {
///     let (tx, mut rx) = ramen::sync::mpsc::channel(2);
///     ramen::spawn(async move {
///         for i in 0..5 {
///             tx.send(i).await.unwrap(); // waits while 2 are queued
///         }
///     });
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     assert_eq!(got, [0, 1, 2, 3, 4]);
/// });
/// ```
pub fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        cap > 0,
        "ramen::sync::mpsc::channel: capacity must be at least 1 (got 0)"
    );
    let chan = Arc::new(Chan {
        cap,
        state: Mutex::new(State {
            queue: VecDeque::with_capacity(cap.min(1024)),
            reserved: 0,
            senders: 1,
            rx_closed: false,
            rx_waker: None,
            send_waiters: WaitList::new(),
        }),
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

struct Chan<T> {
    cap: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Slots promised to woken senders that have not pushed yet.
    reserved: usize,
    senders: usize,
    rx_closed: bool,
    rx_waker: Option<Waker>,
    send_waiters: WaitList<Slot>,
}

/// The state of a waiting sender's entry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Waiting,
    /// A slot is reserved for this sender (counted in `reserved`).
    Granted,
    /// The receiver closed the channel.
    Closed,
}

impl<T> State<T> {
    /// Pushes `value` and returns the receiver's waker, if it waits.
    #[inline]
    fn push(&mut self, value: T) -> Option<Waker> {
        self.queue.push_back(value);
        self.rx_waker.take()
    }

    /// A slot was freed: reserve it for the front waiting sender, if any.
    #[inline]
    fn grant_one(&mut self) -> Option<Waker> {
        if self.rx_closed {
            return None;
        }
        let waker = self.send_waiters.pop_front(Slot::Granted)?;
        self.reserved += 1;
        Some(waker)
    }
}

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full (backpressure).
    ///
    /// Waiting senders are served in FIFO order. Fails, giving the value back,
    /// if the receiver was dropped or closed.
    ///
    /// # Cancellation
    /// Dropping the future before it completes sends nothing: the value is
    /// dropped with it. The future leaves the queue of waiting senders; if a
    /// slot had already been reserved for it, the reservation goes to the next
    /// waiting sender, so no sender misses its turn.
    pub fn send(&self, value: T) -> SendFut<'_, T> {
        SendFut {
            chan: &self.chan,
            value: Some(value),
            key: None,
        }
    }

    /// Sends without waiting: fails with `Full` when `cap` messages are queued
    /// (or other senders are already waiting, to keep the order fair).
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut st = lock(&self.chan.state);
        if st.rx_closed {
            return Err(TrySendError::Closed(value));
        }
        if st.send_waiters.has_queued() || st.queue.len() + st.reserved >= self.chan.cap {
            return Err(TrySendError::Full(value));
        }
        let waker = st.push(value);
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Sends from a plain OS thread, blocking it while the channel is full.
    ///
    /// # Panics
    /// If called on a thread that is running a ramen runtime (inside
    /// `block_on` or a task): blocking that thread would stop the very loop
    /// that runs the receiver, a deadlock. Use `send(v).await` there.
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        super::block_on_thread("Sender::blocking_send", self.send(value))
    }

    /// Whether the receiver is gone or closed: sends will fail.
    pub fn is_closed(&self) -> bool {
        lock(&self.chan.state).rx_closed
    }

    /// The capacity given to [`channel`].
    pub fn max_capacity(&self) -> usize {
        self.chan.cap
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        lock(&self.chan.state).senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = lock(&self.chan.state);
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
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("cap", &self.chan.cap)
            .finish_non_exhaustive()
    }
}

/// Future of [`Sender::send`].
#[must_use = "futures do nothing unless you .await them"]
pub struct SendFut<'a, T> {
    chan: &'a Chan<T>,
    value: Option<T>,
    /// Our entry in `send_waiters`, once we wait.
    key: Option<usize>,
}

// `value` is only ever moved as a whole, never pinned: no structural pinning.
impl<T> Unpin for SendFut<'_, T> {}

impl<T> Future for SendFut<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::with_budget(cx, |cx| self.poll_send(cx)) // cooperative budget (coop.rs)
    }
}

impl<T> SendFut<'_, T> {
    fn poll_send(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        let this = &mut *self;
        let mut st = lock(&this.chan.state);
        let can_push = match this.key {
            None => {
                !st.rx_closed
                    && !st.send_waiters.has_queued()
                    && st.queue.len() + st.reserved < this.chan.cap
            }
            Some(key) => match *st.send_waiters.state(key) {
                Slot::Waiting if !st.rx_closed => {
                    st.send_waiters.set_waker(key, cx.waker());
                    return Poll::Pending;
                }
                Slot::Granted => {
                    st.reserved -= 1;
                    st.send_waiters.remove(key);
                    this.key = None;
                    !st.rx_closed
                }
                Slot::Waiting | Slot::Closed => {
                    st.send_waiters.remove(key);
                    this.key = None;
                    false
                }
            },
        };
        let value = this.value.take().expect("SendFut polled after completion");
        if can_push {
            let waker = st.push(value);
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
            Poll::Ready(Ok(()))
        } else if st.rx_closed {
            Poll::Ready(Err(SendError(value)))
        } else {
            this.value = Some(value);
            this.key = Some(st.send_waiters.push_back(cx.waker(), Slot::Waiting));
            Poll::Pending
        }
    }
}

impl<T> Drop for SendFut<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let waker = {
            let mut st = lock(&self.chan.state);
            if st.send_waiters.remove(key) == Slot::Granted {
                // We were given a slot we will never use: pass it on.
                st.reserved -= 1;
                st.grant_one()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The receiving half.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting if the channel is empty.
    ///
    /// Returns `None` once every [`Sender`] is gone (or [`close`](Self::close)
    /// was called) and the queue is empty.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing: a message is only removed from the
    /// queue in the poll that returns it.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: self }
    }

    /// Receives without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.poll_recv_inner(None) {
            Poll::Ready(Some(v)) => Ok(v),
            Poll::Ready(None) => Err(TryRecvError::Disconnected),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Receives from a plain OS thread, blocking it while the channel is empty.
    ///
    /// # Panics
    /// On a thread running a ramen runtime, like [`Sender::blocking_send`].
    pub fn blocking_recv(&mut self) -> Option<T> {
        super::block_on_thread("Receiver::blocking_recv", self.recv())
    }

    /// Polls for the next message (the building block of [`Receiver::recv`]).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        crate::coop::with_budget(cx, |cx| self.poll_recv_inner(Some(cx.waker()))) // coop.rs
    }

    /// Stops accepting messages: senders (waiting or not) fail from now on;
    /// messages already queued can still be received.
    pub fn close(&mut self) {
        let mut wakers = Wakers::default();
        {
            let mut st = lock(&self.chan.state);
            st.rx_closed = true;
            while let Some(w) = st.send_waiters.pop_front(Slot::Closed) {
                wakers.push(w);
            }
        }
        wakers.wake_all();
    }

    fn poll_recv_inner(&mut self, waker: Option<&Waker>) -> Poll<Option<T>> {
        let mut st = lock(&self.chan.state);
        if let Some(value) = st.queue.pop_front() {
            let sender = st.grant_one();
            drop(st);
            if let Some(w) = sender {
                w.wake();
            }
            return Poll::Ready(Some(value));
        }
        if st.senders == 0 || st.rx_closed {
            return Poll::Ready(None);
        }
        if let Some(waker) = waker {
            match &st.rx_waker {
                Some(w) if w.will_wake(waker) => {}
                _ => st.rx_waker = Some(waker.clone()),
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        // Drop the undelivered messages outside the lock: their destructors
        // are user code.
        let rest = std::mem::take(&mut lock(&self.chan.state).queue);
        drop(rest);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("cap", &self.chan.cap)
            .finish_non_exhaustive()
    }
}

/// Future of [`Receiver::recv`].
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// Capacity 1, two senders on two threads, receiver on this one: every
    /// message arrives exactly once, nobody sleeps forever (loom reports a
    /// deadlock if a wake is lost), and `None` only after both senders drop.
    #[test]
    fn cap1_two_senders() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u32>(1);
            let tx2 = tx.clone();
            let t1 = thread::spawn(move || {
                crate::sync::loom_block_on(tx.send(1)).unwrap();
            });
            let t2 = thread::spawn(move || {
                crate::sync::loom_block_on(tx2.send(2)).unwrap();
            });
            let mut got = Vec::new();
            while let Some(v) = crate::sync::loom_block_on(rx.recv()) {
                got.push(v);
            }
            got.sort_unstable();
            assert_eq!(got, [1, 2]);
            t1.join().unwrap();
            t2.join().unwrap();
        });
    }

    /// A sender woken for a reserved slot is dropped before it runs: the slot
    /// goes to the next sender, which must not sleep forever.
    #[test]
    fn dropped_granted_sender_passes_slot_on() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u32>(1);
            tx.try_send(0).unwrap();
            let tx2 = tx.clone();
            // Two senders queue up (polled once each, on this thread).
            let waker = futures_task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            let mut first = tx.send(1);
            assert!(Pin::new(&mut first).poll(&mut cx).is_pending());
            let t = thread::spawn(move || {
                crate::sync::loom_block_on(tx2.send(2)).unwrap();
            });
            let recv = thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(v) = crate::sync::loom_block_on(rx.recv()) {
                    got.push(v);
                }
                got
            });
            drop(first); // maybe after the receiver granted it the slot
            drop(tx);
            t.join().unwrap();
            let got = recv.join().unwrap();
            assert_eq!(got, [0, 2]);
        });
    }
}
