//! Cancelling and detaching: `abort` drops the future at the next scheduling
//! point; dropping a `JoinHandle` lets the task run on.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Sets its flag when dropped: proof that a future was dropped.
struct DropGuard(Rc<Cell<bool>>);
impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn abort_drops_the_future_by_the_next_yield() {
    ramen::block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let polled = Rc::new(Cell::new(0));
        let (d, p) = (dropped.clone(), polled.clone());
        let handle = ramen::spawn(async move {
            let _guard = DropGuard(d);
            loop {
                p.set(p.get() + 1);
                ramen::yield_now().await;
            }
        });
        ramen::yield_now().await; // let it start
        assert!(polled.get() >= 1);
        handle.abort();
        assert!(!dropped.get(), "abort defers to the next scheduling point");
        ramen::yield_now().await;
        assert!(
            dropped.get(),
            "future dropped by the time the aborter yielded once"
        );
        let err = handle.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert!(err.to_string().contains("cancelled"));
    });
}

#[test]
fn abort_before_first_poll_never_polls() {
    ramen::block_on(async {
        let polled = Rc::new(Cell::new(false));
        let p = polled.clone();
        let handle = ramen::spawn(async move { p.set(true) });
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert!(!polled.get());
    });
}

#[test]
fn abort_after_finish_keeps_the_output() {
    ramen::block_on(async {
        let handle = ramen::spawn(async { 5 });
        ramen::yield_now().await;
        assert!(handle.is_finished());
        handle.abort();
        assert_eq!(handle.await.unwrap(), 5);
    });
}

#[test]
fn dropped_handle_detaches() {
    let done = ramen::block_on(async {
        let done = Rc::new(Cell::new(false));
        let d = done.clone();
        drop(ramen::spawn(async move {
            ramen::yield_now().await;
            ramen::yield_now().await;
            d.set(true);
        }));
        for _ in 0..5 {
            ramen::yield_now().await;
        }
        done.get()
    });
    assert!(done, "a detached task keeps running");
}

#[test]
fn tasks_left_at_return_are_dropped_on_this_thread() {
    let main_thread = std::thread::current().id();
    let dropped_on = Rc::new(RefCell::new(Vec::new()));
    struct Witness(Rc<RefCell<Vec<std::thread::ThreadId>>>);
    impl Drop for Witness {
        fn drop(&mut self) {
            self.0.borrow_mut().push(std::thread::current().id());
        }
    }
    let d = dropped_on.clone();
    ramen::block_on(async move {
        for _ in 0..3 {
            let w = Witness(d.clone());
            drop(ramen::spawn(async move {
                let _w = w;
                std::future::pending::<()>().await;
            }));
        }
        ramen::yield_now().await;
    });
    assert_eq!(*dropped_on.borrow(), vec![main_thread; 3]);
}

#[test]
fn handle_of_a_task_cancelled_by_shutdown_reports_cancelled() {
    let rt = ramen::Runtime::new().unwrap();
    let handle = rt.spawn(std::future::pending::<()>());
    drop(rt);
    assert!(handle.is_finished());
    let rt2 = ramen::Runtime::new().unwrap();
    assert!(rt2.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn destructor_that_spawns_and_wakes_during_shutdown() {
    struct SpawnOnDrop(Option<std::task::Waker>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            if let Some(w) = self.0.take() {
                w.wake();
            }
            // Spawning while the runtime shuts down must neither panic nor loop.
            let h = ramen::spawn(async { SpawnOnDrop(None) });
            assert!(h.is_finished());
        }
    }
    ramen::block_on(async {
        let waker = std::future::poll_fn(|cx| std::task::Poll::Ready(cx.waker().clone())).await;
        drop(ramen::spawn(async move {
            let _g = SpawnOnDrop(Some(waker));
            std::future::pending::<()>().await;
        }));
        ramen::yield_now().await;
    });
}
