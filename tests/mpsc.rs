//! mpsc: backpressure, ordering, closing, and use across OS threads.

use std::cell::RefCell;
use std::rc::Rc;

use ramen::sync::mpsc::{self, TryRecvError, TrySendError};

#[test]
fn backpressure_third_send_waits_for_a_recv() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let producer = ramen::spawn(async move {
            for i in 0..3 {
                tx.send(i).await.unwrap();
                l.borrow_mut().push(format!("sent {i}"));
            }
        });
        // Let the producer run as far as it can.
        for _ in 0..3 {
            ramen::yield_now().await;
        }
        assert_eq!(*log.borrow(), ["sent 0", "sent 1"], "3rd send must wait");
        assert_eq!(rx.recv().await, Some(0));
        log.borrow_mut().push("recv 0".into());
        producer.await.unwrap();
        assert_eq!(*log.borrow(), ["sent 0", "sent 1", "recv 0", "sent 2"]);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn try_send_reports_full_and_closed() {
    let (tx, mut rx) = mpsc::channel(1);
    assert!(tx.try_send(1).is_ok());
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    rx.close();
    assert!(tx.is_closed());
    assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn none_only_after_every_sender_is_gone() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        let tx2 = tx.clone();
        tx.send(1).await.unwrap();
        drop(tx);
        tx2.send(2).await.unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "tx2 still alive");
        let waiter = ramen::spawn(async move { rx.recv().await });
        ramen::yield_now().await;
        drop(tx2);
        assert_eq!(waiter.await.unwrap(), None);
    });
}

#[test]
fn send_fails_after_receiver_drop_and_gives_value_back() {
    ramen::block_on(async {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        assert_eq!(tx.send(5).await.unwrap_err().0, 5);
    });
}

#[test]
fn waiting_senders_fail_when_receiver_closes() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let blocked = ramen::spawn(async move { tx.send(1).await.map_err(|e| e.0) });
        ramen::yield_now().await;
        rx.close();
        assert_eq!(blocked.await.unwrap(), Err(1));
        assert_eq!(rx.recv().await, Some(0), "queued messages survive close");
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn waiting_senders_are_served_fifo() {
    let order = ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let mut handles = Vec::new();
        for i in 1..=5 {
            let tx = tx.clone();
            handles.push(ramen::spawn(async move { tx.send(i).await.unwrap() }));
            ramen::yield_now().await; // queue them in spawn order
        }
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn across_two_runtime_threads() {
    let (tx, mut rx) = mpsc::channel::<u64>(8);
    let producer = std::thread::spawn(move || {
        ramen::block_on(async move {
            for i in 0..10_000 {
                tx.send(i).await.unwrap();
            }
        })
    });
    let consumer = std::thread::spawn(move || {
        ramen::block_on(async move {
            let mut expected = 0;
            while let Some(v) = rx.recv().await {
                assert_eq!(v, expected, "FIFO per sender");
                expected += 1;
            }
            expected
        })
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), 10_000);
}

#[test]
fn plain_thread_blocking_send() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    let t = std::thread::spawn(move || {
        for i in 0..100 {
            tx.blocking_send(i).unwrap();
        }
    });
    let sum = ramen::block_on(async move {
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    t.join().unwrap();
    assert_eq!(sum, (0..100).sum());
}

#[test]
fn plain_thread_blocking_recv() {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let t = std::thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(v) = rx.blocking_recv() {
            got.push(v);
        }
        got
    });
    ramen::block_on(async move {
        for i in 0..20 {
            tx.send(i).await.unwrap();
        }
    });
    assert_eq!(t.join().unwrap(), (0..20).collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "runs a ramen runtime")]
fn blocking_send_inside_runtime_panics() {
    let (tx, _rx) = mpsc::channel(1);
    ramen::block_on(async move {
        let _ = tx.blocking_send(1);
    });
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_panics() {
    let _ = mpsc::channel::<()>(0);
}

#[test]
fn undelivered_messages_are_dropped_with_the_receiver() {
    let marker = Rc::new(());
    let (tx, rx) = mpsc::channel(4);
    tx.try_send(marker.clone()).unwrap();
    tx.try_send(marker.clone()).unwrap();
    assert_eq!(Rc::strong_count(&marker), 3);
    drop(rx);
    assert_eq!(Rc::strong_count(&marker), 1);
}
