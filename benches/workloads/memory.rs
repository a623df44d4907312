//! Memory workloads: what an idle task costs, and what a parked OS thread costs.
//!
//! Run each in a **fresh process** (`compare` re-executes itself), so one
//! contender's freed-but-kept heap does not hide the next one's growth.
//! - [`idle_tasks`]: spawn `n` tasks whose future counts its first poll and
//!   then stays `Pending` forever; once every one has been polled (parked),
//!   read RSS. Bytes per task = RSS delta / `n`. The JoinHandles are dropped
//!   (tasks detached) so only the runtime's own bookkeeping is counted.
//! - [`parked_threads`]: spawn `n` OS threads that block on a `Barrier`;
//!   RSS and virtual-size deltas per thread. Virtual size is mostly the
//!   reserved (untouched) stack: it costs address space, not memory.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Waker};
use std::time::Duration;

thread_local! {
    /// How many idle tasks have been polled once (a thread-local, so the
    /// task's future captures nothing and stays minimal).
    static POLLED: Cell<usize> = const { Cell::new(0) };
}

/// The idle task: count the first poll, then pend forever.
async fn idle() {
    POLLED.with(|p| p.set(p.get() + 1));
    std::future::pending::<()>().await
}

fn polled() -> usize {
    POLLED.with(Cell::get)
}

/// (resident, virtual) bytes of this process, from `/proc/self/statm`.
pub fn statm() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let mut f = s.split_whitespace().map(|x| x.parse::<u64>().unwrap());
    let (size, resident) = (f.next().unwrap(), f.next().unwrap());
    // SAFETY: sysconf has no preconditions; _SC_PAGESIZE is always valid.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    (resident * page, size * page)
}

fn per(before: (u64, u64), after: (u64, u64), n: usize) -> (f64, f64) {
    let d = |a: u64, b: u64| a.saturating_sub(b) as f64 / n as f64;
    (d(after.0, before.0), d(after.1, before.1))
}

/// Bytes (resident, virtual) per idle task for `runtime`: `ramen`, `tokio`,
/// `smol`, `monoio-uring`, `monoio-epoll`, `localpool` or `floor` (a `Vec` of
/// boxed futures polled once).
pub fn idle_tasks(runtime: &str, n: usize) -> (f64, f64) {
    match runtime {
        "ramen" => {
            let rt = ramen::Runtime::new().unwrap();
            rt.block_on(async {
                ramen::spawn(async {}).await.unwrap();
                let before = statm();
                for _ in 0..n {
                    drop(ramen::spawn(idle()));
                }
                while polled() < n {
                    ramen::yield_now().await;
                }
                per(before, statm(), n)
            })
        }
        "tokio" => {
            let rt = crate::tokio_rt();
            crate::tokio_local(&rt, async {
                tokio::task::spawn_local(async {}).await.unwrap();
                let before = statm();
                for _ in 0..n {
                    drop(tokio::task::spawn_local(idle()));
                }
                while polled() < n {
                    tokio::task::yield_now().await;
                }
                per(before, statm(), n)
            })
        }
        "smol" => {
            let ex = async_executor::LocalExecutor::new();
            crate::smol_run(&ex, async {
                ex.spawn(async {}).await;
                let before = statm();
                for _ in 0..n {
                    ex.spawn(idle()).detach();
                }
                while polled() < n {
                    futures_lite::future::yield_now().await;
                }
                per(before, statm(), n)
            })
        }
        "monoio-uring" | "monoio-epoll" => {
            let rt = crate::Monoio::new(runtime).unwrap_or_else(|e| panic!("{runtime}: {e}"));
            rt.block_on(async {
                monoio::spawn(async {}).await;
                let before = statm();
                for _ in 0..n {
                    drop(monoio::spawn(idle()));
                }
                // Waits in a task: monoio's `block_on` re-polls a main future
                // that woke itself before it runs any task, so a main future
                // spinning on `yield_now` would never let the idle tasks run.
                monoio::spawn(async move {
                    while polled() < n {
                        futures_lite::future::yield_now().await;
                    }
                })
                .await;
                per(before, statm(), n)
            })
        }
        "localpool" => {
            use futures::task::LocalSpawnExt;
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            spawner.spawn_local(async {}).unwrap();
            pool.run_until_stalled();
            let before = statm();
            for _ in 0..n {
                spawner.spawn_local(idle()).unwrap();
            }
            pool.run_until_stalled();
            assert_eq!(polled(), n);
            per(before, statm(), n)
        }
        "floor" => {
            let before = statm();
            let mut futs: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::with_capacity(n);
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..n {
                let mut f: Pin<Box<dyn Future<Output = ()>>> = Box::pin(idle());
                let _ = f.as_mut().poll(&mut cx);
                futs.push(f);
            }
            assert_eq!(polled(), n);
            let r = per(before, statm(), n);
            drop(futs);
            r
        }
        other => panic!("unknown runtime {other:?}"),
    }
}

/// Bytes (resident, virtual) per OS thread parked on a `Barrier`, with the
/// default stack size.
pub fn parked_threads(n: usize) -> (f64, f64) {
    let barrier = Arc::new(Barrier::new(n + 1));
    let arrived = Arc::new(AtomicUsize::new(0));
    // Warm up: the first thread spawn initialises process-wide state.
    std::thread::spawn(|| ()).join().unwrap();
    let before = statm();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (b, a) = (barrier.clone(), arrived.clone());
            std::thread::spawn(move || {
                a.fetch_add(1, Ordering::Release);
                b.wait();
            })
        })
        .collect();
    while arrived.load(Ordering::Acquire) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20)); // let the last ones reach `wait`
    let r = per(before, statm(), n);
    barrier.wait();
    for h in handles {
        h.join().unwrap();
    }
    r
}
