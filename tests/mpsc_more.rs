//! mpsc beyond send/recv: the receiver's waker is released on drop (issue 15,
//! fix 4), permits, `reserve_many`, `send_timeout`, `recv_many`, weak senders,
//! `closed()`, and the unbounded channel — with FIFO order across all of them.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ramen::sync::mpsc::{self, SendTimeoutError, TryRecvError, TrySendError};

struct Counted;
impl Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn dropping_the_receiver_releases_its_waker_at_once() {
    let w = Arc::new(Counted);
    let waker = Waker::from(w.clone());
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
    assert_eq!(Arc::strong_count(&w), 2, "the channel holds the waker");
    drop(rx);
    assert_eq!(Arc::strong_count(&w), 1, "released while the sender lives");
    assert!(tx.is_closed());
}

#[test]
fn unbounded_receiver_drop_releases_its_waker_too() {
    let w = Arc::new(Counted);
    let waker = Waker::from(w.clone());
    let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
    drop(rx);
    assert_eq!(Arc::strong_count(&w), 1);
    assert_eq!(tx.send(1).map_err(|e| e.0), Err(1));
}

/// Spawns `f` and lets it run until it waits.
async fn queued<F: std::future::Future + 'static>(f: F) -> ramen::JoinHandle<F::Output> {
    let h = ramen::spawn(f);
    ramen::yield_now().await;
    h
}

#[test]
fn reserve_queues_fifo_with_send() {
    let got = ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let (a, b, c) = (tx.clone(), tx.clone(), tx.clone());
        let h1 = queued(async move { a.send(1).await.unwrap() }).await;
        let h2 = queued(async move { b.reserve().await.unwrap().send(2) }).await;
        let h3 = queued(async move { c.send(3).await.unwrap() }).await;
        assert!(
            matches!(tx.try_send(9), Err(TrySendError::Full(9))),
            "no barging"
        );
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        for h in [h1, h2, h3] {
            h.await.unwrap();
        }
        got
    });
    assert_eq!(got, [0, 1, 2, 3]);
}

#[test]
fn an_unused_permit_gives_its_slot_back() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let permit = tx.try_reserve().unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
    drop(permit);
    assert_eq!(tx.capacity(), 1);
    tx.try_send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    let permit = tx.try_reserve().unwrap();
    permit.send(3);
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.max_capacity(), 1);
}

#[test]
fn a_dropped_permit_wakes_the_next_waiting_sender() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let permit = tx.reserve().await.unwrap();
        let tx2 = tx.clone();
        let h = queued(async move { tx2.send(7).await.unwrap() }).await;
        assert!(!h.is_finished());
        drop(permit);
        h.await.unwrap();
        assert_eq!(rx.recv().await, Some(7));
    });
}

#[test]
fn reserve_many_at_the_front_is_not_overtaken() {
    let got = ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        tx.send(0).await.unwrap();
        tx.send(1).await.unwrap();
        let a = tx.clone();
        let big = queued(async move {
            let mut permits = a.reserve_many(2).await.unwrap();
            assert_eq!(permits.len(), 2);
            permits.next().unwrap().send(10);
            permits.next().unwrap().send(11);
            assert!(permits.next().is_none());
        })
        .await;
        let b = tx.clone();
        let small = queued(async move { b.send(20).await.unwrap() }).await;
        assert_eq!(rx.recv().await, Some(0));
        ramen::yield_now().await;
        assert!(
            !small.is_finished(),
            "one free slot must not go past the waiting pair"
        );
        assert_eq!(rx.recv().await, Some(1));
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        big.await.unwrap();
        small.await.unwrap();
        got
    });
    assert_eq!(got, [10, 11, 20]);
}

#[test]
fn reserve_many_beyond_capacity_fails_at_once() {
    ramen::block_on(async {
        let (tx, _rx) = mpsc::channel::<u8>(3);
        assert!(tx.reserve_many(4).await.is_err());
        assert!(matches!(
            tx.try_reserve_many(4),
            Err(TrySendError::Full(()))
        ));
        let unused = tx.try_reserve_many(3).unwrap();
        assert_eq!(tx.capacity(), 0);
        drop(unused);
        assert_eq!(tx.capacity(), 3);
    });
}

#[test]
fn owned_permit_moves_into_a_task_and_returns_the_sender() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let permit = tx.reserve_owned().await.unwrap();
        let h = ramen::spawn(async move { permit.send("owned") });
        let tx = h.await.unwrap();
        assert_eq!(rx.recv().await, Some("owned"));
        let permit = tx.try_reserve_owned().unwrap();
        let tx = permit.release();
        assert_eq!(tx.capacity(), 1);
        drop(rx);
        assert!(matches!(
            tx.try_reserve_owned(),
            Err(TrySendError::Closed(_))
        ));
    });
}

#[test]
fn send_timeout_gives_the_value_back() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let r = tx.send_timeout(2, Duration::from_millis(10)).await;
        assert!(matches!(r, Err(SendTimeoutError::Timeout(2))));
        assert_eq!(rx.recv().await, Some(1));
        tx.send_timeout(3, Duration::from_secs(5)).await.unwrap();
        assert_eq!(rx.recv().await, Some(3));
        drop(rx);
        let r = tx.send_timeout(4, Duration::from_secs(5)).await;
        assert!(matches!(r, Err(SendTimeoutError::Closed(4))));
    });
}

