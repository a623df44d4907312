//! watch: receivers see the latest value, `changed()` wakes once per new
//! version, closing works both ways, across threads too.

use std::time::Duration;

use ramen::sync::watch;

#[test]
fn changed_then_borrow_and_update_sees_the_latest() {
    ramen::block_on(async {
        let (tx, mut rx) = watch::channel(0);
        assert_eq!(*rx.borrow(), 0);
        assert_eq!(rx.has_changed(), Ok(false));
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(rx.has_changed(), Ok(true));
        {
            let r = rx.borrow();
            assert_eq!(*r, 2);
            assert!(r.has_changed());
        }
        rx.changed().await.unwrap();
        assert_eq!(rx.has_changed(), Ok(false), "changed() marks it seen");
        let r = rx.borrow_and_update();
        assert_eq!(*r, 2);
        assert!(!r.has_changed());
    });
}

#[test]
fn a_waiting_receiver_wakes_once_per_update_and_ends_on_close() {
    let seen = ramen::block_on(async {
        let (tx, mut rx) = watch::channel(String::from("a"));
        let h = ramen::spawn(async move {
            let mut seen = Vec::new();
            while rx.changed().await.is_ok() {
                seen.push(rx.borrow_and_update().clone());
            }
            seen
        });
        ramen::yield_now().await;
        tx.send("b".into()).unwrap();
        ramen::yield_now().await;
        tx.send_modify(|s| s.push('c'));
        ramen::yield_now().await;
        assert_eq!(tx.send_replace("d".into()), "bc");
        assert!(!tx.send_if_modified(|_| false), "no notification");
        drop(tx);
        h.await.unwrap()
    });
    assert_eq!(seen, ["b", "bc", "d"]);
}

#[test]
fn the_last_value_before_close_is_still_reported() {
    ramen::block_on(async {
        let (tx, mut rx) = watch::channel(1);
        tx.send(2).unwrap();
        drop(tx);
        assert!(rx.has_changed().is_err(), "has_changed reports the close");
        assert_eq!(rx.changed().await, Ok(()));
        assert_eq!(*rx.borrow_and_update(), 2);
        assert!(rx.changed().await.is_err());
    });
}

#[test]
fn send_without_receivers_fails_and_does_not_store() {
    let (tx, rx) = watch::channel(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1);
    tx.send_modify(|v| *v = 3);
    assert_eq!(*tx.borrow(), 3, "send_modify stores anyway");
    let rx = tx.subscribe();
    assert_eq!(
        rx.has_changed(),
        Ok(false),
        "a subscriber has seen the current value"
    );
    assert_eq!(tx.receiver_count(), 1);
}

#[test]
fn mark_changed_and_unchanged() {
    ramen::block_on(async {
        let (tx, mut rx) = watch::channel(());
        rx.mark_changed();
        rx.changed().await.unwrap(); // at once
        tx.send(()).unwrap();
        rx.mark_unchanged();
        assert_eq!(rx.has_changed(), Ok(false));
        let pending = ramen::time::timeout(Duration::from_millis(5), rx.changed()).await;
        assert!(pending.is_err(), "nothing new");
        tx.send(()).unwrap();
        rx.changed().await.unwrap();
    });
}

#[test]
fn clones_share_the_seen_version() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(1).unwrap();
    let rx2 = rx.clone();
    assert!(rx.same_channel(&rx2));
    assert_eq!(rx2.has_changed(), Ok(true));
    rx.mark_unchanged();
    let rx3 = rx.clone();
    assert_eq!(rx3.has_changed(), Ok(false));
    assert_eq!(tx.receiver_count(), 3);
    let tx2 = tx.clone();
    drop(tx);
    assert_eq!(rx3.has_changed(), Ok(false), "one sender is left");
    drop(tx2);
    assert!(rx3.has_changed().is_err());
}

#[test]
fn sender_closed_waits_for_every_receiver() {
    ramen::block_on(async {
        let (tx, rx) = watch::channel(0);
        let rx2 = rx.clone();
        let h = ramen::spawn(async move {
            tx.closed().await;
            tx.is_closed()
        });
        ramen::yield_now().await;
        drop(rx);
        ramen::yield_now().await;
        assert!(!h.is_finished(), "rx2 is still there");
        drop(rx2);
        assert!(h.await.unwrap());
    });
}

#[test]
fn a_receiver_on_another_thread_ends_on_the_final_value() {
    let (tx, mut rx) = watch::channel(0u64);
    let reader = std::thread::spawn(move || {
        ramen::block_on(async move {
            let mut last = 0;
            while rx.changed().await.is_ok() {
                let v = *rx.borrow_and_update();
                assert!(v >= last, "values only move forward");
                last = v;
            }
            last
        })
    });
    for v in 1..=10_000 {
        tx.send_replace(v);
    }
    drop(tx);
    assert_eq!(reader.join().unwrap(), 10_000);
}

#[test]
fn wait_for_checks_the_current_value_then_each_new_one() {
    ramen::block_on(async {
        let (tx, mut rx) = watch::channel(5);
        {
            let r = rx.wait_for(|v| *v == 5).await.unwrap();
            assert_eq!(*r, 5, "already true: returns at once");
            assert!(!r.has_changed());
        }
        let mut rx2 = rx.clone();
        let h = ramen::spawn(async move {
            let mut checked = Vec::new();
            let got = *rx2
                .wait_for(|v| {
                    checked.push(*v);
                    *v >= 8
                })
                .await
                .unwrap();
            (got, checked)
        });
        ramen::yield_now().await;
        for v in 6..=9 {
            tx.send(v).unwrap();
            ramen::yield_now().await;
        }
        assert_eq!(h.await.unwrap(), (8, vec![5, 6, 7, 8]));
        drop(tx);
        assert!(
            rx.wait_for(|v| *v == 100).await.is_err(),
            "closed before it held"
        );
        assert_eq!(*rx.wait_for(|v| *v == 9).await.unwrap(), 9);
    });
}
