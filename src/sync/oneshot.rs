//! A one-shot channel: one value, sent once, received once.
//!
//! **Naive approach:** an `Arc<Mutex<Option<T>>>` that the receiver checks
//! in a loop. **Its problems:** the loop spins, and the receiver cannot tell
//! "not sent yet" from "the sender is gone and never will send" (it waits
//! forever).
//!
//! **What this file does:** one small lock around the value, the receiver's
//! waker, the sender's waker (for [`Sender::closed`]) and two "dropped" flags.
//! Whoever changes the state takes the other side's waker under the lock and
//! wakes it after releasing it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{Arc, Mutex, lock};
use crate::waker_slot::WakerSlot;

/// Creates a one-shot channel.
///
/// ```
/// ramen::block_on(async {
///     let (tx, rx) = ramen::sync::oneshot::channel();
///     ramen::spawn(async move { tx.send(42).unwrap() });
///     assert_eq!(rx.await, Ok(42));
/// });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Mutex::new(Inner {
        value: None,
        rx_waker: WakerSlot::new(),
        tx_waker: WakerSlot::new(),
        tx_gone: false,
        rx_gone: false,
    }));
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver {
            inner,
            terminated: false,
        },
    )
}

struct Inner<T> {
    value: Option<T>,
    rx_waker: WakerSlot,
    tx_waker: WakerSlot,
    /// The sender sent or was dropped: no (further) value will come.
    tx_gone: bool,
    /// The receiver was dropped or closed: sending fails.
    rx_gone: bool,
}

/// Error of awaiting a [`Receiver`]: the sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending")
    }
}
impl std::error::Error for RecvError {}

/// Error of [`Receiver::try_recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet.
    Empty,
    /// The sender was dropped without sending (or the value was taken).
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("oneshot value not sent yet"),
            TryRecvError::Closed => f.write_str("oneshot sender dropped without sending"),
        }
    }
}
impl std::error::Error for TryRecvError {}

/// The sending half: [`send`](Sender::send) consumes it.
pub struct Sender<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`; gives it back as `Err` if the receiver is gone.
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut st = lock(&self.inner);
            if st.rx_gone {
                return Err(value);
            }
            st.value = Some(value);
            st.tx_gone = true;
            st.rx_waker.take()
        };
        // `self` drops here: `tx_gone` is already set, so its Drop does nothing.
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or closed (a send would fail).
    pub fn is_closed(&self) -> bool {
        lock(&self.inner).rx_gone
    }

    /// Waits until the receiver is dropped or [closed](Receiver::close):
    /// lets a producer stop computing a value nobody wants.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await;
    }

    /// Polls for the receiver being dropped or closed (the building block of
    /// [`closed`](Self::closed)); `Pending` registers `cx`'s waker.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.inner);
        if st.rx_gone {
            return Poll::Ready(());
        }
        st.tx_waker.register(cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = lock(&self.inner);
            if st.tx_gone {
                return;
            }
            st.tx_gone = true;
            st.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The receiving half: `.await` it for `Ok(value)`, or `Err(RecvError)` if
/// the sender was dropped without sending.
///
/// # Cancellation
/// Dropping a pending `.await` (by value, the receiver goes with it) closes the
/// channel; awaiting `&mut receiver` instead and dropping that loses nothing:
/// a value is only taken by the poll that returns it.
pub struct Receiver<T> {
    inner: Arc<Mutex<Inner<T>>>,
    /// Polling returned `Ready`, or `try_recv` returned the value.
    terminated: bool,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent, without waiting.
    ///
    /// `Closed` once the sender is gone without a value, the value was
    /// already taken, or [`close`](Self::close) was called and no value had
    /// been sent before it.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut st = lock(&self.inner);
        match st.value.take() {
            Some(v) => {
                self.terminated = true;
                Ok(v)
            }
            None if st.tx_gone || st.rx_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Whether this receiver already returned its outcome (`.await` was
    /// `Ready`, or `try_recv` gave the value): it must not be polled again.
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// Whether no value is waiting to be taken right now (also `true` once
    /// the value was taken, or the channel closed without one).
    pub fn is_empty(&self) -> bool {
        self.terminated || lock(&self.inner).value.is_none()
    }

    /// Refuses the value: a later `send` fails and gives it back, and the
    /// sender's [`is_closed`](Sender::is_closed)/[`closed`](Sender::closed)
    /// see it. A value sent before `close` can still be received; otherwise
    /// `try_recv` returns `Err(Closed)` and `.await` returns `Err` at once.
    pub fn close(&mut self) {
        let waker = {
            let mut st = lock(&self.inner);
            st.rx_gone = true;
            st.tx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        let this = &mut *self;
        let mut st = lock(&this.inner);
        let out = match st.value.take() {
            Some(v) => Ok(v),
            // Closed by the receiver: no value can come any more.
            None if st.tx_gone || st.rx_gone => Err(RecvError(())),
            None => {
                st.rx_waker.register(cx.waker());
                return Poll::Pending;
            }
        };
        this.terminated = true;
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (waker, value) = {
            let mut st = lock(&self.inner);
            st.rx_gone = true;
            (st.tx_waker.take(), st.value.take())
        };
        // The value's destructor is user code: run it outside the lock.
        drop(value);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// Send on another thread racing the receiver's first poll: the value
    /// always arrives (a lost wake would deadlock the model).
    #[test]
    fn send_races_recv() {
        loom::model(|| {
            let (tx, rx) = channel::<u32>();
            let t = thread::spawn(move || tx.send(7).unwrap());
            assert_eq!(crate::sync::loom_block_on(rx), Ok(7));
            t.join().unwrap();
        });
    }

    /// The sender is dropped without sending while the receiver waits.
    #[test]
    fn sender_drop_races_recv() {
        loom::model(|| {
            let (tx, rx) = channel::<u32>();
            let t = thread::spawn(move || drop(tx));
            assert_eq!(crate::sync::loom_block_on(rx), Err(RecvError(())));
            t.join().unwrap();
        });
    }

    /// The receiver is dropped while the sender sends: either the send fails
    /// and gives the value back, or it succeeds and the value is dropped by
    /// the receiver. Never both, never neither (counted through `Drop`).
    #[test]
    fn receiver_drop_races_send() {
        use crate::loom::{AtomicUsize, Ordering};
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, rx) = channel::<Counted>();
            let d = drops.clone();
            let t = thread::spawn(move || tx.send(Counted(d)).map_err(drop).is_ok());
            drop(rx);
            t.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once");
        });
    }
}
