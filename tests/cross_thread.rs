//! Wakes that cross threads: counts are exact, nothing is lost, stale wakers
//! are harmless, and runtimes on different threads can talk.
//!
//! Only std and ramen's core are used (no ramen channels): the helpers below
//! are the smallest thread-safe "wait for a value" primitives.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

/// A queue any thread can push to and one task awaits: waker stored and
/// checked under the same lock, woken outside it.
struct Mailbox<T> {
    inner: Mutex<(VecDeque<T>, Option<Waker>)>,
}

impl<T> Mailbox<T> {
    fn new() -> Arc<Self> {
        Arc::new(Mailbox {
            inner: Mutex::new((VecDeque::new(), None)),
        })
    }

    fn send(&self, v: T) {
        let waker = {
            let mut g = self.inner.lock().unwrap();
            g.0.push_back(v);
            g.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn recv(&self) -> impl Future<Output = T> + '_ {
        poll_fn(|cx| {
            let mut g = self.inner.lock().unwrap();
            match g.0.pop_front() {
                Some(v) => Poll::Ready(v),
                None => {
                    g.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

/// Four OS threads wake one task 10 000 times each. Every wake is preceded by
/// an event; the task's last poll must see all 40 000 (no lost wake), and it
/// is polled once per remote enqueue (at most once per queue entry).
#[test]
fn four_threads_ten_thousand_wakes_each() {
    const THREADS: usize = 4;
    const WAKES: usize = 10_000;
    let rt = ramen::Runtime::new().unwrap();
    let events = Arc::new(AtomicUsize::new(0));
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let (polls, seen) = rt.block_on(async {
        let ev = events.clone();
        let task = ramen::spawn(async move {
            let mut polls = 0usize;
            let mut sent = false;
            poll_fn(|cx| {
                polls += 1;
                if !sent {
                    waker_tx.send(cx.waker().clone()).unwrap();
                    sent = true;
                }
                let seen = ev.load(Ordering::Acquire);
                if seen == THREADS * WAKES {
                    Poll::Ready((polls, seen))
                } else {
                    Poll::Pending
                }
            })
            .await
        });
        // The task has not run yet (spawn is lazy): its waker is handed out
        // by a helper thread once it has, while this task awaits.
        let evs = events.clone();
        let starter = thread::spawn(move || {
            let waker = waker_rx.recv().unwrap();
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (w, ev) = (waker.clone(), evs.clone());
                    thread::spawn(move || {
                        for _ in 0..WAKES {
                            ev.fetch_add(1, Ordering::Release);
                            w.wake_by_ref();
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
        });
        let out = task.await.unwrap();
        starter.join().unwrap();
        out
    });
    assert_eq!(seen, THREADS * WAKES, "the last poll saw every event");
    let m = rt.metrics();
    // Poll 1 is the spawn; every other poll came from one remote enqueue. A
    // last wake may land after completion (drained as a stale entry).
    let remote = m.remote_wakes as usize;
    assert!(
        remote == polls - 1 || remote == polls,
        "polls {polls}, remote wakes {remote}"
    );
    assert!(
        polls <= THREADS * WAKES + 1,
        "more polls than wakes: {polls}"
    );
    assert!(polls >= 2, "the task waited for the threads");
}

/// A small thread-safe flag a task can await.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    fn fire(&self) {
        self.set.store(true, Ordering::Release);
        let waker = self.waker.lock().unwrap().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            // Register first, then check: a `fire` in between finds the waker.
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.set.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

#[test]
fn wakers_moved_to_std_threads_wake_their_tasks() {
    let rt = ramen::Runtime::new().unwrap();
    let done = rt.block_on(async {
        let signals: Vec<Arc<Signal>> = (0..16).map(|_| Arc::default()).collect();
        let tasks: Vec<_> = signals
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s.clone();
                ramen::spawn(async move {
                    s.wait().await;
                    i
                })
            })
            .collect();
        ramen::yield_now().await; // let every task register its waker
        let threads: Vec<_> = signals
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(i as u64 % 4));
                    s.fire();
                })
            })
            .collect();
        let mut done = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), i);
            done += 1;
        }
        for t in threads {
            t.join().unwrap();
        }
        done
    });
    assert_eq!(done, 16);
    let m = rt.metrics();
    assert!(m.remote_wakes >= 1 && m.remote_wakes <= 16, "{m:?}");
}

