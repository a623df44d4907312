//! Loom model 5: the `spawn_blocking` hand-off and the pool's idle and
//! shutdown paths. Each model uses at most two threads (the "runtime" and one
//! worker); loom fails a model on a deadlock (a job nobody will run, a worker
//! that sleeps forever after `close`) and on a leaked `Arc`.

use std::future::Future;
use std::pin::Pin;

use super::*;
use crate::inbox::{Inbox, NoopUnpark, Park, Unpark};
use crate::loom::{AtomicUsize, Ordering};
use crate::rt::task::TestTask;
use crate::waker::waker_ref;

struct LoomUnpark(Arc<loom::sync::Notify>);
impl Unpark for LoomUnpark {
    fn unpark(&self) {
        self.0.notify();
    }
}

/// Polls a finished handle once (no waker needed).
fn take<T>(mut handle: JoinHandle<T>) -> Result<T, JoinError> {
    let mut cx = Context::from_waker(futures_task::noop_waker_ref());
    match Pin::new(&mut handle).poll(&mut cx) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a finished job's handle was not ready"),
    }
}

/// The result of a job reaches a task polled exactly like the runtime polls
/// it: `begin_poll`, poll the handle, and on `Pending` drain the inbox or
/// park until the worker's wake arrives. A lost wake deadlocks the model.
/// (Caught: `poll_join` checking the result and registering its waker under
/// two separate locks; `close` forgetting `notify_all`, so the idle worker
/// never exits; `in_flight` decremented after the wake instead of before.)
#[test]
fn blocking_result_wakes_joiner() {
    loom::model(|| {
        let notify = Arc::new(loom::sync::Notify::new());
        let inbox = Arc::new(Inbox::new(
            1,
            Box::new(LoomUnpark(notify.clone())),
            Box::new(NoopUnpark),
        ));
        let (task, first) = TestTask::queued(&inbox, 1);
        let mut entry = Some(first);
        let pool = Pool::with_limits(1, Duration::from_secs(1));
        let mut handle = pool.spawn(7, || 42);
        let result = loop {
            let popped = entry.take().expect("one entry per poll");
            popped.header().state.begin_poll();
            let waker = waker_ref(&popped);
            let mut cx = Context::from_waker(&waker);
            let poll = Pin::new(&mut handle).poll(&mut cx);
            drop(waker);
            popped.end_poll();
            if let Poll::Ready(result) = poll {
                break result;
            }
            let mut woken = Vec::new();
            loop {
                inbox.drain_into(&mut woken);
                if !woken.is_empty() {
                    break;
                }
                if inbox.park(Park::Reactor) {
                    notify.wait();
                    inbox.unparked();
                }
            }
            assert!(
                woken.len() == 1 && woken[0].ptr_eq(&task.0),
                "queued once, for this task: {woken:?}"
            );
            entry = woken.pop();
        };
        assert_eq!(result.unwrap(), 42);
        // A paused clock's loop reads this once woken: it must be 0 by then,
        // or the loop would wait in real time for a wake that never comes.
        assert_eq!(pool.in_flight(), 0, "counted out before the joiner's wake");
        drop(handle);
        pool.close();
        assert!(pool.wait_exit(Duration::MAX));
    });
}

/// With one thread allowed, a second job submitted while the worker is
/// finishing the first (or already idle) is still taken by that worker:
/// never a second thread, never a job left in the queue. Then `close` makes
/// the idle worker exit. (Caught: a worker that goes idle after a job
/// without re-checking the queue; a `submit` that notifies an idle worker
/// without claiming it through `notified`, so the wake-up is taken for a
/// spurious one.)
#[test]
fn idle_worker_is_reused_then_exits() {
    loom::model(|| {
        let pool = Pool::with_limits(1, Duration::from_secs(1));
        let a = pool.spawn(1, || 1);
        while !a.is_finished() {
            thread::yield_now();
        }
        let b = pool.spawn(2, || 2);
        while !b.is_finished() {
            thread::yield_now();
        }
        assert_eq!(pool.stats().0, 1, "a second thread was started");
        assert_eq!(take(a).unwrap() + take(b).unwrap(), 3);
        pool.close();
        assert!(pool.wait_exit(Duration::MAX));
        assert_eq!(pool.stats(), (0, 0, 0));
    });
}

/// `close` (runtime drop) and `abort` race the worker taking jobs. Every job
/// ends up either run (its handle has the value) or cancelled (it never
/// ran); FIFO order holds; and after the worker exits nothing is pending.
#[test]
fn shutdown_cancels_queued_jobs() {
    loom::model(|| {
        let pool = Pool::with_limits(1, Duration::from_secs(1));
        let ran = Arc::new(AtomicUsize::new(0));
        let (r1, r2) = (ran.clone(), ran.clone());
        let a = pool.spawn(1, move || r1.fetch_add(1, Ordering::SeqCst));
        let b = pool.spawn(2, move || r2.fetch_add(10, Ordering::SeqCst));
        b.abort();
        pool.close();
        assert!(pool.wait_exit(Duration::MAX));
        assert!(a.is_finished() && b.is_finished(), "a job was stranded");
        let (ra, rb) = (take(a), take(b));
        let ran = ran.load(Ordering::SeqCst);
        assert_eq!(ra.is_ok(), ran % 10 == 1, "a: Ok iff it ran");
        assert_eq!(rb.is_ok(), ran >= 10, "b: Ok iff it ran");
        assert!(ra.as_ref().err().is_none_or(JoinError::is_cancelled));
        assert!(rb.as_ref().err().is_none_or(JoinError::is_cancelled));
        if rb.is_ok() {
            assert_eq!(ra.unwrap(), 0, "FIFO: a ran first");
        }
    });
}
