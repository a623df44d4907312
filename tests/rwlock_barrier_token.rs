//! RwLock (FIFO, writer not starved), Barrier (leader, generations),
//! CancellationToken (tree, owned future, drop guard, threads).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ramen::sync::{Barrier, CancellationToken, RwLock};

fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn writer_is_not_starved_by_later_readers() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let mut w = Box::pin(lock.write());
    assert!(poll(&mut w).is_pending());
    // A reader arriving after the waiting writer queues behind it.
    assert!(lock.try_read().is_err());
    let mut r2 = Box::pin(lock.read());
    assert!(poll(&mut r2).is_pending());
    drop(r1);
    let Poll::Ready(mut g) = poll(&mut w) else {
        panic!("the writer should hold the lock once the first reader left")
    };
    *g = 7;
    assert!(poll(&mut r2).is_pending());
    drop(g);
    let Poll::Ready(r) = poll(&mut r2) else {
        panic!("the reader queued behind the writer runs next")
    };
    assert_eq!(*r, 7);
}

#[test]
fn readers_share_and_order_is_fifo() {
    let log = ramen::block_on(async {
        let lock = Rc::new(RwLock::new(()));
        let log = Rc::new(RefCell::new(Vec::new()));
        let first = lock.write().await;
        let mut tasks = Vec::new();
        for (i, write) in [(0, false), (1, false), (2, true), (3, false)] {
            let (lock, log) = (lock.clone(), log.clone());
            tasks.push(ramen::spawn(async move {
                if write {
                    let _g = lock.write().await;
                    log.borrow_mut().push(format!("w{i}"));
                    ramen::yield_now().await;
                    log.borrow_mut().push(format!("/w{i}"));
                } else {
                    let _g = lock.read().await;
                    log.borrow_mut().push(format!("r{i}"));
                    ramen::yield_now().await;
                    log.borrow_mut().push(format!("/r{i}"));
                }
            }));
            ramen::yield_now().await; // queue in this order
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        Rc::try_unwrap(log).unwrap().into_inner()
    });
    // r0 and r1 overlap; w2 waits for both and excludes r3.
    assert_eq!(log, ["r0", "r1", "/r0", "/r1", "w2", "/w2", "r3", "/r3"]);
}

#[test]
fn max_readers_and_accessors() {
    let mut lock = RwLock::with_max_readers(String::from("a"), 2);
    {
        let _a = lock.try_read().unwrap();
        let _b = lock.try_read().unwrap();
        assert!(lock.try_read().is_err(), "only 2 readers");
        assert!(lock.try_write().is_err());
    }
    lock.try_write().unwrap().push('b');
    lock.get_mut().push('c');
    assert_eq!(lock.into_inner(), "abc");
}

#[test]
#[should_panic(expected = "a RwLock may not be created with 0 readers")]
fn zero_readers_panics() {
    let _ = RwLock::with_max_readers((), 0);
}

#[test]
fn cancelled_write_lets_queued_readers_in() {
    let lock = RwLock::new(1);
    let r1 = lock.try_read().unwrap();
    let mut w = Box::pin(lock.write());
    assert!(poll(&mut w).is_pending());
    let mut r2 = Box::pin(lock.read());
    assert!(poll(&mut r2).is_pending());
    drop(w); // the writer gives up: r2 must not stay blocked
    assert!(matches!(poll(&mut r2), Poll::Ready(ref g) if **g == 1));
    drop(r1);
}

#[test]
fn barrier_one_leader_per_generation() {
    let leaders = ramen::block_on(async {
        let barrier = Rc::new(Barrier::new(3));
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for id in 0..3 {
            let (barrier, log) = (barrier.clone(), log.clone());
            tasks.push(ramen::spawn(async move {
                let mut leaders = 0;
                for round in 0..4 {
                    log.borrow_mut().push((round, "before", id));
                    if barrier.wait().await.is_leader() {
                        leaders += 1;
                    }
                    log.borrow_mut().push((round, "after", id));
                }
                leaders
            }));
        }
        let mut counts = Vec::new();
        for t in tasks {
            counts.push(t.await.unwrap());
        }
        // Nobody passes round r before everyone reached round r.
        let log = log.borrow();
        for round in 0..4 {
            let last_before = log.iter().rposition(|e| e.0 == round && e.1 == "before");
            let first_after = log.iter().position(|e| e.0 == round && e.1 == "after");
            assert!(last_before < first_after, "round {round}: {log:?}");
        }
        counts
    });
    assert_eq!(leaders.iter().sum::<usize>(), 4, "one leader per round");
}

#[test]
fn barrier_of_zero_acts_as_one() {
    let b = Barrier::new(0);
    for _ in 0..3 {
        let Poll::Ready(r) = poll(&mut Box::pin(b.wait())) else {
            panic!("Barrier::new(0) must not block")
        };
        assert!(r.is_leader());
    }
}

#[test]
fn barrier_across_threads() {
    let b = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || ramen::block_on(b.wait()).is_leader())
        })
        .collect();
    let leaders = threads.into_iter().map(|t| t.join().unwrap());
    assert_eq!(leaders.filter(|l| *l).count(), 1);
}

