//! `spawn_blocking`: results, panics, parallelism, the thread bound, shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn result_wakes_the_awaiting_task() {
    let v = ramen::block_on(async {
        ramen::spawn_blocking(|| {
            thread::sleep(Duration::from_millis(20));
            thread::current().name().map(str::to_owned)
        })
        .await
        .unwrap()
    });
    let name = v.expect("blocking threads are named");
    assert!(name.starts_with("ramen-blocking-"), "{name}");
}

#[test]
fn result_reaches_a_spawned_task_while_main_waits_elsewhere() {
    let rt = ramen::Runtime::new().unwrap();
    let out = rt.block_on(async {
        let h = ramen::spawn(async {
            // The job waits for a go-ahead sent only after the task's first
            // poll of the handle, so the result must arrive by a remote wake.
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let mut job = ramen::spawn_blocking(move || {
                go_rx.recv().unwrap();
                21 * 2
            });
            let first =
                std::future::poll_fn(|cx| std::task::Poll::Ready(Pin::new(&mut job).poll(cx)))
                    .await;
            assert!(first.is_pending());
            go_tx.send(()).unwrap();
            job.await.unwrap()
        });
        h.await.unwrap()
    });
    assert_eq!(out, 42);
    let m = rt.metrics();
    assert!(
        m.remote_wakes >= 1,
        "the result arrived from another thread: {m:?}"
    );
}

#[test]
fn many_jobs_run_in_parallel() {
    let start = Instant::now();
    let total = ramen::block_on(async {
        let handles: Vec<_> = (0..64u64)
            .map(|i| {
                ramen::spawn_blocking(move || {
                    thread::sleep(Duration::from_millis(50));
                    i
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..64).sum());
    let serial = Duration::from_millis(64 * 50);
    assert!(
        start.elapsed() < serial / 4,
        "64 x 50 ms took {:?}: not parallel",
        start.elapsed()
    );
}

#[test]
fn panic_becomes_join_error_and_worker_survives() {
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let err = ramen::spawn_blocking(|| -> u32 { panic!("boom in a blocking job") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        let payload = err.into_panic();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"boom in a blocking job")
        );
        // The single worker is still there and still works.
        assert_eq!(ramen::spawn_blocking(|| 7).await.unwrap(), 7);
    });
    assert_eq!(rt.metrics().blocking_threads, 1);
}

/// Waits (blocking this thread) until `cond` holds, at most 5 s.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn pool_respects_max_threads() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    // Jobs block on this gate, so the counts below are exact, not timing luck.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (running, peak, gate) = (running.clone(), peak.clone(), gate.clone());
                ramen::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    let open = gate.0.lock().unwrap();
                    drop(gate.1.wait_while(open, |open| !*open).unwrap());
                    running.fetch_sub(1, Ordering::SeqCst);
                    thread::current().name().unwrap().to_owned()
                })
            })
            .collect();
        // Blocking the runtime thread on purpose: nothing else runs here.
        wait_until("two running jobs", || {
            rt.metrics().blocking_jobs_running == 2
        });
        let m = rt.metrics();
        assert_eq!(m.blocking_threads, 2, "{m:?}");
        assert_eq!(m.blocking_jobs_queued, 6, "6 wait for the 2 threads: {m:?}");
        thread::sleep(Duration::from_millis(20));
        assert_eq!(running.load(Ordering::SeqCst), 2, "a third job started");
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let mut names = Vec::new();
        for h in handles {
            names.push(h.await.unwrap());
        }
        names.sort();
        names.dedup();
        assert!(names.len() <= 2, "{names:?}");
    });
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    // A worker counts its job as running until just after it woke us.
    wait_until("jobs to wind down", || {
        rt.metrics().blocking_jobs_running == 0
    });
    let m = rt.metrics();
    assert_eq!(m.blocking_threads, 2);
    assert_eq!(m.blocking_jobs_queued, 0);
}

#[test]
fn abort_cancels_a_queued_job_but_not_a_running_one() {
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let (started_tx, started_rx) = mpsc::channel();
        let running = ramen::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(50));
            "finished"
        });
        let r = ran.clone();
        let queued = ramen::spawn_blocking(move || r.fetch_add(1, Ordering::SeqCst));
        started_rx.recv().unwrap();
        running.abort(); // too late: it runs to the end
        queued.abort();
        assert!(queued.is_finished());
        assert!(queued.await.unwrap_err().is_cancelled());
        assert_eq!(running.await.unwrap(), "finished");
    });
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "an aborted queued job never runs"
    );
}

