//! [`JoinHandle`]: the spawner's end of a task.
//!
//! **Naive approach:** an `Rc<RefCell<Option<T>>>` shared with the task.
//! **Its problem:** one more allocation per spawn, and a second place that
//! must agree with the task on "finished?".
//! **What this file does:** the handle is the task block's pointer plus one
//! reference (`raw.rs`): `HANDLE` in the state word says it exists, the
//! block's join-waker slot holds its waker, and the output is read straight
//! out of the block's stage. A blocking job's handle (`spawn_blocking`) uses
//! the same type over the [`Joinable`] trait instead.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::TaskRef;
use super::join_error::JoinError;
use super::raw::{Common, Header};
use super::state::{COMPLETE, JOIN_WAKER};

/// The `JoinHandle`'s view of a blocking job (`blocking.rs`).
pub(crate) trait Joinable<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(&self);
    fn is_finished(&self) -> bool;
    /// The handle was dropped: nobody will read the output.
    fn detach(&self);
}

/// An owned permission to await a task's output.
///
/// `.await` gives `Ok(output)`, or a [`JoinError`] if the task panicked or was
/// aborted (or its runtime shut down first).
///
/// # Dropping detaches
/// Dropping the handle does **not** cancel the task: it keeps running and its
/// output is dropped when it finishes. Use [`JoinHandle::abort`] to cancel.
///
/// # Cancellation
/// Dropping a pending `.await` on a handle loses nothing: the output stays in
/// the task until the handle is polled again or dropped.
///
/// # Panics
/// Polling the handle again after it returned `Ready` panics.
#[must_use = "dropping a JoinHandle detaches the task; .await it or call .abort()"]
pub struct JoinHandle<T> {
    /// `NonNull` and `Rc` make the handle `!Send` (its task's output is
    /// read on the runtime thread) and keep it `Unpin` whatever `T` is.
    inner: Inner<T>,
}

enum Inner<T> {
    /// A task block whose output is a `T` (the `PhantomData`); the handle
    /// owns one reference and the `HANDLE` flag.
    Task(NonNull<Header>, PhantomData<fn() -> T>),
    /// A blocking job, with its id.
    Blocking(Rc<dyn Joinable<T>>, u64),
}

impl<T> JoinHandle<T> {
    /// The handle of a freshly allocated task.
    ///
    /// # Safety
    /// `ptr` was allocated with `HANDLE` set and a reference for the handle,
    /// for a future whose output is `T`.
    pub(crate) unsafe fn from_task(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Task(ptr, PhantomData),
        }
    }

    /// The handle of a blocking job.
    pub(crate) fn new(raw: Rc<dyn Joinable<T>>, id: u64) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Blocking(raw, id),
        }
    }

    /// Cancels the task at its next scheduling point: its future is dropped
    /// (running its destructors) by the time the caller has yielded once, and
    /// awaiting the handle gives a [`JoinError::is_cancelled`] error (or
    /// [`JoinError::is_panic`] if dropping the future panicked). Aborting
    /// a finished task does nothing; its output is kept.
    ///
    /// A task can only be stopped at an `.await`: a task stuck in a loop that
    /// never awaits cannot be aborted (see `examples/cancellation.rs`).
    pub fn abort(&self) {
        match &self.inner {
            Inner::Task(ptr, _) => abort_task(*ptr),
            Inner::Blocking(job, _) => job.abort(),
        }
    }

    /// A way to abort the task that does not own the handle (for
    /// `JoinSet::spawn_blocking`, whose watcher task owns it).
    pub(crate) fn abort_fn(&self) -> Box<dyn Fn()>
    where
        T: 'static,
    {
        match &self.inner {
            Inner::Task(ptr, _) => {
                // SAFETY: the handle holds a reference, so the block is live;
                // the clone owns its own.
                let task = std::mem::ManuallyDrop::new(unsafe { TaskRef::from_raw(*ptr) });
                let task = TaskRef::clone(&task);
                Box::new(move || abort_task(task.as_ptr()))
            }
            Inner::Blocking(job, _) => {
                let job = job.clone();
                Box::new(move || job.abort())
            }
        }
    }

    /// Whether the task has finished (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::Task(ptr, _) => header(*ptr).state.load().has(COMPLETE),
            Inner::Blocking(job, _) => job.is_finished(),
        }
    }

    /// The task's id: unique within its runtime, as printed in warnings.
    pub fn id(&self) -> u64 {
        match &self.inner {
            Inner::Task(ptr, _) => header(*ptr).id,
            Inner::Blocking(_, id) => *id,
        }
    }

    fn poll_task(ptr: NonNull<Header>, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        let state = header(ptr).state.load();
        if state.has(COMPLETE) {
            let mut out = Poll::Pending;
            // SAFETY: runtime thread (the handle is `!Send`), our reference,
            // COMPLETE; `out` is a `Poll<Result<T, JoinError>>` and `T` is
            // the block's output type (`from_task`'s contract).
            unsafe { (header(ptr).vtable.read_output)(ptr, (&raw mut out).cast()) };
            return out;
        }
        // SAFETY: our reference keeps the block alive.
        let local = unsafe { &Common::of(ptr).local };
        // SAFETY: runtime thread; the task is not complete, so `finish` is
        // not running (it would be on this same thread) and nobody else
        // holds a borrow of the slot.
        unsafe { &mut *local.join_waker.get() }.register(cx.waker());
        if !state.has(JOIN_WAKER) {
            header(ptr).state.set_join_waker();
        }
        Poll::Pending
    }
}

/// The header of a block the caller holds a reference to.
fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: every caller holds a reference (a handle or a `TaskRef`).
    unsafe { ptr.as_ref() }
}

/// `abort`: set `CANCELLED` and queue the task, whose next poll drops its
/// future instead of polling it.
fn abort_task(ptr: NonNull<Header>) {
    let state = &header(ptr).state;
    if state.cancel() && state.schedule_by_ref() == super::state::Wake::Push {
        // SAFETY: `schedule_by_ref` added the entry's reference.
        crate::rt::waker::schedule(unsafe { TaskRef::from_raw(ptr) });
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The cooperative budget (coop.rs) applies to joins too.
        crate::coop::with_budget(cx, |cx| match &self.inner {
            Inner::Task(ptr, _) => Self::poll_task(*ptr, cx),
            Inner::Blocking(job, _) => job.poll_join(cx),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let ptr = match &self.inner {
            Inner::Task(ptr, _) => *ptr,
            Inner::Blocking(job, _) => return job.detach(),
        };
        // SAFETY: our reference keeps the block alive.
        let local = unsafe { &Common::of(ptr).local };
        // SAFETY: runtime thread, and no `finish` is running on it now.
        drop(unsafe { (*local.join_waker.get()).take() });
        // An output nobody read is dropped now, contained: its destructor
        // must not unwind into the code that dropped the handle. (Checked
        // by the stage's tag, not `COMPLETE`: `finish` stores the output
        // just before the loop sets `COMPLETE`, and a join waker it wakes
        // in between may drop this handle.)
        // SAFETY: runtime thread, our reference.
        unsafe { (header(ptr).vtable.drop_output)(ptr) };
        // Clears HANDLE (so an unfinished task drops its output itself) and
        // releases the handle's reference.
        if header(ptr).state.drop_handle() {
            // SAFETY: that was the last reference.
            unsafe { (header(ptr).vtable.dealloc)(ptr) };
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