#[test]
fn token_tree_cancels_downward_only() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let sibling = root.child_token();
    child.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(!root.is_cancelled() && !sibling.is_cancelled());
    let mut waits = Box::pin(sibling.cancelled());
    assert!(poll(&mut waits).is_pending());
    root.cancel();
    assert!(poll(&mut waits).is_ready());
    assert!(sibling.is_cancelled());
    let late = root.child_token();
    assert!(
        late.is_cancelled(),
        "a child of a cancelled token is born cancelled"
    );
    assert!(poll(&mut Box::pin(late.cancelled())).is_ready());
}

#[test]
fn clones_share_and_dropped_children_unlink() {
    let root = CancellationToken::new();
    let clone = root.clone();
    for _ in 0..1000 {
        let c = root.child_token();
        drop(c.child_token());
    }
    // A deep chain: cancelling it must not recurse on the thread's stack.
    let mut chain = vec![root.child_token()];
    for _ in 0..100_000 {
        let next = chain.last().unwrap().child_token();
        chain.push(next);
    }
    clone.cancel();
    assert!(root.is_cancelled());
    assert!(chain.iter().all(|t| t.is_cancelled()));
    drop(chain); // and dropping it must not recurse either: see `Drop for Node`
}

#[test]
fn owned_future_and_drop_guard() {
    ramen::block_on(async {
        let token = CancellationToken::new();
        let waiter = ramen::spawn(token.clone().cancelled_owned());
        let guard = token.clone().drop_guard();
        let kept = token.child_token().drop_guard().disarm();
        ramen::yield_now().await;
        assert!(!token.is_cancelled());
        drop(guard);
        waiter.await.unwrap();
        assert!(token.is_cancelled() && kept.is_cancelled());

        let other = CancellationToken::new();
        drop(other.clone().drop_guard().disarm());
        assert!(!other.is_cancelled(), "a disarmed guard does not cancel");
    });
}

#[test]
fn cancel_from_another_thread_wakes_the_runtime() {
    let token = CancellationToken::new();
    let t2 = token.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        t2.cancel();
    });
    ramen::block_on(async {
        let child = token.child_token();
        child.cancelled().await;
    });
    canceller.join().unwrap();
    fn is_send_sync<T: Send + Sync>(_: &T) {}
    is_send_sync(&token);
    is_send_sync(&token.cancelled());
}

#[test]
fn futures_and_guards_can_cross_threads() {
    fn is_send<T: Send>(_: &T) {}
    let (lock, barrier) = (RwLock::new(1), Barrier::new(1));
    is_send(&lock.read());
    is_send(&lock.write());
    is_send(&barrier.wait());
    is_send(&lock.try_read().unwrap());
    let sem = Arc::new(ramen::sync::Semaphore::new(1));
    is_send(&sem.clone().acquire_owned());
    is_send(&sem.try_acquire_owned().unwrap());
    // A writer on another thread is handed the lock by a reader here.
    let lock = Arc::new(RwLock::new(0));
    let guard = lock.try_read().unwrap();
    let l = lock.clone();
    let writer = std::thread::spawn(move || ramen::block_on(async { *l.write().await += 1 }));
    std::thread::sleep(std::time::Duration::from_millis(20));
    drop(guard);
    writer.join().unwrap();
    assert_eq!(*lock.try_read().unwrap(), 1);
}
