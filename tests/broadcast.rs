//! broadcast: every receiver sees every value in order; slow receivers lag
//! exactly as tokio documents; values are released once all have read them.

use std::rc::Rc;
use std::time::Duration;

use ramen::sync::broadcast::{self, RecvError, TryRecvError};

#[test]
fn a_slow_receiver_lags_then_continues_from_the_oldest_value() {
    ramen::block_on(async {
        let (tx, mut rx) = broadcast::channel(2);
        for v in [10, 20, 30] {
            assert_eq!(tx.send(v), Ok(1));
        }
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
        assert_eq!(rx.recv().await, Ok(20));
        assert_eq!(rx.recv().await, Ok(30));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        for v in 0..7 {
            tx.send(v).unwrap();
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(5)));
        assert_eq!(rx.try_recv(), Ok(5));
        drop(tx);
        assert!(rx.is_closed());
        assert_eq!(
            rx.recv().await,
            Ok(6),
            "values sent before the close are still read"
        );
        assert_eq!(rx.recv().await, Err(RecvError::Closed));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn sixteen_receivers_each_see_every_value_in_order() {
    let got = ramen::block_on(async {
        let (tx, rx) = broadcast::channel::<u32>(8);
        let mut handles = Vec::new();
        for _ in 0..16 {
            let mut rx = rx.resubscribe();
            handles.push(ramen::spawn(async move {
                let mut got = Vec::new();
                loop {
                    match rx.recv().await {
                        Ok(v) => got.push(v),
                        Err(RecvError::Closed) => return got,
                        Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                    }
                }
            }));
        }
        drop(rx);
        ramen::yield_now().await;
        assert_eq!(tx.receiver_count(), 16);
        for v in 0..100 {
            assert_eq!(tx.send(v), Ok(16));
            if v % 8 == 7 {
                ramen::yield_now().await; // let them drain the ring
            }
        }
        drop(tx);
        let mut all = Vec::new();
        for h in handles {
            all.push(h.await.unwrap());
        }
        all
    });
    for g in got {
        assert_eq!(g, (0..100).collect::<Vec<_>>());
    }
}

#[test]
fn send_without_receivers_gives_the_value_back() {
    let (tx, rx) = broadcast::channel::<String>(4);
    drop(rx);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send("x".into()).unwrap_err().0, "x");
    let mut late = tx.subscribe();
    assert_eq!(tx.send("y".into()), Ok(1));
    assert_eq!(late.try_recv().as_deref(), Ok("y"));
}

#[test]
fn subscribers_see_only_later_values() {
    let (tx, mut rx) = broadcast::channel(4);
    tx.send(1).unwrap();
    let mut later = tx.subscribe();
    let mut re = rx.resubscribe();
    tx.send(2).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(later.try_recv(), Ok(2));
    assert_eq!(re.try_recv(), Ok(2));
    assert_eq!(later.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn values_are_released_once_every_receiver_read_them() {
    let (tx, mut a) = broadcast::channel(4);
    let mut b = tx.subscribe();
    let v = Rc::new(());
    tx.send(v.clone()).unwrap();
    tx.send(v.clone()).unwrap();
    assert_eq!(tx.len(), 2);
    assert_eq!(Rc::strong_count(&v), 3);
    drop(a.try_recv().unwrap());
    assert_eq!(tx.len(), 2, "b has not read it yet");
    drop(b.try_recv().unwrap());
    assert_eq!(tx.len(), 1);
    assert_eq!(Rc::strong_count(&v), 2);
    drop(b); // b's unread value is released with it
    assert_eq!(tx.len(), 1, "a still has to read the second");
    drop(a.try_recv().unwrap());
    assert!(tx.is_empty());
    assert_eq!(Rc::strong_count(&v), 1);
}

#[test]
fn overwritten_values_are_dropped() {
    let (tx, _rx) = broadcast::channel(2);
    let v = Rc::new(());
    for _ in 0..5 {
        tx.send(v.clone()).unwrap();
    }
    assert_eq!(Rc::strong_count(&v), 3, "only the ring's 2 slots hold it");
}

#[test]
fn a_dropped_recv_future_loses_nothing() {
    ramen::block_on(async {
        let (tx, mut rx) = broadcast::channel(2);
        let r = ramen::time::timeout(Duration::from_millis(5), rx.recv()).await;
        assert!(r.is_err());
        tx.send(3).unwrap();
        assert_eq!(rx.recv().await, Ok(3));
    });
}

#[test]
fn waiting_receivers_are_woken_by_send_and_by_the_last_sender_drop() {
    ramen::block_on(async {
        let (tx, mut rx) = broadcast::channel(2);
        let tx2 = tx.clone();
        let h = ramen::spawn(async move { (rx.recv().await, rx.recv().await) });
        ramen::yield_now().await;
        tx.send(1).unwrap();
        drop(tx);
        ramen::yield_now().await;
        assert!(!h.is_finished(), "a sender is still alive");
        drop(tx2);
        assert_eq!(h.await.unwrap(), (Ok(1), Err(RecvError::Closed)));
    });
}

#[test]
fn receivers_on_other_threads_see_every_value_or_count_the_lag() {
    let (tx, rx) = broadcast::channel::<u64>(16);
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let mut rx = rx.resubscribe();
            std::thread::spawn(move || {
                ramen::block_on(async move {
                    let (mut seen, mut lagged, mut last) = (0u64, 0u64, None);
                    loop {
                        match rx.recv().await {
                            Ok(v) => {
                                assert!(last < Some(v), "in order");
                                last = Some(v);
                                seen += 1;
                            }
                            Err(RecvError::Lagged(n)) => lagged += n,
                            Err(RecvError::Closed) => return (seen + lagged, last),
                        }
                    }
                })
            })
        })
        .collect();
    drop(rx);
    while tx.receiver_count() < 4 {
        std::thread::yield_now();
    }
    for v in 0..5_000 {
        tx.send(v).unwrap();
    }
    drop(tx);
    for r in readers {
        assert_eq!(r.join().unwrap(), (5_000, Some(4_999)));
    }
}

#[test]
#[should_panic(expected = "broadcast channel capacity cannot be zero")]
fn zero_capacity_panics_with_tokios_message() {
    let _ = broadcast::channel::<u8>(0);
}
