//! The two ends of a task spawned through a [`Handle`](crate::Handle): the
//! [`RemoteJoinHandle`] (any thread) and the [`Remote`] wrapper future that
//! runs on the runtime's thread; between them, a [`Slot`] behind a mutex.
//!
//! **Naive approach:** reuse [`JoinHandle`](crate::JoinHandle). **Its
//! problem:** a `JoinHandle` is an `Rc` into the runtime's task cell, so it
//! must stay on that thread; the output, the joiner's waker and "abort" must
//! cross threads here.
//!
//! **What this file does:** the task's output goes into an `Arc<Slot>`. The
//! wrapper stores it and wakes the joiner; the handle checks for it and
//! registers its waker *under the same lock*, so a result that lands between
//! "check" and "register" cannot be missed (the loom model
//! `result_published_on_one_runtime_awaited_on_another` checks it). Abort
//! sets a flag in the slot and wakes the *task* (its waker is kept there);
//! the wrapper sees the flag at its next poll and drops the future. If the
//! runtime drops the wrapper first (shutdown), its `Drop` reports the task
//! cancelled, so a handle never waits forever.
//!
//! # Slot states
//! `Pending ──complete──► Done ──poll / drop of the handle──► Taken`, and
//! `Pending ──complete, handle dropped──► Taken`. `complete` runs once.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{Arc, Mutex, lock};
use crate::rt::task::JoinError;
use crate::waker_slot::WakerSlot;

enum Stage<T> {
    Pending,
    Done(Result<T, JoinError>),
    Taken,
}

struct State<T> {
    stage: Stage<T>,
    /// Who awaits the `RemoteJoinHandle`.
    joiner: WakerSlot,
    /// The runtime-side task, woken by `abort`.
    task: WakerSlot,
    aborted: bool,
    detached: bool,
    /// The task's id on its runtime (0 until it is spawned there).
    id: u64,
}

/// Where a remote task's output waits for its handle.
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Arc<Slot<T>> {
        Arc::new(Slot {
            state: Mutex::new(State {
                stage: Stage::Pending,
                joiner: WakerSlot::new(),
                task: WakerSlot::new(),
                aborted: false,
                detached: false,
                id: 0,
            }),
        })
    }

    pub(crate) fn set_id(&self, id: u64) {
        lock(&self.state).id = id;
    }

    /// Stores the output (`result` gets the task id) and wakes the joiner,
    /// outside the lock; an output nobody will read is dropped, contained.
    pub(crate) fn complete(&self, result: impl FnOnce(u64) -> Result<T, JoinError>) {
        let (joiner, unread) = {
            let mut s = lock(&self.state);
            debug_assert!(matches!(s.stage, Stage::Pending), "completed twice");
            let result = result(s.id);
            drop(s.task.take());
            if s.detached {
                s.stage = Stage::Taken;
                (None, Some(result))
            } else {
                s.stage = Stage::Done(result);
                (s.joiner.take(), None)
            }
        };
        drop_unread(unread);
        if let Some(waker) = joiner {
            waker.wake();
        }
    }

    /// The wrapper's side of a poll: remembers the task's waker (for abort)
    /// and says whether the task was aborted.
    fn task_polled(&self, waker: &Waker) -> bool {
        let mut s = lock(&self.state);
        s.task.register(waker);
        s.aborted
    }
}

/// Drops an output nobody will read; a panicking destructor is contained.
fn drop_unread<V>(value: V) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        let message = crate::rt::task::panic_message(&*payload).to_owned();
        eprintln!("ramen: a remote task's unread output panicked in its destructor: {message}");
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

/// A `Send` handle to a task spawned with [`Handle::spawn`](crate::Handle::spawn).
///
/// It has the meaning of [`JoinHandle`](crate::JoinHandle), but can move to
/// and be awaited on any thread: inside another runtime's task, or in
/// `ramen::block_on` on a thread of its own. `.await` gives `Ok(output)`, or
/// a [`JoinError`]: [`JoinError::is_panic`] if the task panicked (also if
/// its future panicked while being dropped), [`JoinError::is_cancelled`] if
/// it was aborted or its runtime shut down before it finished (including a
/// spawn onto a runtime that had already shut down: that handle is
/// cancelled at once).
///
/// # Dropping detaches
/// Dropping the handle does **not** cancel the task; its output is dropped
/// when it finishes. Use [`RemoteJoinHandle::abort`].
///
/// # Cancellation
/// Dropping a pending `.await` loses nothing: the output stays in the handle
/// until it is polled again or dropped.
///
/// # Panics
/// Polling it again after it returned `Ready` panics.
#[must_use = "dropping a RemoteJoinHandle detaches the task; .await it or call .abort()"]
pub struct RemoteJoinHandle<T> {
    slot: Arc<Slot<T>>,
}

