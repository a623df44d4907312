//! Spawning and joining: values come back, order is FIFO, spawn is lazy.

use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn spawned_values_come_back() {
    let sum = ramen::block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| ramen::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..100u64).map(|i| i * 2).sum());
}

#[test]
fn non_send_futures_are_fine() {
    let log = ramen::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        ramen::spawn(async move { l.borrow_mut().push("task") })
            .await
            .unwrap();
        log.borrow_mut().push("main");
        Rc::try_unwrap(log).unwrap().into_inner()
    });
    assert_eq!(log, ["task", "main"]);
}

#[test]
fn spawn_is_lazy_and_fifo() {
    let order = ramen::block_on(async {
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..3 {
            let o = order.clone();
            handles.push(ramen::spawn(async move { o.borrow_mut().push(i) }));
        }
        // Nothing ran inside `spawn`.
        assert!(order.borrow().is_empty());
        for h in handles {
            h.await.unwrap();
        }
        order.borrow().clone()
    });
    assert_eq!(order, [0, 1, 2]);
}

#[test]
fn spawn_inside_tasks() {
    let v = ramen::block_on(async {
        ramen::spawn(async { ramen::spawn(async { 41 }).await.unwrap() + 1 })
            .await
            .unwrap()
    });
    assert_eq!(v, 42);
}

#[test]
fn two_hundred_thousand_tasks() {
    let n = 200_000u64;
    let sum = ramen::block_on(async move {
        let handles: Vec<_> = (0..n).map(|i| ramen::spawn(async move { i })).collect();
        let mut sum = 0u64;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2);
}

#[test]
fn runtime_reused_for_two_block_ons() {
    let rt = ramen::Runtime::new().unwrap();
    let early = rt.spawn(async { 7 });
    assert_eq!(rt.block_on(async { 1 }), 1);
    // The task spawned before stays in the runtime and completes later.
    let v = rt.block_on(async move { early.await.unwrap() + 1 });
    assert_eq!(v, 8);
    assert_eq!(rt.metrics().tasks_alive, 0);
}

#[test]
fn task_names_and_ids() {
    ramen::block_on(async {
        let a = ramen::TaskBuilder::new().name("a").spawn(async {});
        let b = ramen::spawn(async {});
        assert!(b.id() > a.id());
        a.await.unwrap();
        b.await.unwrap();
    });
}