#[test]
fn recv_many_takes_up_to_limit_in_order() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        assert_eq!(rx.len(), 5);
        let mut buf = vec![-1];
        assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
        assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
        assert_eq!(buf, [-1, 0, 1, 2]);
        assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
        assert_eq!(buf, [-1, 0, 1, 2, 3, 4]);
        assert!(rx.is_empty());
        let h = queued(async move {
            let mut buf = Vec::new();
            let n = rx.recv_many(&mut buf, 4).await;
            (n, buf, rx.recv_many(&mut Vec::new(), 4).await)
        })
        .await;
        tx.send(9).await.unwrap();
        drop(tx);
        assert_eq!(h.await.unwrap(), (1, vec![9], 0));
    });
}

#[test]
fn close_lets_outstanding_permits_send() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        tx.send(1).await.unwrap();
        let permit = tx.reserve().await.unwrap();
        rx.close();
        assert!(rx.is_closed());
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(5), Err(TrySendError::Closed(5))));
        assert!(tx.reserve().await.is_err());
        let h = queued(async move {
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            got
        })
        .await;
        permit.send(2);
        assert_eq!(h.await.unwrap(), [1, 2], "no message lost");
    });
}

#[test]
fn closed_resolves_when_the_receiver_goes() {
    ramen::block_on(async {
        let (tx, rx) = mpsc::channel::<u8>(1);
        let tx2 = tx.clone();
        let h = queued(async move {
            tx2.closed().await;
            tx2.is_closed()
        })
        .await;
        assert!(!h.is_finished());
        drop(rx);
        assert!(h.await.unwrap());
        tx.closed().await; // ready at once now
    });
}

#[test]
fn weak_senders_do_not_keep_the_channel_open() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let weak = tx.downgrade();
        let tx2 = weak.upgrade().unwrap();
        assert!(tx.same_channel(&tx2));
        let (other, _orx) = mpsc::channel::<u8>(4);
        assert!(!tx.same_channel(&other));
        tx2.send(1).await.unwrap();
        drop(tx2);
        drop(tx);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None, "a weak sender does not count");
        assert!(weak.upgrade().is_none());
        assert!(rx.is_closed());
    });
}

#[test]
fn unbounded_never_waits_and_keeps_order() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.len(), 10_000);
        let tx2 = tx.clone();
        assert!(tx.same_channel(&tx2));
        let weak = tx.downgrade();
        drop((tx, tx2));
        assert!(weak.upgrade().is_none());
        let mut buf = Vec::new();
        assert_eq!(rx.recv_many(&mut buf, 100).await, 100);
        assert_eq!(buf, (0..100).collect::<Vec<_>>());
        let mut next = 100;
        while let Some(v) = rx.recv().await {
            assert_eq!(v, next);
            next += 1;
        }
        assert_eq!(next, 10_000);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn unbounded_close_and_closed() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(2).unwrap();
        let tx2 = tx.clone();
        let h = queued(async move { tx2.closed().await }).await;
        rx.close();
        h.await.unwrap();
        assert!(tx.is_closed() && rx.is_closed());
        assert_eq!(tx.send(3).map_err(|e| e.0), Err(3));
        assert_eq!(rx.recv().await, Some(2), "queued messages survive close");
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn unbounded_across_threads_keeps_per_sender_order() {
    let (tx, mut rx) = mpsc::unbounded_channel::<(u32, u32)>();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    tx.send((t, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = std::thread::spawn(move || {
        ramen::block_on(async move {
            let mut next = [0u32; 4];
            while let Some((t, i)) = rx.recv().await {
                assert_eq!(i, next[t as usize], "FIFO per sender");
                next[t as usize] += 1;
            }
            next
        })
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(consumer.join().unwrap(), [5_000; 4]);
}

#[test]
fn unbounded_blocking_recv_on_a_plain_thread() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let reader = std::thread::spawn(move || {
        let first = rx.blocking_recv();
        let rest: Vec<u32> = std::iter::from_fn(|| rx.blocking_recv()).collect();
        (first, rest)
    });
    ramen::block_on(async move {
        ramen::time::sleep(Duration::from_millis(5)).await; // the reader blocks first
        for i in 1..=3 {
            tx.send(i * 11).unwrap();
        }
    });
    assert_eq!(reader.join().unwrap(), (Some(11), vec![22, 33]));
}

#[test]
fn reserve_across_threads_delivers_everything() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    let producers: Vec<_> = (0..3)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                ramen::block_on(async move {
                    for i in 0..2_000 {
                        tx.reserve().await.unwrap().send(t * 10_000 + i);
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    ramen::block_on(async {
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
    });
    for p in producers {
        p.join().unwrap();
    }
    for t in 0..3 {
        let mine: Vec<_> = got.iter().filter(|v| **v / 10_000 == t).collect();
        assert_eq!(mine.len(), 2_000);
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "FIFO per sender");
    }
}

#[test]
#[should_panic(expected = "mpsc bounded channel requires buffer > 0")]
fn zero_capacity_panics_with_tokios_message() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn poll_recv_stays_public() {
    let (tx, mut rx) = mpsc::channel(1);
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    tx.try_send(4).unwrap();
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(4)));
}

#[test]
fn a_granted_reserve_dropped_unpolled_passes_the_slot_on() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut first = Box::pin(tx.reserve());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let tx2 = tx.clone();
        let second = queued(async move { tx2.send(2).await.unwrap() }).await;
        assert_eq!(rx.recv().await, Some(0)); // the slot is granted to `first`
        drop(first); // ...which never observes it
        second.await.unwrap();
        assert_eq!(rx.recv().await, Some(2));
    });
}

#[test]
fn a_waiting_reserve_many_dropped_lets_later_senders_through() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        tx.send(0).await.unwrap();
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut big = Box::pin(tx.reserve_many(2));
        assert!(big.as_mut().poll(&mut cx).is_pending());
        assert!(tx.try_send(1).is_err(), "queued behind the big request");
        drop(big);
        tx.try_send(1).unwrap();
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(rx.recv().await, Some(1));
    });
}