impl<T> RemoteJoinHandle<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> RemoteJoinHandle<T> {
        RemoteJoinHandle { slot }
    }

    /// Cancels the task, from any thread: its runtime drops its future at
    /// the task's next scheduling point, and the handle gives a
    /// [`JoinError::is_cancelled`] error. Aborting a finished task does
    /// nothing; its output is kept.
    pub fn abort(&self) {
        let task = {
            let mut s = lock(&self.slot.state);
            if !matches!(s.stage, Stage::Pending) {
                return;
            }
            s.aborted = true;
            s.task.take()
        };
        // Not yet polled (still on its way to the runtime): its first poll
        // sees the flag.
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Whether the task has finished (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        !matches!(lock(&self.slot.state).stage, Stage::Pending)
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Check and register under one lock (see the module docs).
        let mut s = lock(&self.slot.state);
        match std::mem::replace(&mut s.stage, Stage::Taken) {
            Stage::Done(result) => Poll::Ready(result),
            Stage::Taken => panic!("ramen: RemoteJoinHandle polled after it returned Ready"),
            Stage::Pending => {
                s.stage = Stage::Pending;
                s.joiner.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for RemoteJoinHandle<T> {
    fn drop(&mut self) {
        let (joiner, unread) = {
            let mut s = lock(&self.slot.state);
            s.detached = true;
            let unread = match s.stage {
                Stage::Done(_) => Some(std::mem::replace(&mut s.stage, Stage::Taken)),
                _ => None,
            };
            (s.joiner.take(), unread)
        };
        drop(joiner);
        drop_unread(unread);
    }
}

impl<T> std::fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A spawn request's claim on its slot: dropped before the request ran (the
/// runtime shut down first), it publishes "cancelled", so the handle never
/// waits for a task that will not exist ([`Handle::spawn_with`](crate::Handle::spawn_with)).
pub(crate) struct CancelIfUnrun<T> {
    slot: Option<Arc<Slot<T>>>,
}

impl<T> CancelIfUnrun<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> CancelIfUnrun<T> {
        CancelIfUnrun { slot: Some(slot) }
    }

    /// The request runs: the task now owns the slot.
    pub(crate) fn take(mut self) -> Arc<Slot<T>> {
        self.slot.take().expect("taken once")
    }
}

impl<T> Drop for CancelIfUnrun<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.complete(|id| Err(JoinError::cancelled(id)));
        }
    }
}

/// The runtime-side task: polls the user's future and publishes its output
/// into the slot. Its own output is `()`; its local `JoinHandle` is dropped.
pub(crate) struct Remote<F: Future> {
    /// `None` once the future is dropped; dropped only in place (pinned).
    future: Option<F>,
    slot: Arc<Slot<F::Output>>,
}

impl<F: Future> Remote<F> {
    pub(crate) fn new(future: F, slot: Arc<Slot<F::Output>>) -> Remote<F> {
        Remote {
            future: Some(future),
            slot,
        }
    }

    /// Drops the future in place; a panicking destructor makes the task a
    /// panicked one (as for local tasks): `Err(payload)`.
    fn drop_future(&mut self) -> Result<(), Box<dyn std::any::Any + Send>> {
        catch_unwind(AssertUnwindSafe(|| self.future = None))
    }

    /// Drops the future and publishes "cancelled" (or its destructor's panic).
    fn cancel(&mut self) {
        let dropped = self.drop_future();
        self.slot.complete(|id| match dropped {
            Ok(()) => Err(JoinError::cancelled(id)),
            Err(payload) => Err(JoinError::panic(id, payload)),
        });
    }
}

/// Drops the future if its poll unwinds: inside `catch_unwind`, while
/// `thread::panicking()` is true, as for local tasks (see `task.rs`).
struct ClearOnUnwind<'a, F>(&'a mut Option<F>);

impl<F> Drop for ClearOnUnwind<'_, F> {
    fn drop(&mut self) {
        *self.0 = None;
    }
}

impl<F: Future> Future for Remote<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is never moved out of `self`: it is polled in
        // place below and only ever dropped in place (`= None`), so pinning
        // `Remote` pins it; nothing else is structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if this.future.is_none() {
            return Poll::Ready(());
        }
        if this.slot.task_polled(cx.waker()) {
            this.cancel();
            return Poll::Ready(());
        }
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let guard = ClearOnUnwind(&mut this.future);
            let future = guard.0.as_mut().expect("checked above");
            // SAFETY: see above: the future stays in place until dropped.
            let poll = unsafe { Pin::new_unchecked(future) }.poll(cx);
            std::mem::forget(guard);
            poll
        }));
        let result = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => match this.drop_future() {
                Ok(()) => Ok(value),
                Err(payload) => {
                    drop_unread(value);
                    Err(payload)
                }
            },
            Err(payload) => Err(payload),
        };
        this.slot
            .complete(|id| result.map_err(|p| JoinError::panic(id, p)));
        Poll::Ready(())
    }
}

impl<F: Future> Drop for Remote<F> {
    fn drop(&mut self) {
        // Dropped unfinished: runtime shutdown, a spawn the runtime refused,
        // or the task's own abort path already ran (then `future` is None).
        if self.future.is_some() {
            self.cancel();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models;
