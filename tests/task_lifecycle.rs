//! Issue 15, fixes 2, 3, 5 and 6: panics in destructors stay contained, an
//! aborted task whose future panics on drop is a panicked task, a panicking
//! task is dropped while unwinding, and a chain of spawns from destructors at
//! shutdown does not recurse.

use std::cell::Cell;
use std::rc::Rc;

/// Panics in `Drop`, after counting the drop.
struct PanicOnDrop(Rc<Cell<u32>>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        panic!("output destructor");
    }
}

/// Fix 2: the handle of a finished task whose output panics in `Drop` is
/// dropped; the panic stays contained and the dropping task carries on.
#[test]
fn dropping_the_handle_of_a_panicking_output_is_contained() {
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    let after = ramen::block_on(async move {
        let h = ramen::spawn(async move { PanicOnDrop(d) });
        ramen::yield_now().await;
        assert!(h.is_finished());
        drop(h);
        // Still running: the drop did not unwind into this task.
        ramen::spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(after, 7);
    assert_eq!(drops.get(), 1, "the output was dropped exactly once");
}

/// Panics in `Drop` unless the thread is already panicking; records which.
struct DropProbe {
    panicking: Rc<Cell<Option<bool>>>,
    panic_in_drop: bool,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.panicking.set(Some(std::thread::panicking()));
        if self.panic_in_drop {
            panic!("future destructor");
        }
    }
}

/// Spawns a task holding a probe that panics when dropped, aborts it, and
/// returns what its handle says.
fn abort_a_task_that_panics_on_drop(seen: &Rc<Cell<Option<bool>>>) -> ramen::JoinError {
    let s = seen.clone();
    ramen::block_on(async move {
        let h = ramen::spawn(async move {
            let _probe = DropProbe {
                panicking: s,
                panic_in_drop: true,
            };
            std::future::pending::<()>().await;
        });
        ramen::yield_now().await;
        h.abort();
        h.await.unwrap_err()
    })
}

/// Fix 3: aborting a task whose future panics while dropped reports a panic
/// (with that message), not a cancellation.
#[test]
fn abort_of_a_future_that_panics_on_drop_is_a_panic() {
    let seen = Rc::new(Cell::new(None));
    let err = abort_a_task_that_panics_on_drop(&seen);
    assert!(err.is_panic(), "{err:?}");
    assert!(!err.is_cancelled());
    assert_eq!(seen.get(), Some(false), "dropped by abort, not by a panic");
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"future destructor"));
}

/// Fix 3, the message: run in a child process (the test binary itself,
/// filtered to `abort_panic_child`) and read its stderr.
#[test]
fn abort_panic_with_a_held_handle_claims_no_lost_handle() {
    if std::env::var_os("RAMEN_LIFECYCLE_CHILD").is_some() {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "abort_panic_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RAMEN_LIFECYCLE_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(stderr.contains("future destructor"), "{stderr}");
    assert!(!stderr.contains("nobody holds"), "{stderr}");
}

#[test]
fn abort_panic_child() {
    if std::env::var_os("RAMEN_LIFECYCLE_CHILD").is_none() {
        return;
    }
    let seen = Rc::new(Cell::new(None));
    let err = abort_a_task_that_panics_on_drop(&seen);
    assert!(err.is_panic());
}

/// A hand-written future that panics on its second poll. Its field is not a
/// local of the panicking frame: only dropping the future drops it.
struct PanicsInPoll {
    _probe: DropProbe,
    polled: bool,
}

impl std::future::Future for PanicsInPoll {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.polled {
            panic!("task body");
        }
        self.polled = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Fix 5: a task that panics has its future dropped during the unwind, so a
/// destructor in it sees `thread::panicking() == true`; the panic still goes
/// to the handle.
#[test]
fn a_panicking_task_is_dropped_while_unwinding() {
    let seen = Rc::new(Cell::new(None));
    let probe = DropProbe {
        panicking: seen.clone(),
        panic_in_drop: false,
    };
    let err = ramen::block_on(async move {
        let task = PanicsInPoll {
            _probe: probe,
            polled: false,
        };
        ramen::spawn(task).await.unwrap_err()
    });
    assert_eq!(seen.get(), Some(true), "dropped inside the unwind");
    assert_eq!(
        err.into_panic().downcast_ref::<&str>(),
        Some(&"task body"),
        "the body's panic, not a destructor's"
    );
}

/// A link of the chain: dropping it spawns a task that holds the next link.
struct Link {
    left: u32,
    dropped: Rc<Cell<u32>>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.dropped.set(self.dropped.get() + 1);
        if self.left > 0 {
            let next = Link {
                left: self.left - 1,
                dropped: self.dropped.clone(),
            };
            // Never polled: the runtime is shutting down. Dropping the
            // unstarted future drops `next`, which spawns the next link.
            drop(ramen::spawn(async move {
                let _next = next;
                std::future::pending::<()>().await;
            }));
        }
    }
}

/// Fix 6: 50,000 tasks spawned one from another's destructor while the
/// runtime shuts down are all cancelled, without one stack frame per link
/// (today's recursion overflows the stack and aborts the process).
#[test]
fn a_chain_of_spawns_during_shutdown_does_not_recurse() {
    const LINKS: u32 = 50_000;
    let dropped = Rc::new(Cell::new(0));
    let rt = ramen::Runtime::new().unwrap();
    let first = Link {
        left: LINKS - 1,
        dropped: dropped.clone(),
    };
    let handle = rt.spawn(async move {
        let _first = first;
        std::future::pending::<()>().await;
    });
    drop(rt);
    assert_eq!(dropped.get(), LINKS, "every link was dropped");
    assert!(handle.is_finished());
    assert!(
        ramen::block_on(handle).unwrap_err().is_cancelled(),
        "cancelled by shutdown"
    );
}
