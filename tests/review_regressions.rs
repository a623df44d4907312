//! Regression tests for bugs found in review of the unsafe code: each one
//! failed before its fix.

use std::future::Future;
use std::io::{Read, Write};
use std::marker::PhantomPinned;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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

/// Replacing an `AsyncFd`'s object through `get_mut` closes the registered
/// fd; its number may then be reused by another source, which dropping the
/// first must not deregister.
#[test]
fn replaced_async_fd_does_not_deregister_a_reused_fd() {
    ramen::block_on(async {
        let (r1, _w1) = UnixStream::pair().unwrap();
        let mut a = ramen::io::AsyncFd::new(r1).unwrap();
        let (other, _o) = UnixStream::pair().unwrap();
        *a.get_mut() = other; // closes a's registered fd
        let (r2, mut w2) = UnixStream::pair().unwrap();
        let b = ramen::io::AsyncFd::new(r2).unwrap();
        drop(a);
        // Use up b's initial readiness so the next wait needs a real event.
        let mut guard = b.readable().await.unwrap();
        let mut buf = [0u8; 8];
        assert!(guard.try_io(|s| (&*s).read(&mut buf)).is_err());
        drop(guard);
        w2.write_all(b"x").unwrap();
        let woke = ramen::time::timeout(Duration::from_secs(5), b.readable()).await;
        assert!(
            woke.is_ok(),
            "b lost its registration (fd {})",
            b.get_ref().as_raw_fd()
        );
    });
}

/// A `Sleep` registered in a runtime that was then dropped must not
/// complete early when polled in another runtime.
#[test]
fn sleep_outliving_its_runtime_is_never_early() {
    let mut sleep = Box::pin(ramen::time::sleep(Duration::from_millis(300)));
    let first = ramen::Runtime::new().unwrap();
    first.block_on(std::future::poll_fn(|cx| {
        assert!(sleep.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    }));
    drop(first); // clears its timer map
    let second = ramen::Runtime::new().unwrap();
    second.block_on(sleep.as_mut());
    assert!(
        Instant::now() >= sleep.deadline().into_std(),
        "completed before its deadline"
    );
}