/// Wakers outliving their task, and then their runtime, are harmless from
/// any thread: wake, wake_by_ref, clone and drop all do nothing.
#[test]
fn stale_wakers_after_completion_and_after_runtime_drop() {
    let rt = ramen::Runtime::new().unwrap();
    let (tx, rx) = mpsc::channel::<Waker>();
    rt.block_on(async {
        ramen::spawn(poll_fn(move |cx| {
            tx.send(cx.waker().clone()).unwrap();
            Poll::Ready(())
        }))
        .await
        .unwrap();
    });
    let waker = rx.recv().unwrap();
    let polls_before = rt.metrics().polls;
    // The task is done: wakes from other threads enqueue nothing.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let w = waker.clone();
            thread::spawn(move || {
                for _ in 0..1000 {
                    w.wake_by_ref();
                }
                let owned = w.clone();
                owned.wake(); // consumes a clone: the reference count stays right
                drop(w);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    rt.block_on(ramen::yield_now());
    // `yield_now` polls the block_on future twice; the finished task never runs.
    assert_eq!(
        rt.metrics().polls,
        polls_before + 2,
        "only the block_on future ran"
    );
    assert_eq!(
        rt.metrics().remote_wakes,
        0,
        "a finished task is never queued"
    );

    // Now without a runtime at all, and then on a thread running another one.
    drop(rt);
    let w = waker.clone();
    thread::spawn(move || {
        w.wake_by_ref();
        w.wake();
    })
    .join()
    .unwrap();
    waker.wake_by_ref();
    ramen::block_on(async move {
        waker.wake_by_ref();
        let w = waker.clone();
        drop(waker);
        w.wake();
    });
}

/// One runtime per OS thread, playing ping-pong through `Mailbox`es: each
/// message wakes a task on the other runtime across threads.
#[test]
fn runtimes_on_different_threads_talk() {
    const ROUNDS: u64 = 2_000;
    let to_b = Mailbox::<u64>::new();
    let to_a = Mailbox::<u64>::new();
    let (ab, ba) = (to_b.clone(), to_a.clone());
    let b = thread::spawn(move || {
        let rt = ramen::Runtime::new().unwrap();
        rt.block_on(async {
            loop {
                let v = ab.recv().await;
                ba.send(v + 1);
                if v + 1 >= ROUNDS {
                    break;
                }
            }
        });
        rt.metrics().remote_wakes
    });
    let (last, a_remote) = {
        let rt = ramen::Runtime::new().unwrap();
        let last = rt.block_on(async {
            let mut v = 0;
            while v < ROUNDS {
                to_b.send(v);
                v = to_a.recv().await;
            }
            v
        });
        (last, rt.metrics().remote_wakes)
    };
    let b_remote = b.join().unwrap();
    assert_eq!(last, ROUNDS);
    // Each side waits for almost every message, so most arrive as remote
    // wakes; none can arrive more often than messages were sent.
    assert!(
        a_remote <= ROUNDS && b_remote <= ROUNDS,
        "{a_remote} {b_remote}"
    );
    assert!(a_remote + b_remote > 0);
}

/// Several runtimes, each on its own thread, all fed by one producer thread
/// through std `mpsc` plus their own wakers.
#[test]
fn a_runtime_per_thread_fed_by_std_mpsc() {
    let (waker_tx, waker_rx) = mpsc::channel::<(usize, Arc<Mailbox<u32>>)>();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let waker_tx = waker_tx.clone();
            thread::spawn(move || {
                ramen::block_on(async move {
                    let inbox = Mailbox::new();
                    waker_tx.send((i, inbox.clone())).unwrap();
                    let mut sum = 0u32;
                    loop {
                        match inbox.recv().await {
                            0 => break sum,
                            v => sum += v,
                        }
                    }
                })
            })
        })
        .collect();
    drop(waker_tx);
    let boxes: Vec<_> = waker_rx.iter().take(4).collect();
    assert_eq!(boxes.len(), 4);
    for v in 1..=100u32 {
        for (_, b) in &boxes {
            b.send(v);
        }
    }
    for (_, b) in &boxes {
        b.send(0);
    }
    for w in workers {
        assert_eq!(w.join().unwrap(), 5050);
    }
}
