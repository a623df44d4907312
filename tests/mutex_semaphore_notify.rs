//! Mutex, Semaphore and Notify: exclusion, limits, FIFO, permits.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use ramen::sync::{Mutex, Notify, Semaphore};

#[test]
fn mutex_held_across_yield_never_overlaps() {
    ramen::block_on(async {
        let m = Rc::new(Mutex::new(0u32));
        let inside = Rc::new(Cell::new(0u32));
        let mut handles = Vec::new();
        for _ in 0..100 {
            let (m, inside) = (m.clone(), inside.clone());
            handles.push(ramen::spawn(async move {
                let mut g = m.lock().await;
                inside.set(inside.get() + 1);
                assert_eq!(inside.get(), 1, "two tasks inside the lock");
                ramen::yield_now().await;
                *g += 1;
                inside.set(inside.get() - 1);
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*m.lock().await, 100);
    });
}

#[test]
fn mutex_is_fifo() {
    let order = ramen::block_on(async {
        let m = Rc::new(Mutex::new(Vec::new()));
        let first = m.lock().await;
        let mut handles = Vec::new();
        for i in 0..5 {
            let m = m.clone();
            handles.push(ramen::spawn(async move { m.lock().await.push(i) }));
            ramen::yield_now().await;
        }
        assert!(m.try_lock().is_err(), "held, and others are queued");
        drop(first);
        for h in handles {
            h.await.unwrap();
        }
        Rc::try_unwrap(m).unwrap().into_inner()
    });
    assert_eq!(order, [0, 1, 2, 3, 4]);
}

#[test]
fn mutex_across_threads() {
    let m = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                ramen::block_on(async move {
                    for _ in 0..1000 {
                        let mut g = m.lock().await;
                        let v = *g;
                        ramen::yield_now().await;
                        *g = v + 1;
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.try_lock().unwrap(), 4000);
}

#[test]
fn semaphore_never_admits_a_fourth() {
    ramen::block_on(async {
        let sem = Rc::new(Semaphore::new(3));
        let inside = Rc::new(Cell::new(0usize));
        let max = Rc::new(Cell::new(0usize));
        let mut handles = Vec::new();
        for _ in 0..20 {
            let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
            handles.push(ramen::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                inside.set(inside.get() + 1);
                max.set(max.get().max(inside.get()));
                ramen::yield_now().await;
                ramen::yield_now().await;
                inside.set(inside.get() - 1);
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(max.get(), 3, "exactly 3 at a time at the peak");
        assert_eq!(sem.available_permits(), 3);
    });
}

#[test]
fn semaphore_try_acquire_add_permits_and_close() {
    ramen::block_on(async {
        let sem = Rc::new(Semaphore::new(1));
        let p = sem.try_acquire().unwrap();
        assert!(sem.try_acquire().is_err());
        sem.add_permits(2);
        assert_eq!(sem.available_permits(), 2);
        drop(p);
        assert_eq!(sem.available_permits(), 3);
        let all: Vec<_> = (0..3).map(|_| sem.try_acquire().unwrap()).collect();
        let s = sem.clone();
        let waiter = ramen::spawn(async move { s.acquire().await.is_err() });
        ramen::yield_now().await;
        sem.close();
        assert!(waiter.await.unwrap(), "a waiting acquire fails on close");
        assert!(sem.acquire().await.is_err());
        drop(all);
    });
}

#[test]
fn notify_one_stores_a_single_permit() {
    ramen::block_on(async {
        let n = Notify::new();
        n.notify_one();
        n.notify_one(); // still one permit
        n.notified().await; // consumes it at once
        let second = ramen::select(n.notified(), ramen::yield_now()).await;
        assert!(matches!(second, ramen::Either::Right(())), "no 2nd permit");
    });
}

#[test]
fn notify_one_wakes_waiters_fifo() {
    let order = ramen::block_on(async {
        let n = Rc::new(Notify::new());
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..3 {
            let (n, order) = (n.clone(), order.clone());
            handles.push(ramen::spawn(async move {
                n.notified().await;
                order.borrow_mut().push(i);
            }));
            ramen::yield_now().await;
        }
        for _ in 0..3 {
            n.notify_one();
            ramen::yield_now().await;
        }
        for h in handles {
            h.await.unwrap();
        }
        order.take()
    });
    assert_eq!(order, [0, 1, 2]);
}

#[test]
fn notify_waiters_wakes_all_and_stores_nothing() {
    ramen::block_on(async {
        let n = Rc::new(Notify::new());
        let woken = Rc::new(Cell::new(0));
        let mut handles = Vec::new();
        for _ in 0..5 {
            let (n, woken) = (n.clone(), woken.clone());
            handles.push(ramen::spawn(async move {
                n.notified().await;
                woken.set(woken.get() + 1);
            }));
        }
        ramen::yield_now().await;
        // Created before the call but never polled: also notified.
        let early = n.notified();
        n.notify_waiters();
        early.await;
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(woken.get(), 5);
        let late = ramen::select(n.notified(), ramen::yield_now()).await;
        assert!(matches!(late, ramen::Either::Right(())), "no stored permit");
    });
}

#[test]
fn notify_ping_pong_across_threads() {
    let ping = Arc::new(Notify::new());
    let pong = Arc::new(Notify::new());
    let (ping2, pong2) = (ping.clone(), pong.clone());
    let t = std::thread::spawn(move || {
        ramen::block_on(async move {
            for _ in 0..200 {
                ping2.notified().await;
                pong2.notify_one();
            }
        })
    });
    ramen::block_on(async move {
        for _ in 0..200 {
            ping.notify_one();
            pong.notified().await; // a lost wakeup would hang here
        }
    });
    t.join().unwrap();
}

#[test]
fn sync_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<ramen::sync::MutexGuard<'static, Vec<u8>>>();
    send_sync::<Semaphore>();
    send_sync::<ramen::sync::SemaphorePermit<'static>>();
    send_sync::<Notify>();
    send_sync::<mpsc_types::Tx>();
    send_sync::<mpsc_types::Rx>();
    send_sync::<ramen::sync::oneshot::Sender<String>>();
    send_sync::<ramen::sync::oneshot::Receiver<String>>();
    fn send<T: Send>() {}
    send::<ramen::sync::mpsc::SendFut<'static, String>>();
    send::<ramen::sync::Lock<'static, String>>();
}

mod mpsc_types {
    pub type Tx = ramen::sync::mpsc::Sender<String>;
    pub type Rx = ramen::sync::mpsc::Receiver<String>;
}
