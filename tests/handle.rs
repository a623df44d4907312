//! `Handle`: spawning onto a runtime from other threads, and the `Send`
//! `RemoteJoinHandle` awaited on other runtimes (issue 18, item 1).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use ramen::sync::mpsc;
use ramen::{Handle, RemoteJoinHandle, Runtime};

/// 8 OS threads × 1,000 tasks spawned onto one runtime; each thread awaits
/// its own handles on a runtime of its own, and every result is checked.
#[test]
fn eight_threads_spawn_a_thousand_tasks_each() {
    const THREADS: u64 = 8;
    const TASKS: u64 = 1_000;
    let rt = Runtime::new().unwrap();
    let (tx, mut rx) = mpsc::channel::<(u64, Vec<u64>)>(THREADS as usize);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = rt.handle();
            let tx = tx.clone();
            thread::spawn(move || {
                let handles: Vec<RemoteJoinHandle<u64>> = (0..TASKS)
                    .map(|i| {
                        handle.spawn(async move {
                            if i % 2 == 0 {
                                ramen::yield_now().await;
                            }
                            t * TASKS + i
                        })
                    })
                    .collect();
                // Awaited on this thread's own runtime.
                let results = ramen::block_on(async move {
                    let mut out = Vec::new();
                    for h in handles {
                        out.push(h.await.unwrap());
                    }
                    out
                });
                tx.blocking_send((t, results)).unwrap();
            })
        })
        .collect();
    drop(tx);
    let mut seen = 0;
    rt.block_on(async {
        while let Some((t, results)) = rx.recv().await {
            let expected: Vec<u64> = (0..TASKS).map(|i| t * TASKS + i).collect();
            assert_eq!(results, expected, "thread {t}");
            seen += 1;
        }
    });
    assert_eq!(seen, THREADS);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(rt.metrics().tasks_spawned, THREADS * TASKS);
}

/// A task of runtime A spawns onto runtime B (another thread) and awaits
/// the result inside A.
#[test]
fn remote_handle_awaited_inside_another_runtime() {
    let (handle_tx, handle_rx) = std::sync::mpsc::channel::<Handle>();
    let (stop_tx, mut stop_rx) = mpsc::channel::<()>(1);
    let b = thread::spawn(move || {
        ramen::block_on(async move {
            handle_tx.send(Handle::current()).unwrap();
            stop_rx.recv().await;
        });
    });
    let b_handle = handle_rx.recv().unwrap();
    let (on_b, here) = ramen::block_on(async move {
        let here = Handle::current().runtime_id();
        let h = b_handle.spawn(async { Handle::current().runtime_id() });
        (h.await.unwrap(), here)
    });
    assert_ne!(on_b, here, "the task ran on runtime B");
    stop_tx.blocking_send(()).unwrap();
    b.join().unwrap();
}

/// Remote tasks in flight when the runtime drops (some spawned and
/// waiting, some still in the inbox) and spawns after it dropped: every
/// handle resolves as cancelled, at once, and every future is dropped.
#[test]
fn shutdown_with_remote_tasks_in_flight() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let spawn_pending = |n: usize| -> Vec<RemoteJoinHandle<()>> {
        let handle = handle.clone();
        let dropped = dropped.clone();
        thread::spawn(move || {
            (0..n)
                .map(|_| {
                    let c = Counted(dropped.clone());
                    handle.spawn(async move {
                        let _c = c;
                        std::future::pending::<()>().await;
                    })
                })
                .collect()
        })
        .join()
        .unwrap()
    };
    let started = spawn_pending(50);
    rt.block_on(ramen::yield_now()); // the loop takes these 50 in
    assert_eq!(rt.metrics().tasks_spawned, 50);
    let queued = spawn_pending(50); // these wait in the inbox
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 100);
    let after = spawn_pending(10);
    assert_eq!(dropped.load(Ordering::SeqCst), 110, "dropped at once");
    for h in started.into_iter().chain(queued).chain(after) {
        assert!(h.is_finished());
        assert!(ramen::block_on(h).unwrap_err().is_cancelled());
    }
}

/// `abort` from another thread cancels a running remote task; a panic
/// reaches the handle as a panic; an aborted finished task keeps its output.
#[test]
fn abort_from_another_thread_and_panics() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let h = handle.spawn(async move {
        struct OnDrop(Arc<AtomicUsize>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let _guard = OnDrop(d);
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    let h = Arc::new(std::sync::Mutex::new(Some(h)));
    let aborter = {
        let h = h.clone();
        thread::spawn(move || {
            started_rx.recv().unwrap();
            h.lock().unwrap().as_ref().unwrap().abort();
        })
    };
    let result = rt.block_on(async {
        let h = loop {
            // Let the task start and the other thread abort it.
            ramen::time::sleep(std::time::Duration::from_millis(1)).await;
            if aborter.is_finished() {
                break h.lock().unwrap().take().unwrap();
            }
        };
        h.await
    });
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);

    let p = handle.spawn(async { panic!("remote boom") });
    let err = rt.block_on(p).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        err.into_panic().downcast_ref::<&str>(),
        Some(&"remote boom")
    );

    let done = handle.spawn(async { 5 });
    rt.block_on(ramen::yield_now());
    assert!(done.is_finished());
    done.abort();
    assert_eq!(rt.block_on(done).unwrap(), 5);
}

#[test]
fn current_outside_a_runtime() {
    assert!(Handle::try_current().is_err());
    let msg = std::panic::catch_unwind(Handle::current).unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("ramen::block_on"), "{msg}");
    assert!(msg.contains("Runtime::handle"), "{msg}");
}

#[test]
fn handle_types_cross_threads() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync_clone::<Handle>();
    send::<RemoteJoinHandle<String>>();
}

/// Spawning through the handle from the runtime's own thread works too (the
/// request goes through the inbox like any other), and the task sees the
/// same runtime.
#[test]
fn spawn_through_the_handle_from_inside_the_runtime() {
    let (outer, inner) = ramen::block_on(async {
        let handle = Handle::current();
        let h = handle.spawn(async { Handle::current().runtime_id() });
        (handle.runtime_id(), h.await.unwrap())
    });
    assert_eq!(outer, inner);
}

/// Code inside `spawn_blocking` still reaches the runtime that spawned it:
/// `Handle::current()` there is that runtime, and a future spawned through
/// it (with a sleep inside) runs on the runtime's thread.
#[test]
fn spawn_blocking_code_can_hand_async_work_back_to_its_runtime() {
    let value = ramen::block_on(async {
        let runtime_thread = std::thread::current().id();
        let remote = ramen::spawn_blocking(move || {
            assert_ne!(std::thread::current().id(), runtime_thread);
            let handle = ramen::Handle::current();
            handle.spawn_with(move || async move {
                ramen::time::sleep(std::time::Duration::from_millis(10)).await;
                assert_eq!(std::thread::current().id(), runtime_thread);
                7
            })
        })
        .await
        .unwrap();
        remote.await.unwrap()
    });
    assert_eq!(value, 7);
    // Outside any runtime and any job there is no current handle.
    let plain = std::thread::spawn(|| ramen::Handle::try_current().is_err());
    assert!(plain.join().unwrap());
}

#[test]
fn spawn_with_onto_a_shut_down_runtime_is_cancelled_at_once() {
    let rt = ramen::Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let made = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = made.clone();
    let remote = handle.spawn_with(move || {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        async { 1 }
    });
    let err = ramen::block_on(remote).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(
        !made.load(std::sync::atomic::Ordering::SeqCst),
        "make ran without a runtime"
    );
}
