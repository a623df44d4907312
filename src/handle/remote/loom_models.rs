//! Loom models of the cross-thread paths of `Handle::spawn`.

use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use super::{Remote, RemoteJoinHandle, Slot};
use crate::inbox::{Inbox, NoopUnpark};
use crate::loom::{Arc, thread};

/// A waker that releases a `loom::sync::Notify`: a joiner that sleeps on it
/// and is never woken makes loom report a deadlock.
struct NotifyWaker(Arc<loom::sync::Notify>);

impl Wake for NotifyWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// Awaits `handle` like an executor would: poll, and sleep until woken.
fn await_handle<T>(mut handle: RemoteJoinHandle<T>) -> Result<T, crate::JoinError> {
    let notify = Arc::new(loom::sync::Notify::new());
    let waker = Waker::from(std::sync::Arc::new(NotifyWaker(notify.clone())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match Pin::new(&mut handle).poll(&mut cx) {
            Poll::Ready(result) => return result,
            Poll::Pending => notify.wait(),
        }
    }
}

/// A spawn from another thread racing the runtime's last drain and its
/// shutdown (`Inbox::close`): whichever way it goes — run by the drain,
/// dropped by `close`, or refused after it — the handle is finished once
/// both sides are done, and reports cancellation (there is no `Core` under
/// loom, so even a drained request cancels). Fails if `push_spawn` queues
/// after `close`, or if `close` leaves queued spawns in the inbox.
#[test]
fn spawn_from_remote_vs_shutdown() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new(1, Box::new(NoopUnpark), Box::new(NoopUnpark)));
        let remote = {
            let inbox = inbox.clone();
            thread::spawn(move || {
                super::super::spawn_onto(&inbox, async { 7u8 }, Location::caller())
            })
        };
        let (mut tasks, mut spawns) = (Vec::new(), Vec::new());
        inbox.drain_all(&mut tasks, &mut spawns);
        for spawn in spawns {
            spawn();
        }
        inbox.close();
        let handle = remote.join().unwrap();
        assert!(handle.is_finished(), "a spawn racing shutdown was lost");
        assert!(await_handle(handle).unwrap_err().is_cancelled());
    });
}

/// A result published by one runtime (the thread polling the task) and
/// awaited on another (a joiner that sleeps until woken). Fails (loom
/// reports a deadlock) if the handle checks the slot and registers its
/// waker under two separate locks, or if `complete` takes the waker before
/// storing the result under the same lock.
#[test]
fn result_published_on_one_runtime_awaited_on_another() {
    loom::model(|| {
        let slot = Slot::new();
        let task = Remote::new(async { 5u32 }, slot.clone());
        let handle = RemoteJoinHandle::new(slot);
        let runtime = thread::spawn(move || {
            let mut task = Box::pin(task);
            let mut cx = Context::from_waker(Waker::noop());
            assert!(task.as_mut().poll(&mut cx).is_ready());
        });
        assert_eq!(await_handle(handle).unwrap(), 5);
        runtime.join().unwrap();
    });
}

/// `abort` from another thread racing the task's poll: the handle always
/// resolves (cancelled, or the output if the task finished first), and
/// loom reports a deadlock if the abort's wake could be lost.
#[test]
fn abort_from_another_thread_vs_poll() {
    loom::model(|| {
        let slot = Slot::new();
        let task = Remote::new(std::future::pending::<u32>(), slot.clone());
        let handle = RemoteJoinHandle::new(slot);
        let handle = std::sync::Arc::new(handle);
        let aborter = {
            let handle = handle.clone();
            thread::spawn(move || handle.abort())
        };
        // The runtime: poll the task whenever its waker fires, until done.
        let notify = Arc::new(loom::sync::Notify::new());
        let waker = Waker::from(std::sync::Arc::new(NotifyWaker(notify.clone())));
        let mut cx = Context::from_waker(&waker);
        let mut task = Box::pin(task);
        while task.as_mut().poll(&mut cx).is_pending() {
            notify.wait();
        }
        aborter.join().unwrap();
        let handle = std::sync::Arc::into_inner(handle).unwrap();
        assert!(await_handle(handle).unwrap_err().is_cancelled());
    });
}
