//! Loom models of the task state word racing wakers on other threads.
//!
//! Each model builds a real task block (`raw::allocate`), plays the loop on
//! the model's main thread and wakers on others, and checks at the end that
//! the future was dropped exactly once and the block freed exactly once (the
//! block's reference on the inbox `Arc` is gone: `strong_count == 1`).
//! Every model fails if `raw::dealloc` forgets to give back the reference a
//! waker took when it escaped (`ESCAPED`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::*;
use crate::loom::{Arc, AtomicUsize as Counter, thread};
use crate::rt::inbox::{Inbox, NoopUnpark};
use crate::rt::task::TaskRef;
use crate::rt::task::raw::{self, Spawned};
use crate::rt::waker::waker;

/// A future that never finishes and counts its drops.
struct Probe(Arc<Counter>);

impl Future for Probe {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn inbox() -> Arc<Inbox> {
    Arc::new(Inbox::new(1, Box::new(NoopUnpark), Box::new(NoopUnpark)))
}

/// A task as `Core::spawn` makes it, minus the handle, already polled once
/// and waiting: the model holds the task list's reference.
fn idle_task(inbox: &Arc<Inbox>, drops: &Arc<Counter>) -> TaskRef {
    let how = Spawned {
        id: 1,
        location: std::panic::Location::caller(),
        scheduler: inbox,
        flags: SCHEDULED,
        refs: 2,
    };
    let ptr = raw::allocate(Probe(drops.clone()), (), how);
    // SAFETY: `allocate` made two references: the list's and the entry's.
    let (listed, entry) = unsafe { (TaskRef::from_raw(ptr), TaskRef::from_raw(ptr)) };
    entry.header().state.begin_poll();
    entry.end_poll();
    listed
}

/// The end of every model: the future was dropped once, and the block was
/// freed (its reference on the inbox, taken when a waker escaped, is back).
fn assert_dropped_and_freed(inbox: &Arc<Inbox>, drops: &Arc<Counter>) {
    assert_eq!(drops.load(Ordering::Relaxed), 1, "future dropped once");
    assert_eq!(Arc::strong_count(inbox), 1, "the block was freed");
}

/// A task woken from two threads while the loop drains and polls it is
/// queued at most once at a time, and polled after the last wake.
/// Fails if `begin_poll` is `Relaxed` (the poll misses an event), if
/// `schedule_by_val` checks then sets with two operations (two entries), or
/// if `end_poll` forgets the entry's reference (the block leaks).
#[test]
fn two_remote_wakers_one_entry() {
    loom::model(|| {
        let inbox = inbox();
        let drops = Arc::new(Counter::new(0));
        let listed = idle_task(&inbox, &drops);
        let events = Arc::new(Counter::new(0));
        let finished = Arc::new(Counter::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let w = waker(listed.clone());
                let (events, finished) = (events.clone(), finished.clone());
                thread::spawn(move || {
                    events.fetch_add(1, Ordering::Relaxed);
                    w.wake();
                    finished.fetch_add(1, Ordering::Release);
                })
            })
            .collect();
        let mut seen_by_last_poll = 0;
        let mut drained = Vec::new();
        loop {
            let both_done = finished.load(Ordering::Acquire) == 2;
            inbox.drain_into(&mut drained);
            assert!(drained.len() <= 1, "queued twice: {drained:?}");
            let polled = !drained.is_empty();
            for entry in drained.drain(..) {
                entry.header().state.begin_poll();
                seen_by_last_poll = events.load(Ordering::Relaxed);
                entry.end_poll();
            }
            if both_done && !polled {
                break;
            }
            thread::yield_now();
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(seen_by_last_poll, 2, "a wake was lost");
        listed.cancel();
        drop(listed);
        assert_dropped_and_freed(&inbox, &drops);
    });
}

/// A stale waker woken on another thread races the task's completion and
/// the loop dropping its last references. It never queues a complete task
/// (an entry it did push, before completion, is skipped by the loop), and
/// the block is freed exactly once by whichever thread lets go last.
/// Fails if `schedule_by_val` ignores `COMPLETE`, or if `wake` forgets to
/// release its reference when it skips (a leak: `strong_count` stays 2).
#[test]
fn wake_racing_completion() {
    loom::model(|| {
        let inbox = inbox();
        let drops = Arc::new(Counter::new(0));
        let listed = idle_task(&inbox, &drops);
        let w = waker(listed.clone());
        let t = thread::spawn(move || w.wake());
        // The loop cancels the idle task and lets go of it.
        listed.cancel();
        assert!(listed.is_complete());
        drop(listed);
        t.join().unwrap();
        let mut drained = Vec::new();
        inbox.drain_into(&mut drained);
        assert!(drained.len() <= 1);
        for stale in drained.drain(..) {
            assert!(stale.is_complete(), "the loop skips it");
        }
        assert_dropped_and_freed(&inbox, &drops);
    });
}

/// The runtime shuts down (close the inbox, cancel every task, drop the
/// list's reference) while a waiting task's wakers are woken and dropped on
/// two other threads. Nothing is queued after shutdown, the future is
/// dropped once, on this thread, and the block is freed exactly once.
#[test]
fn wake_after_shutdown() {
    loom::model(|| {
        let inbox = inbox();
        let drops = Arc::new(Counter::new(0));
        let listed = idle_task(&inbox, &drops);
        let w1 = waker(listed.clone());
        let w2 = w1.clone();
        let t1 = thread::spawn(move || {
            w1.wake_by_ref();
            w1.wake();
        });
        let t2 = thread::spawn(move || drop(w2));
        inbox.close();
        listed.cancel();
        assert_eq!(drops.load(Ordering::Relaxed), 1, "dropped here, once");
        drop(listed);
        t1.join().unwrap();
        t2.join().unwrap();
        let mut drained = Vec::new();
        inbox.drain_into(&mut drained);
        assert!(drained.is_empty(), "queued after shutdown: {drained:?}");
        assert_dropped_and_freed(&inbox, &drops);
    });
}
