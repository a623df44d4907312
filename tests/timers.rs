//! Timers: order, never early, scale, timeout drops its future, interval,
//! and a yield-spinning task cannot starve a sleep.
//!
//! Tests about *real* waiting (never early, scale, starvation by a spinner)
//! use the OS clock; tests about *what happens at* a deadline use a paused
//! clock (`start_paused`), so they assert exact instants and take no time.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use ramen::time::{Instant, interval, sleep, sleep_until, timeout};

fn paused() -> ramen::Runtime {
    ramen::Runtime::builder()
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    let order = ramen::block_on(async {
        let start = Instant::now();
        let order = Rc::new(RefCell::new(Vec::new()));
        // Spawned in scrambled order; deadlines 5 ms apart, all far enough
        // ahead (200 ms) that every sleep registers before any is due, even
        // under valgrind. Timers due in the same turn still fire in deadline
        // order, so a late loop does not change the order.
        let handles: Vec<_> = [7u64, 2, 9, 0, 4, 1, 8, 3, 6, 5]
            .into_iter()
            .map(|i| {
                let order = order.clone();
                let deadline = start + Duration::from_millis(200 + i * 5);
                ramen::spawn(async move {
                    sleep_until(deadline).await;
                    assert!(Instant::now() >= deadline, "timer {i} fired early");
                    order.borrow_mut().push(i);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        Rc::try_unwrap(order).unwrap().into_inner()
    });
    assert_eq!(order, (0..10).collect::<Vec<_>>());
}

#[test]
fn hundred_thousand_concurrent_sleeps_complete() {
    let done = ramen::block_on(async {
        let done = Rc::new(Cell::new(0u32));
        let handles: Vec<_> = (0..100_000u64)
            .map(|i| {
                let done = done.clone();
                ramen::spawn(async move {
                    sleep(Duration::from_millis(1 + i % 50)).await;
                    done.set(done.get() + 1);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        done.get()
    });
    assert_eq!(done, 100_000);
}

#[test]
fn timeout_drops_its_future_at_the_deadline() {
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    paused().block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let flag = Flag(dropped.clone());
        let slow = async move {
            let _flag = flag;
            sleep(Duration::from_secs(60)).await;
        };
        let start = Instant::now();
        let r = timeout(Duration::from_millis(20), slow).await;
        assert!(r.is_err());
        assert!(
            dropped.get(),
            "the inner future was dropped by the time Err returns"
        );
        // Paused clock: the timeout fired exactly at its deadline.
        assert_eq!(start.elapsed(), Duration::from_millis(20));
        let ok = timeout(Duration::from_secs(10), async { 5 }).await;
        assert_eq!(ok, Ok(5));
    });
}

#[test]
fn interval_first_tick_is_immediate_then_periodic() {
    paused().block_on(async {
        let mut iv = interval(Duration::from_millis(30));
        let t0 = futures::FutureExt::now_or_never(iv.tick()).expect("first tick at once");
        let t1 = iv.tick().await;
        assert_eq!(t1 - t0, Duration::from_millis(30));
        assert_eq!(Instant::now(), t1, "paused clock: exactly at the tick");
        let t2 = iv.tick().await;
        assert_eq!(t2 - t1, Duration::from_millis(30));
    });
}

#[test]
fn a_yield_spinner_does_not_starve_a_sleep() {
    ramen::block_on(async {
        let spin_ended = Rc::new(Cell::new(None::<Instant>));
        let s = spin_ended.clone();
        let spinner = ramen::spawn(async move {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(200) {
                ramen::yield_now().await;
            }
            s.set(Some(Instant::now()));
        });
        let start = Instant::now();
        sleep(Duration::from_millis(10)).await;
        let woke = Instant::now();
        assert!(woke >= start + Duration::from_millis(10));
        assert!(
            spin_ended.get().is_none(),
            "the sleep fired only after the 200 ms spinner ended ({:?})",
            woke - start
        );
        spinner.await.unwrap();
        assert!(spin_ended.get().unwrap() > woke);
    });
}

/// Issue 15, fix 7: a `Sleep` first polled in runtime A (still alive) and
/// then awaited in runtime B used to stay registered with A, whose loop
/// nobody drives: it never fired. It now moves its registration to B.
/// Run on a thread with a watchdog so the old behaviour fails instead of
/// hanging.
#[test]
fn sleep_first_polled_in_one_runtime_fires_in_another() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sleep = Box::pin(sleep(Duration::from_millis(20)));
        let a = ramen::Runtime::new().unwrap();
        a.block_on(std::future::poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        }));
        let b = ramen::Runtime::new().unwrap();
        b.block_on(sleep.as_mut());
        let never_early = Instant::now() >= sleep.deadline();
        drop(a); // A's map no longer holds the entry: nothing to cancel there
        let _ = tx.send(never_early);
    });
    let never_early = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the sleep registered in runtime A never fired in runtime B");
    assert!(never_early);
}

/// ramen's first API took `std::time::Instant`; code written against it
/// still compiles and means the same: a std deadline works, and a tick
/// compares with a std instant.
#[test]
fn std_instants_are_still_accepted_and_comparable() {
    ramen::block_on(async {
        let start = std::time::Instant::now();
        ramen::time::sleep_until(start + Duration::from_millis(5)).await;
        assert!(start.elapsed() >= Duration::from_millis(5));
        let never = ramen::time::sleep(Duration::from_secs(60));
        let at = std::time::Instant::now() + Duration::from_millis(5);
        assert!(ramen::time::timeout_at(at, never).await.is_err());
        let mut iv = ramen::time::interval_at(std::time::Instant::now(), Duration::from_millis(1));
        let tick = iv.tick().await;
        assert!(tick <= std::time::Instant::now());
        assert!(tick >= start);
    });
}
