//! Dropping a pending operation never loses a value or a wakeup meant for
//! someone else. Each test drops a waiter *after* it was handed something
//! (a slot, a permit, the lock, a notification) but before it ran.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Context;

use ramen::sync::{Mutex, Notify, Semaphore, mpsc};

/// Polls `fut` once with a no-op waker; it must be pending.
fn poll_pending<F: Future + Unpin>(fut: &mut F) {
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(fut).poll(&mut cx).is_pending());
}

#[test]
fn dropped_granted_send_wakes_the_next_sender() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        // First waiting sender: polled once, then never again.
        let mut first = tx.send(1);
        poll_pending(&mut first);
        // Second waiting sender: a real task.
        let tx2 = tx.clone();
        let second = ramen::spawn(async move { tx2.send(2).await.unwrap() });
        ramen::yield_now().await;
        // recv frees a slot and reserves it for `first`...
        assert_eq!(rx.recv().await, Some(0));
        // ...which is dropped before running: the slot must go to `second`.
        drop(first);
        second.await.unwrap();
        assert_eq!(rx.recv().await, Some(2));
        drop(tx);
        assert_eq!(rx.recv().await, None, "the dropped send sent nothing");
    });
}

#[test]
fn dropped_waiting_send_leaves_the_queue() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let mut first = tx.send(1);
        poll_pending(&mut first);
        drop(first); // not granted yet: just leaves
        assert_eq!(rx.recv().await, Some(0));
        // The free slot is usable at once by a newcomer.
        tx.try_send(3).unwrap();
        assert_eq!(rx.recv().await, Some(3));
    });
}

#[test]
fn dropped_recv_loses_no_message() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let out = ramen::select(rx.recv(), ramen::yield_now()).await;
        assert!(matches!(out, ramen::Either::Right(())));
        tx.send(7).await.unwrap();
        assert_eq!(rx.recv().await, Some(7));
    });
}

#[test]
fn dropped_granted_lock_passes_the_lock_on() {
    ramen::block_on(async {
        let m = Rc::new(Mutex::new(Vec::new()));
        let guard = m.lock().await;
        let mut first = Box::pin(m.lock());
        poll_pending(&mut first);
        let m2 = m.clone();
        let second = ramen::spawn(async move { m2.lock().await.push("second") });
        ramen::yield_now().await;
        drop(guard); // hands the lock to `first`
        drop(first); // which never takes it
        second.await.unwrap();
        assert_eq!(*m.lock().await, ["second"]);
    });
}

#[test]
fn dropped_granted_acquire_passes_the_permit_on() {
    ramen::block_on(async {
        let sem = Rc::new(Semaphore::new(1));
        let permit = sem.acquire().await.unwrap();
        let mut first = sem.acquire();
        poll_pending(&mut first);
        let s = sem.clone();
        let second = ramen::spawn(async move {
            let _p = s.acquire().await.unwrap();
            "second got it"
        });
        ramen::yield_now().await;
        drop(permit);
        drop(first);
        assert_eq!(second.await.unwrap(), "second got it");
        assert_eq!(sem.available_permits(), 1, "no permit lost or made up");
    });
}

#[test]
fn dropped_notified_passes_the_notification_on() {
    ramen::block_on(async {
        let n = Rc::new(Notify::new());
        let mut first = Box::pin(n.notified());
        poll_pending(&mut first);
        let log = Rc::new(RefCell::new(Vec::new()));
        let (n2, l) = (n.clone(), log.clone());
        let second = ramen::spawn(async move {
            n2.notified().await;
            l.borrow_mut().push("second");
        });
        ramen::yield_now().await;
        n.notify_one(); // picks `first`
        drop(first); // which passes it on to `second`
        second.await.unwrap();
        assert_eq!(*log.borrow(), ["second"]);
    });
}

#[test]
fn dropped_notified_with_nobody_waiting_stores_the_permit() {
    ramen::block_on(async {
        let n = Notify::new();
        let mut first = Box::pin(n.notified());
        poll_pending(&mut first);
        n.notify_one();
        drop(first);
        n.notified().await; // the permit is there
    });
}

#[test]
fn timeout_on_send_does_not_send() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let r = ramen::time::timeout(std::time::Duration::from_millis(5), tx.send(2)).await;
        assert!(r.is_err());
        assert_eq!(rx.recv().await, Some(1));
        assert!(rx.try_recv().is_err(), "the timed-out value was not queued");
    });
}
