//! Polling a `JoinHandle` never moves the task's pinned future: a `!Unpin`
//! future that lends its own address to another thread (an intrusive node, as
//! tokio's `Notify` waiters are) sees every write made through it. Failed
//! before the fix, when the future was moved out and back on every poll.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What the writer thread and the pinned future share: the address of the
/// future's counter while it is registered (an intrusive node, as in
/// tokio's `Notify`), guarded by a mutex.
struct Node {
    addr: Mutex<Option<usize>>,
    done: AtomicBool,
}

/// A `!Unpin` future that hands its own address to another thread. Sound
/// by `Pin`'s contract: every access is under `Node::addr`'s lock and `Drop`
/// unregisters it.
struct Intrusive {
    counter: u64,
    _bulk: [u8; 16 * 1024],
    node: Arc<Node>,
    registered: bool,
    _pin: PhantomPinned,
}

impl Future for Intrusive {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        // SAFETY: nothing below moves out of `this`; it stays pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let mut addr = this.node.addr.lock().unwrap();
        if !this.registered {
            *addr = Some(&raw mut this.counter as usize);
            this.registered = true;
        }
        if this.node.done.load(Ordering::Acquire) {
            *addr = None;
            return Poll::Ready(this.counter);
        }
        drop(addr);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for Intrusive {
    fn drop(&mut self) {
        *self.node.addr.lock().unwrap() = None;
    }
}

/// Polling a `JoinHandle` while its task runs must not move the task's
/// pinned future (it used to be moved out and back on every poll, losing
/// the writes another thread made meanwhile).
#[test]
fn polling_a_join_handle_never_moves_the_running_future() {
    const WRITES: u64 = 200_000;
    let node = Arc::new(Node {
        addr: Mutex::new(None),
        done: AtomicBool::new(false),
    });
    let writer = {
        let node = node.clone();
        std::thread::spawn(move || {
            let mut done = 0;
            while done < WRITES {
                let addr = node.addr.lock().unwrap();
                if let Some(p) = *addr {
                    // SAFETY: registered means the pinned future is alive at
                    // this address, and we hold the lock it reads under.
                    unsafe { *(p as *mut u64) += 1 };
                    done += 1;
                }
            }
            node.done.store(true, Ordering::Release);
        })
    };
    let fut = Intrusive {
        counter: 0,
        _bulk: [0; 16 * 1024],
        node: node.clone(),
        registered: false,
        _pin: PhantomPinned,
    };
    let seen = ramen::block_on(async move {
        let mut handle = ramen::spawn(fut);
        // Poll the handle on every turn while the task is running, as
        // `join!` and `select` do.
        std::future::poll_fn(|cx| match Pin::new(&mut handle).poll(cx) {
            Poll::Ready(v) => Poll::Ready(v.unwrap()),
            Poll::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    });
    writer.join().unwrap();
    assert_eq!(seen, WRITES, "writes to the pinned future were lost");
}
