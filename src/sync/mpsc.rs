//! Multi-producer, single-consumer channels: bounded (with backpressure
//! and permits) and unbounded.
//!
//! **Naive approach:** an `Arc<Mutex<VecDeque<T>>>` that the receiver polls
//! in a loop. **Its problems:** polling burns the CPU, an unbounded queue lets
//! a fast producer eat all memory, and a receiver that sleeps needs someone to
//! wake it exactly once per "something changed".
//!
//! **What this module does:** one `crate::loom::Mutex` guards the queue, the
//! receiver's waker and a FIFO of senders waiting for room (the shared
//! `WaitList`, see `wait_list.rs`); `mpsc/chan.rs` holds that core and its
//! slot accounting. The fast paths take the lock once per message and
//! allocate nothing beyond the `VecDeque`'s buffer. When `recv` frees a slot
//! while senders wait, the slot is *reserved* for the front sender before it
//! is woken, so a newcomer cannot barge in (fair FIFO), and a woken sender
//! that is dropped before it runs gives the reservation to the next one (no
//! lost wakeup). Every waker is woken after the lock is released.
//!
//! | file | what |
//! |---|---|
//! | `mpsc/chan.rs` | the shared core: queue, slot counts, waiting senders |
//! | `mpsc/bounded.rs` | [`Sender`], [`WeakSender`], `send`, `send_timeout`, `closed` |
//! | `mpsc/permit.rs` | `reserve*` → [`Permit`], [`PermitIterator`], [`OwnedPermit`] |
//! | `mpsc/receiver.rs` | [`Receiver`]: `recv`, `recv_many`, `try_recv`, `close` |
//! | `mpsc/unbounded.rs` | [`unbounded_channel`]: a send never waits |

#[macro_use]
mod handles;
mod bounded;
mod chan;
pub mod error;
mod permit;
mod receiver;
mod unbounded;

pub use bounded::{Closed, SendFut, Sender, WeakSender};
pub use error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use permit::{OwnedPermit, Permit, PermitIterator};
pub use receiver::{Receiver, Recv};
pub use unbounded::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender, unbounded_channel};

/// Creates a bounded channel: exactly `cap` messages queue before
/// [`Sender::send`] waits for the receiver to make room.
///
/// Works between tasks of one runtime and between threads (each running its
/// own runtime, or a plain thread using [`Sender::blocking_send`]).
///
/// # Panics
/// If `cap` is 0 (a rendezvous channel is a different design), with tokio's
/// message "mpsc bounded channel requires buffer > 0".
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
        "mpsc bounded channel requires buffer > 0 \
         (ramen::sync::mpsc::channel: capacity must be at least 1, got 0)"
    );
    let chan = crate::loom::Arc::new(chan::Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Context;

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

    /// The unbounded queue: two sender threads, the receiver here. The
    /// senders come back through `join`, so only a send can wake the
    /// receiver. Every message arrives once, each sender's in order, and
    /// `None` comes once both senders are dropped.
    #[test]
    fn unbounded_two_sender_threads() {
        loom::model(|| {
            let (tx, mut rx) = unbounded_channel::<u32>();
            let tx2 = tx.clone();
            let t1 = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
                tx
            });
            let t2 = thread::spawn(move || {
                tx2.send(10).unwrap();
                tx2
            });
            let mut got = Vec::new();
            while got.len() < 3 {
                got.push(crate::sync::loom_block_on(rx.recv()).unwrap());
            }
            let mine: Vec<_> = got.iter().copied().filter(|v| *v < 10).collect();
            assert_eq!(mine, [1, 2]);
            drop((t1.join().unwrap(), t2.join().unwrap()));
            assert_eq!(crate::sync::loom_block_on(rx.recv()), None);
        });
    }

    /// A permit dropped unused on one thread while a sender waits on
    /// another: the slot goes to the waiting sender, which must wake.
    #[test]
    fn dropped_permit_wakes_a_waiting_sender() {
        loom::model(|| {
            let (tx, mut rx) = channel::<u32>(1);
            let tx2 = tx.clone();
            let permit = tx.try_reserve_owned().unwrap();
            let t = thread::spawn(move || {
                crate::sync::loom_block_on(tx2.send(5)).unwrap();
            });
            drop(permit);
            assert_eq!(crate::sync::loom_block_on(rx.recv()), Some(5));
            t.join().unwrap();
        });
    }
}
