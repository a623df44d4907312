//! oneshot: `Receiver::close` with the sender alive (issue 15, fix 1), and
//! `Sender::{is_closed, closed, poll_closed}`, `Receiver::{is_terminated, is_empty}`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ramen::sync::oneshot::{self, TryRecvError};

#[test]
fn close_with_sender_alive_makes_try_recv_closed() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(tx.is_closed());
    assert_eq!(tx.send(5), Err(5), "the value comes back");
}

#[test]
fn close_with_sender_alive_makes_await_fail_at_once() {
    let (tx, mut rx) = oneshot::channel::<u32>();
    rx.close();
    let waker = futures_task_noop();
    let mut cx = Context::from_waker(&waker);
    // Polled once, without anything else running: it must be ready now.
    let out = Future::poll(Pin::new(&mut rx), &mut cx);
    assert!(matches!(out, Poll::Ready(Err(_))), "got {out:?}");
    drop(tx);
}

#[test]
fn close_wakes_a_sender_waiting_in_closed() {
    ramen::block_on(async {
        let (mut tx, mut rx) = oneshot::channel::<u32>();
        let h = ramen::spawn(async move {
            tx.closed().await;
            (tx.is_closed(), tx.send(1))
        });
        ramen::yield_now().await;
        assert!(!h.is_finished());
        rx.close();
        assert_eq!(h.await.unwrap(), (true, Err(1)));
        assert!(rx.await.is_err());
    });
}

#[test]
fn value_sent_before_close_is_still_received() {
    ramen::block_on(async {
        let (tx, mut rx) = oneshot::channel();
        tx.send("kept").unwrap();
        rx.close();
        assert!(!rx.is_empty());
        assert_eq!((&mut rx).await, Ok("kept"));
        assert!(rx.is_terminated());
        assert!(rx.is_empty());
    });
}

#[test]
fn is_empty_and_is_terminated_follow_the_value() {
    let (tx, mut rx) = oneshot::channel();
    assert!(rx.is_empty());
    assert!(!rx.is_terminated());
    tx.send(3).unwrap();
    assert!(!rx.is_empty());
    assert!(!rx.is_terminated());
    assert_eq!(rx.try_recv(), Ok(3));
    assert!(rx.is_empty());
    assert!(rx.is_terminated());
}

#[test]
fn poll_closed_is_pending_until_close_across_threads() {
    let (mut tx, mut rx) = oneshot::channel::<()>();
    let waker = futures_task_noop();
    let mut cx = Context::from_waker(&waker);
    assert!(tx.poll_closed(&mut cx).is_pending());
    let t = std::thread::spawn(move || rx.close());
    t.join().unwrap();
    assert!(tx.poll_closed(&mut cx).is_ready());
    let (mut tx, rx) = oneshot::channel::<u8>();
    let t = std::thread::spawn(move || {
        ramen::block_on(async move {
            tx.closed().await;
            tx.is_closed()
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(20));
    drop(rx);
    assert!(t.join().unwrap());
}

fn futures_task_noop() -> std::task::Waker {
    futures::task::noop_waker()
}
