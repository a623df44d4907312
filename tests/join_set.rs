//! JoinSet with tokio's semantics: join_all, try_join_next, spawn_blocking,
//! abort_all, detach_all, Extend/FromIterator, len/is_empty, poll_join_next.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ramen::JoinSet;
use ramen::time::sleep;

async fn after(ms: u64, v: u64) -> u64 {
    sleep(Duration::from_millis(ms)).await;
    v
}

#[test]
fn join_all_returns_outputs_in_completion_order() {
    let out = ramen::block_on(async {
        let set: JoinSet<u64> = [after(60, 1), after(0, 2), after(30, 3)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 3);
        set.join_all().await
    });
    assert_eq!(out, [2, 3, 1]);
}

#[test]
fn join_all_resumes_a_task_panic_and_aborts_the_rest() {
    let finished = Rc::new(RefCell::new(Vec::new()));
    let f = finished.clone();
    let caught = ramen::block_on(async move {
        let mut set = JoinSet::new();
        let f1 = f.clone();
        set.spawn(async move {
            sleep(Duration::from_millis(500)).await;
            f1.borrow_mut().push("slow");
        });
        set.spawn(async { panic!("joined panic") });
        let res = ramen::spawn(set.join_all()).await;
        // The slow task was aborted when the set dropped with the panic.
        sleep(Duration::from_millis(10)).await;
        res
    });
    let payload = caught.unwrap_err().into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"joined panic"));
    assert!(finished.borrow().is_empty(), "the slow task never finished");
}

#[test]
fn try_join_next_never_waits() {
    ramen::block_on(async {
        let mut set = JoinSet::new();
        assert!(set.try_join_next().is_none(), "empty set");
        set.spawn(async { 1 });
        set.spawn(async {
            ramen::yield_now().await;
            2
        });
        assert!(set.try_join_next().is_none(), "nothing has run yet");
        ramen::yield_now().await;
        assert_eq!(set.try_join_next().unwrap().unwrap(), 1);
        assert!(set.try_join_next().is_none(), "the second still runs");
        assert_eq!(set.len(), 1);
        ramen::yield_now().await;
        ramen::yield_now().await;
        assert_eq!(set.try_join_next().unwrap().unwrap(), 2);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn spawn_blocking_results_panics_and_abort() {
    ramen::block_on(async {
        let mut set = JoinSet::new();
        set.spawn_blocking(|| 40 + 2);
        set.spawn(async { 7 });
        let mut got = Vec::new();
        while let Some(res) = set.join_next().await {
            got.push(res.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, [7, 42]);

        set.spawn_blocking(|| panic!("blocking boom"));
        let err = set.join_next().await.unwrap().unwrap_err();
        assert_eq!(
            err.into_panic().downcast_ref::<&str>(),
            Some(&"blocking boom")
        );
    });
}

#[test]
fn abort_all_cancels_a_queued_blocking_job() {
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let mut set = JoinSet::new();
        // Occupies the only thread until we let it go.
        set.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            rx.recv().unwrap();
            1
        });
        set.spawn_blocking(|| 2); // queued behind it
        // Blocks this thread briefly: the job only needs its own thread.
        started.recv().unwrap();
        set.abort_all();
        tx.send(()).unwrap();
        let mut results = Vec::new();
        while let Some(res) = set.join_next().await {
            results.push(res.map_err(|e| e.is_cancelled()));
        }
        // The running job cannot be stopped and returns its value; the
        // queued one is cancelled.
        results.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(results, [Err(true), Ok(1)]);
    });
}

/// Spawns a task that sleeps `ms`, then records `i` in `ran` and returns it.
fn spawn_recording(set: &mut JoinSet<u32>, ran: &Rc<RefCell<Vec<u32>>>, i: u32, ms: u64) {
    let ran = ran.clone();
    set.spawn(async move {
        sleep(Duration::from_millis(ms)).await;
        ran.borrow_mut().push(i);
        i
    });
}

#[test]
fn abort_all_and_detach_all() {
    let ran = Rc::new(RefCell::new(Vec::new()));
    let r = ran.clone();
    ramen::block_on(async move {
        let mut set = JoinSet::new();
        for i in 0..3u32 {
            spawn_recording(&mut set, &r, i, 20);
        }
        set.abort_all();
        assert_eq!(set.len(), 3, "aborted tasks stay until joined");
        let mut cancelled = 0;
        while let Some(res) = set.join_next().await {
            assert!(res.unwrap_err().is_cancelled());
            cancelled += 1;
        }
        assert_eq!(cancelled, 3);

        for i in 10..12u32 {
            spawn_recording(&mut set, &r, i, 5);
        }
        set.detach_all();
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
        drop(set); // does not abort detached tasks
        sleep(Duration::from_millis(40)).await;
    });
    let mut ran = ran.borrow().clone();
    ran.sort_unstable();
    assert_eq!(ran, [10, 11], "aborted tasks never ran; detached ones did");
}

#[test]
fn extend_and_poll_join_next() {
    let out = ramen::block_on(async {
        let mut set = JoinSet::new();
        set.extend((0..4u64).map(|i| after(10 * (4 - i), i)));
        assert_eq!(set.len(), 4);
        let mut order = Vec::new();
        while let Some(res) = std::future::poll_fn(|cx| set.poll_join_next(cx)).await {
            order.push(res.unwrap());
        }
        order
    });
    assert_eq!(out, [3, 2, 1, 0]);
}
