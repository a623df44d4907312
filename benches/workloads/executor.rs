//! Executor workloads: spawn+join, yield, remote wake (monoio: not remote
//! wake, whose cross-thread waker needs its `sync` feature).
//!
//! Every function runs the whole workload once and returns something derived
//! from its result, so nothing can be optimised away.
//! - `spawn_join_*(n)`: spawn `n` tasks returning their index, await each handle.
//! - `yield_*(tasks, yields)`: `tasks` tasks each call `yield_now` `yields` times.
//! - `remote_wake_*(n)`: an OS thread and a task ping-pong `n` times. The thread
//!   wakes the task's waker (an [`AtomicWaker`]); the task answers with an
//!   atomic store and `Thread::unpark`. This is the runtime's cross-thread
//!   wake path plus its "nothing to do: sleep in the OS" path, `n` times.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use futures::executor::LocalPool;
use futures::task::{AtomicWaker, LocalSpawnExt};

/// ramen: spawn `n` tasks, await every handle.
pub fn spawn_join_ramen(rt: &ramen::Runtime, n: u64) -> u64 {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|i| ramen::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    })
}

/// tokio: `spawn_local` `n` tasks inside a `LocalSet`, await every handle.
pub fn spawn_join_tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    crate::tokio_local(rt, async {
        let handles: Vec<_> = (0..n)
            .map(|i| tokio::task::spawn_local(async move { i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    })
}

/// smol: `LocalExecutor::spawn` `n` tasks, await every `Task`.
pub fn spawn_join_smol<'a>(ex: &'a async_executor::LocalExecutor<'a>, n: u64) -> u64 {
    crate::smol_run(ex, async {
        let handles: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    })
}

/// monoio (either driver): `monoio::spawn` `n` tasks, await every handle.
pub fn spawn_join_monoio(rt: &crate::Monoio, n: u64) -> u64 {
    rt.block_on(async {
        let handles: Vec<_> = (0..n).map(|i| monoio::spawn(async move { i })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    })
}

/// futures `LocalPool`: `spawn_local_with_handle`, await every `RemoteHandle`.
pub fn spawn_join_local_pool(n: u64) -> u64 {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    pool.run_until(async {
        let handles: Vec<_> = (0..n)
            .map(|i| spawner.spawn_local_with_handle(async move { i }).unwrap())
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await;
        }
        sum
    })
}

/// OS threads: `std::thread::spawn` + `join`, `n` times (run with a small `n`).
pub fn spawn_join_threads(n: u64) -> u64 {
    let handles: Vec<_> = (0..n).map(|i| thread::spawn(move || i)).collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

/// The floor: a `VecDeque` of boxed futures polled with a no-op waker.
pub fn spawn_join_floor(n: u64) -> u64 {
    let mut queue: VecDeque<Pin<Box<dyn Future<Output = u64>>>> = VecDeque::new();
    for i in 0..n {
        queue.push_back(Box::pin(async move { i }));
    }
    run_floor(queue).into_iter().sum()
}

/// Polls every future round-robin until all are done (no wakers: a future
/// that returned `Pending` is simply polled again on the next round).
fn run_floor<T>(mut queue: VecDeque<Pin<Box<dyn Future<Output = T>>>>) -> Vec<T> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::with_capacity(queue.len());
    while let Some(mut fut) = queue.pop_front() {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => out.push(v),
            Poll::Pending => queue.push_back(fut),
        }
    }
    out
}

