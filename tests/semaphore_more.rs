//! Semaphore: many permits at once (FIFO, head blocks smaller waiters),
//! owned permits, forget/merge/split, MAX_PERMITS; Notify::notify_last and
//! Notified::enable. Polled by hand where the exact state matters.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ramen::sync::{Notify, Semaphore, TryAcquireError};

fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn big_head_waiter_blocks_smaller_later_ones() {
    let sem = Semaphore::new(3);
    let mut held = sem.try_acquire_many(3).unwrap();
    let mut two = sem.acquire_many(2);
    let mut one = sem.acquire();
    assert!(poll(&mut two).is_pending());
    assert!(poll(&mut one).is_pending());

    drop(held.split(1).unwrap()); // 1 freed: set aside for `two`, not `one`
    assert_eq!(held.num_permits(), 2);
    assert_eq!(sem.available_permits(), 0);
    assert!(poll(&mut one).is_pending(), "a later small waiter overtook");
    assert!(poll(&mut two).is_pending());

    drop(held.split(1).unwrap()); // 2nd: `two` is complete
    let got_two = match poll(&mut two) {
        Poll::Ready(Ok(p)) => p,
        other => panic!("expected two permits, got {other:?}"),
    };
    assert_eq!(got_two.num_permits(), 2);
    assert!(poll(&mut one).is_pending());
    drop(held); // the last one goes to `one`
    assert!(matches!(poll(&mut one), Poll::Ready(Ok(ref p)) if p.num_permits() == 1));
    drop(got_two);
    drop(one);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn try_acquire_many_respects_the_queue() {
    let sem = Semaphore::new(4);
    assert_eq!(
        sem.try_acquire_many(5).unwrap_err(),
        TryAcquireError::NoPermits
    );
    let p = sem.try_acquire_many(3).unwrap();
    let mut big = sem.acquire_many(4);
    assert!(poll(&mut big).is_pending()); // takes the 1 free one, waits for 3
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(big); // cancelled: its partial permit goes back
    assert_eq!(sem.available_permits(), 1);
    drop(p);
    assert_eq!(sem.available_permits(), 4);
    sem.close();
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
}

#[test]
fn cancelled_partial_waiter_passes_its_permits_on() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let mut three = sem.acquire_many(3);
    let mut one = sem.acquire();
    assert!(poll(&mut three).is_pending());
    assert!(poll(&mut one).is_pending());
    drop(held); // both set aside for `three`, which still wants one more
    assert!(poll(&mut three).is_pending());
    assert!(poll(&mut one).is_pending());
    drop(three); // gives its 2 on: 1 to `one`, 1 to the count
    let Poll::Ready(Ok(got)) = poll(&mut one) else {
        panic!("`one` should have its permit")
    };
    assert_eq!(sem.available_permits(), 1);
    drop(got);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn close_fails_a_partial_waiter_and_returns_its_permits() {
    let sem = Semaphore::new(1);
    let mut two = sem.acquire_many(2);
    assert!(poll(&mut two).is_pending());
    assert_eq!(sem.available_permits(), 0);
    sem.close();
    assert!(matches!(poll(&mut two), Poll::Ready(Err(_))));
    assert_eq!(sem.available_permits(), 1);
    assert!(sem.is_closed());
}

#[test]
fn forget_merge_split() {
    let sem = Semaphore::new(10);
    assert_eq!(sem.forget_permits(3), 3);
    assert_eq!(sem.available_permits(), 7);
    let mut a = sem.try_acquire_many(2).unwrap();
    let b = sem.try_acquire_many(3).unwrap();
    a.merge(b);
    assert_eq!(a.num_permits(), 5);
    assert!(a.split(6).is_none());
    let c = a.split(4).unwrap();
    assert_eq!((a.num_permits(), c.num_permits()), (1, 4));
    c.forget();
    drop(a);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(sem.forget_permits(100), 3, "only what is free");
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
#[should_panic(expected = "merging permits from different semaphore instances")]
fn merging_permits_of_two_semaphores_panics() {
    let (s1, s2) = (Semaphore::new(1), Semaphore::new(1));
    let mut a = s1.try_acquire().unwrap();
    a.merge(s2.try_acquire().unwrap());
}

#[test]
#[should_panic(expected = "a semaphore may not have more than MAX_PERMITS permits")]
fn new_above_max_permits_panics() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
fn add_permits_overflow_panics_and_adds_nothing() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS - 1);
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sem.add_permits(2))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("number of added permits (2) would overflow MAX_PERMITS"),
        "{msg}"
    );
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS - 1);
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
fn owned_permits_limit_spawned_tasks() {
    let max_seen = ramen::block_on(async {
        let sem = Arc::new(Semaphore::new(2));
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let max = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let permit = sem.clone().acquire_owned().await.unwrap();
            let (inside, max) = (inside.clone(), max.clone());
            tasks.push(ramen::spawn(async move {
                use std::sync::atomic::Ordering::SeqCst;
                let now = inside.fetch_add(1, SeqCst) + 1;
                max.fetch_max(now, SeqCst);
                ramen::yield_now().await;
                inside.fetch_sub(1, SeqCst);
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(sem.available_permits(), 2);
        let two = sem.clone().try_acquire_many_owned(2).unwrap();
        assert_eq!(two.num_permits(), 2);
        assert!(Arc::ptr_eq(two.semaphore(), &sem));
        assert!(sem.clone().try_acquire_owned().is_err());
        drop(two);
        let mut many = sem.clone().acquire_many_owned(2).await.unwrap();
        let one = many.split(1).unwrap();
        many.merge(one);
        assert_eq!(many.num_permits(), 2);
        max.load(std::sync::atomic::Ordering::SeqCst)
    });
    assert_eq!(max_seen, 2);
}

#[test]
fn notify_last_wakes_the_newest_waiter() {
    let notify = Notify::new();
    let mut a = notify.notified();
    let mut b = notify.notified();
    let mut c = notify.notified();
    for f in [&mut a, &mut b, &mut c] {
        assert!(poll(f).is_pending());
    }
    notify.notify_last();
    assert!(poll(&mut c).is_ready());
    assert!(poll(&mut b).is_pending());
    notify.notify_one();
    assert!(poll(&mut a).is_ready());
    assert!(poll(&mut b).is_pending());
    drop(b);
    notify.notify_last(); // nobody waits: stored as the permit
    assert!(poll(&mut notify.notified()).is_ready());
}

#[test]
fn enable_queues_without_polling() {
    let notify = Notify::new();
    let mut first = pin!(notify.notified());
    assert!(!first.as_mut().enable());
    let mut second = notify.notified();
    assert!(poll(&mut second).is_pending());
    notify.notify_one(); // goes to `first`, queued by `enable`, not stored
    assert!(poll(&mut second).is_pending());
    assert!(first.as_mut().enable(), "already notified");
    assert!(
        first
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_ready()
    );

    notify.notify_one(); // `second` now
    assert!(poll(&mut second).is_ready());
    notify.notify_one(); // nobody: the permit
    let mut third = pin!(notify.notified());
    assert!(third.as_mut().enable(), "consumes the stored permit");
}
