//! oneshot: values, sender drop, receiver drop, across threads.

use ramen::sync::oneshot::{self, TryRecvError};

#[test]
fn value_arrives() {
    let v = ramen::block_on(async {
        let (tx, rx) = oneshot::channel();
        let h = ramen::spawn(rx);
        ramen::yield_now().await;
        tx.send("hi").unwrap();
        h.await.unwrap()
    });
    assert_eq!(v, Ok("hi"));
}

#[test]
fn sender_dropped_without_sending_is_an_error() {
    ramen::block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let h = ramen::spawn(rx);
        ramen::yield_now().await;
        drop(tx);
        assert!(h.await.unwrap().is_err());
    });
}

#[test]
fn send_to_dropped_receiver_gives_value_back() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(9), Err(9));
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn sender_closed_resolves_when_receiver_goes() {
    ramen::block_on(async {
        let (mut tx, rx) = oneshot::channel::<()>();
        let h = ramen::spawn(async move {
            tx.closed().await;
            tx.is_closed()
        });
        ramen::yield_now().await;
        drop(rx);
        assert!(h.await.unwrap());
    });
}

#[test]
fn across_threads() {
    for _ in 0..50 {
        let (tx, rx) = oneshot::channel();
        let t = std::thread::spawn(move || tx.send(String::from("from afar")).unwrap());
        let got = ramen::block_on(rx);
        t.join().unwrap();
        assert_eq!(got.unwrap(), "from afar");
    }
}

#[test]
fn sender_dropped_on_another_thread() {
    let (tx, rx) = oneshot::channel::<u32>();
    let t = std::thread::spawn(move || drop(tx));
    assert!(ramen::block_on(rx).is_err());
    t.join().unwrap();
}

#[test]
fn dropping_a_pending_await_on_mut_ref_loses_nothing() {
    ramen::block_on(async {
        let (tx, mut rx) = oneshot::channel();
        let r = ramen::select(&mut rx, ramen::yield_now()).await;
        assert!(matches!(r, ramen::Either::Right(())));
        tx.send(5).unwrap();
        assert_eq!(rx.await, Ok(5));
    });
}