#[test]
fn drop_cancels_queued_and_does_not_wait_for_running() {
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let ran_queued = Arc::new(AtomicUsize::new(0));
    let (running, queued) = rt.block_on(async {
        let running = ramen::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(Duration::from_secs(10));
        });
        let r = ran_queued.clone();
        let queued = ramen::spawn_blocking(move || r.fetch_add(1, Ordering::SeqCst));
        (running, queued)
    });
    started_rx.recv().unwrap();
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "drop waited for a running job"
    );
    assert!(queued.is_finished(), "a queued job is cancelled on drop");
    assert!(!running.is_finished());
    release_tx.send(()).unwrap();
    // Handles outlive their runtime: poll them with another one.
    ramen::block_on(async {
        assert!(queued.await.unwrap_err().is_cancelled());
        running.await.unwrap();
    });
    assert_eq!(ran_queued.load(Ordering::SeqCst), 0);
}

#[test]
fn shutdown_timeout_waits_for_running_jobs() {
    let rt = ramen::Runtime::new().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let (started_tx, started_rx) = mpsc::channel();
    rt.block_on(async {
        drop(ramen::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(50));
            d.fetch_add(1, Ordering::SeqCst);
        }));
    });
    started_rx.recv().unwrap();
    assert!(rt.shutdown_timeout(Duration::from_secs(10)));
    assert_eq!(done.load(Ordering::SeqCst), 1);

    // And gives up after the timeout.
    let rt = ramen::Runtime::new().unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    rt.block_on(async {
        drop(ramen::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv();
        }));
    });
    started_rx.recv().unwrap();
    let start = Instant::now();
    assert!(!rt.shutdown_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(release_tx);
}

#[test]
fn idle_threads_retire_after_keep_alive() {
    let rt = ramen::Runtime::builder()
        .blocking_keep_alive(Duration::from_millis(20))
        .build()
        .unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..3).map(|i| ramen::spawn_blocking(move || i)).collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert!(rt.metrics().blocking_threads >= 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while rt.metrics().blocking_threads > 0 {
        assert!(Instant::now() < deadline, "idle threads never retired");
        thread::sleep(Duration::from_millis(5));
    }
    // The pool starts new threads again afterwards.
    assert_eq!(
        rt.block_on(async { ramen::spawn_blocking(|| 5).await })
            .unwrap(),
        5
    );
}

#[test]
fn idle_thread_is_reused() {
    let rt = ramen::Runtime::new().unwrap();
    rt.block_on(async {
        for i in 0..20 {
            assert_eq!(ramen::spawn_blocking(move || i).await.unwrap(), i);
            // The worker wakes us before it goes back to idle. Wait until it
            // is idle (its `running` count drops under the same lock that
            // marks it idle), so the next job must find that idle thread.
            let deadline = Instant::now() + Duration::from_secs(10);
            while rt.metrics().blocking_jobs_running > 0 && Instant::now() < deadline {
                ramen::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    assert_eq!(
        rt.metrics().blocking_threads,
        1,
        "one idle thread serves every sequential job"
    );
}

#[test]
fn no_threads_for_runtimes_that_never_use_it() {
    let rt = ramen::Runtime::new().unwrap();
    rt.block_on(async { ramen::spawn(async {}).await.unwrap() });
    assert_eq!(rt.metrics().blocking_threads, 0);
}

#[test]
fn outside_a_runtime_it_panics_naming_block_on() {
    let err = std::panic::catch_unwind(|| drop(ramen::spawn_blocking(|| 1))).unwrap_err();
    let msg = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("ramen::block_on"), "{msg}");
}

#[test]
fn spawn_blocking_from_a_destructor_during_shutdown_is_cancelled() {
    use std::cell::RefCell;
    use std::rc::Rc;
    struct SpawnOnDrop(Rc<RefCell<Option<ramen::JoinHandle<()>>>>, Arc<AtomicUsize>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let ran = self.1.clone();
            let h = ramen::spawn_blocking(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            });
            *self.0.borrow_mut() = Some(h);
        }
    }
    let slot = Rc::new(RefCell::new(None));
    let ran = Arc::new(AtomicUsize::new(0));
    let rt = ramen::Runtime::new().unwrap();
    let guard = SpawnOnDrop(slot.clone(), ran.clone());
    drop(rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    }));
    rt.block_on(ramen::yield_now());
    drop(rt);
    let handle = slot
        .borrow_mut()
        .take()
        .expect("the destructor ran at drop");
    assert!(handle.is_finished());
    let err = ramen::block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
    thread::sleep(Duration::from_millis(20));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