/// ramen: `tasks` tasks × `yields` `ramen::yield_now`.
pub fn yield_ramen(rt: &ramen::Runtime, tasks: u64, yields: u64) {
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                ramen::spawn(async move {
                    for _ in 0..yields {
                        ramen::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
}

/// tokio: `tasks` tasks × `yields` `tokio::task::yield_now`.
pub fn yield_tokio(rt: &tokio::runtime::Runtime, tasks: u64, yields: u64) {
    crate::tokio_local(rt, async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                tokio::task::spawn_local(async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    })
}

/// smol: `tasks` tasks × `yields` `futures_lite::future::yield_now`.
pub fn yield_smol<'a>(ex: &'a async_executor::LocalExecutor<'a>, tasks: u64, yields: u64) {
    crate::smol_run(ex, async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                ex.spawn(async move {
                    for _ in 0..yields {
                        futures_lite::future::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    })
}

/// monoio: `tasks` tasks × `yields` `futures_lite::future::yield_now` (monoio
/// has no `yield_now` of its own; this one wakes its own waker and pends once).
pub fn yield_monoio(rt: &crate::Monoio, tasks: u64, yields: u64) {
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                monoio::spawn(async move {
                    for _ in 0..yields {
                        futures_lite::future::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    })
}

/// futures `LocalPool`: `tasks` tasks × `yields` `futures_lite::future::yield_now`.
pub fn yield_local_pool(tasks: u64, yields: u64) {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    for _ in 0..tasks {
        spawner
            .spawn_local(async move {
                for _ in 0..yields {
                    futures_lite::future::yield_now().await;
                }
            })
            .unwrap();
    }
    pool.run();
}

/// The floor: the same yields, round-robin over a `VecDeque`, no-op waker.
pub fn yield_floor(tasks: u64, yields: u64) {
    let mut queue: VecDeque<Pin<Box<dyn Future<Output = ()>>>> = VecDeque::new();
    for _ in 0..tasks {
        queue.push_back(Box::pin(async move {
            for _ in 0..yields {
                futures_lite::future::yield_now().await;
            }
        }));
    }
    black_box(run_floor(queue));
}

/// What the pinging thread and the answering task share. `turn` counts
/// half-round-trips: odd = the thread pinged, even = the task answered.
struct PingPong {
    turn: AtomicU64,
    waker: AtomicWaker,
}

/// The OS-thread side: ping by waking the waker, wait (parked) for the answer.
fn pinger(shared: Arc<PingPong>, n: u64) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for i in 0..n {
            shared.turn.store(2 * i + 1, Ordering::Release);
            shared.waker.wake();
            while shared.turn.load(Ordering::Acquire) != 2 * i + 2 {
                thread::park();
            }
        }
    })
}

/// The task side: wait for each ping through the waker, answer with unpark.
async fn ponger(shared: Arc<PingPong>, pinger: Thread, n: u64) -> u64 {
    for i in 0..n {
        poll_fn(|cx| {
            shared.waker.register(cx.waker());
            if shared.turn.load(Ordering::Acquire) == 2 * i + 1 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        shared.turn.store(2 * i + 2, Ordering::Release);
        pinger.unpark();
    }
    n
}

/// Starts the pinging thread; returns what the task side needs.
fn start_ping(n: u64) -> (Arc<PingPong>, thread::JoinHandle<()>) {
    let shared = Arc::new(PingPong {
        turn: AtomicU64::new(0),
        waker: AtomicWaker::new(),
    });
    let handle = pinger(shared.clone(), n);
    (shared, handle)
}

/// ramen: a spawned task answers an OS thread `n` times.
pub fn remote_wake_ramen(rt: &ramen::Runtime, n: u64) -> u64 {
    let (shared, t) = start_ping(n);
    let th = t.thread().clone();
    let r = rt.block_on(async move { ramen::spawn(ponger(shared, th, n)).await.unwrap() });
    t.join().unwrap();
    r
}

/// tokio: a `spawn_local`ed task answers an OS thread `n` times.
pub fn remote_wake_tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    let (shared, t) = start_ping(n);
    let th = t.thread().clone();
    let r = crate::tokio_local(rt, async move {
        tokio::task::spawn_local(ponger(shared, th, n))
            .await
            .unwrap()
    });
    t.join().unwrap();
    r
}

/// smol: a `LocalExecutor` task answers an OS thread `n` times.
pub fn remote_wake_smol<'a>(ex: &'a async_executor::LocalExecutor<'a>, n: u64) -> u64 {
    let (shared, t) = start_ping(n);
    let th = t.thread().clone();
    let r = crate::smol_run(ex, ex.spawn(ponger(shared, th, n)));
    t.join().unwrap();
    r
}

/// futures `LocalPool`: a spawned task answers an OS thread `n` times.
pub fn remote_wake_local_pool(n: u64) -> u64 {
    let (shared, t) = start_ping(n);
    let th = t.thread().clone();
    let mut pool = LocalPool::new();
    let h = pool
        .spawner()
        .spawn_local_with_handle(ponger(shared, th, n))
        .unwrap();
    let r = pool.run_until(h);
    t.join().unwrap();
    r
}

/// Wakes a thread by unparking it: the waker behind the threads row.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// OS threads: a second thread answers instead of a task (park/unpark both ways).
pub fn remote_wake_threads(n: u64) -> u64 {
    let (shared, t) = start_ping(n);
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(ponger(shared, t.thread().clone(), n));
    let r = loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(r) => break r,
            Poll::Pending => thread::park(),
        }
    };
    t.join().unwrap();
    r
}
