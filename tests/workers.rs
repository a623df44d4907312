//! `ramen::workers(n)`: N threads with a runtime each (issue 18, item 2).

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ramen::{Handle, WorkerError};

#[test]
fn zero_workers_is_a_clear_error() {
    let err = ramen::workers(0).run(|_| async {}).unwrap_err();
    assert!(matches!(err, WorkerError::NoWorkers));
    assert!(err.to_string().contains("at least one worker"), "{err}");
}

#[test]
fn each_worker_has_its_own_thread_and_runtime() {
    let out = ramen::workers(3)
        .run(|worker| async move {
            // `Rc` is fine: the future never leaves its worker's thread.
            let local = Rc::new(worker.index());
            let l = local.clone();
            let from_task = ramen::spawn(async move { *l * 100 }).await.unwrap();
            let name = std::thread::current().name().unwrap().to_owned();
            (
                worker.count(),
                from_task,
                name,
                Handle::current().runtime_id(),
            )
        })
        .unwrap();
    assert_eq!(out.len(), 3);
    for (i, (count, from_task, name, _)) in out.iter().enumerate() {
        assert_eq!(*count, 3);
        assert_eq!(*from_task, i * 100, "outputs come in worker order");
        assert_eq!(name, &format!("ramen-worker-{i}"));
    }
    let mut ids: Vec<usize> = out.iter().map(|o| o.3).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three distinct runtimes");
}

struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Worker 2 panics; the other three, stuck awaiting forever (with a task
/// each), are stopped: their root futures and tasks are dropped, and the
/// error names worker 2 and carries its payload.
#[test]
fn first_panic_stops_the_others_and_names_its_worker() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let err = ramen::workers(4)
        .run(move |worker| {
            let d = d.clone();
            async move {
                if worker.index() == 2 {
                    ramen::time::sleep(Duration::from_millis(20)).await;
                    panic!("worker two failed");
                }
                let in_task = Counted(d.clone());
                let _task = ramen::spawn(async move {
                    let _c = in_task;
                    std::future::pending::<()>().await;
                });
                let _root = Counted(d);
                std::future::pending::<()>().await;
            }
        })
        .unwrap_err();
    match err {
        WorkerError::Panicked { index, payload } => {
            assert_eq!(index, 2);
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"worker two failed"));
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        6,
        "3 roots + 3 tasks dropped"
    );
}

/// A graceful stop from another thread: each worker sees `stopped()`,
/// finishes its own way, and returns its value.
#[test]
fn stop_handle_stops_every_worker_gracefully() {
    let workers = ramen::workers(3);
    let stop = workers.stop_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        stop.stop();
    });
    let out = workers
        .run(|mut worker| async move {
            let mut ticks = 0u32;
            let mut stopped = std::pin::pin!(worker.stopped());
            loop {
                let tick = ramen::time::sleep(Duration::from_millis(1));
                match ramen::select(stopped.as_mut(), tick).await {
                    ramen::Either::Left(()) => break,
                    ramen::Either::Right(()) => ticks += 1,
                }
            }
            (worker.index(), ticks > 0)
        })
        .unwrap();
    stopper.join().unwrap();
    assert_eq!(out, [(0, true), (1, true), (2, true)]);

    // A stop requested before `run` applies at once.
    let workers = ramen::workers(2);
    workers.stop_handle().stop();
    let out = workers
        .run(|mut w| async move {
            w.stopped().await;
            w.index()
        })
        .unwrap();
    assert_eq!(out, [0, 1]);
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_workers_run_on_one_cpu_each() {
    fn my_cpus() -> Vec<usize> {
        // SAFETY: plain data; sched_getaffinity writes at most its size.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set),
                0
            );
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        }
    }
    let allowed = my_cpus();
    let out = ramen::workers(2)
        .pin_to_cores(true)
        .run(|_| async { my_cpus() })
        .unwrap();
    for (i, cpus) in out.iter().enumerate() {
        assert_eq!(cpus, &[allowed[i % allowed.len()]], "worker {i}");
    }
    // Unpinned workers keep the process's whole set.
    let out = ramen::workers(1).run(|_| async { my_cpus() }).unwrap();
    assert_eq!(out[0], allowed);
}
