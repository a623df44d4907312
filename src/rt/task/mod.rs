//! A task: one block of memory (`raw.rs`), one state word (`state.rs`), and
//! the counted pointer every owner holds ([`TaskRef`]).
//!
//! **Naive approach:** `Rc<Task>` everywhere. **Its problem:** a `Waker` must
//! be `Send + Sync` (any thread may wake a task), an `Rc` is neither, and an
//! `Arc` around a `!Send` future would let the last waker drop the future on
//! another thread.
//!
//! **What this file does:** [`TaskRef`] is a pointer to the block's
//! thread-safe [`Header`] that owns one reference in the state word. Cloning
//! adds one, dropping releases one and frees the block at zero. The loop, the
//! run queue, the inbox and the task list hold `TaskRef`s; a `Waker` is a
//! `TaskRef` behind a `RawWakerVTable` (`rt/waker.rs`); a `JoinHandle` holds
//! the same pointer and reference (`join_handle.rs`). Only the runtime thread
//! ever polls or reads the output; other threads only change the state word
//! and push the pointer into the inbox.
//!
//! # Lifecycle, and the function that makes each step
//! 1. `Core::spawn` → [`raw::allocate`]: state `SCHEDULED | HANDLE`, three
//!    references (task list, handle, run-queue entry).
//! 2. `Core::run_task` pops the entry → [`TaskRef::poll`] →
//!    `State::begin_poll` (`SCHEDULED → RUNNING`) → `raw::poll`.
//! 3. `Pending` → [`TaskRef::end_poll`] → `State::end_poll` (clears
//!    `RUNNING`, releases the entry's reference). A wake → `State::schedule_*`
//!    sets `SCHEDULED`, adds the new entry's reference, pushes the pointer.
//! 4. `Ready`, a panic, or `abort` → `raw::finish`: the future is dropped,
//!    the output stored, the join waker woken. The loop then removes the
//!    task from its list (`TaskList::remove`) and calls
//!    [`TaskRef::complete`] → `State::complete`: `COMPLETE` set and the
//!    list's and entry's references released in one atomic operation.
//!    (Shutdown: `TaskRef::cancel` → `raw::cancel` → `raw::finish` →
//!    `State::complete(0)`.)
//! 5. The handle reads the output (`output::read_output`) or is
//!    dropped (`output::drop_output`, `State::drop_handle`); the last reference
//!    frees the block (`raw::dealloc`). The first owning waker, if any, took
//!    a reference on the runtime's inbox (`State::escape`), which `dealloc`
//!    gives back.

use std::ptr::NonNull;
use std::task::{Context, Poll};

mod contain;
mod join_error;
mod join_handle;
mod output;
pub(crate) mod raw;
pub(crate) mod state;

pub(crate) use contain::panic_message;
pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub(crate) use join_handle::Joinable;
use raw::Common;
pub(crate) use raw::Header;
use state::{COMPLETE, HANDLE};

/// A counted pointer to a task block: one reference in the state word.
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: a `TaskRef` crosses threads only inside wakers and the inbox,
// which touch nothing but the `Header`: an atomic state word and fields
// written once before the block was shared. Everything that reaches the
// future, the output or the `Local` part (`poll`, `cancel`, the slot, the
// join waker) is `pub(crate)` and called only by the runtime thread. The
// last reference may be released on any thread; `raw::dealloc` then frees
// memory and `Send` fields only (see "Who may touch what" in `raw.rs`).
unsafe impl Send for TaskRef {}
// SAFETY: `&TaskRef` gives the same access as above (all through `&Header`,
// whose mutable part is atomic).
unsafe impl Sync for TaskRef {}

impl TaskRef {
    /// Adopts one reference the caller owns (from `allocate`, a waker, or
    /// a successful `State::schedule_*`).
    ///
    /// # Safety
    /// `ptr` is a live block and the caller gives up one counted reference.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> TaskRef {
        TaskRef(ptr)
    }

    /// Gives up ownership without releasing (a waker keeps the reference).
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.0;
        std::mem::forget(self);
        ptr
    }

    #[inline]
    pub(crate) fn as_ptr(&self) -> NonNull<Header> {
        self.0
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: our reference keeps the block alive for `&self`.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    fn common(&self) -> &Common {
        // SAFETY: our reference keeps the block alive.
        unsafe { Common::of(self.0) }
    }

    /// The task's id.
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.header().id
    }

    /// Same block?
    #[inline]
    pub(crate) fn ptr_eq(&self, other: &TaskRef) -> bool {
        self.0 == other.0
    }

    /// Whether the task has completed (a queue entry for it is stale).
    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.header().state.load().has(COMPLETE)
    }

    /// Polls the task once (runtime thread; `self` is the popped queue
    /// entry). `Ready`: the future is gone and its outcome stored; the
    /// caller removes the task from the task list and calls
    /// [`TaskRef::complete`]. `Pending`: the caller calls [`TaskRef::end_poll`].
    #[inline]
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let header = self.header();
        header.state.begin_poll();
        // SAFETY: runtime thread, our reference, RUNNING just set: the
        // vtable was made for this block's type by `allocate`.
        unsafe { (header.vtable.poll)(self.0, cx) }
    }

    /// After a `Pending` poll: clears `RUNNING` and gives back this entry's
    /// reference in one atomic operation.
    #[inline]
    pub(crate) fn end_poll(self) {
        self.header().state.end_poll();
        std::mem::forget(self);
    }

    /// After a `Ready` poll: marks the task `COMPLETE` and gives back the
    /// popped entry's reference and, if the caller took it out of the task
    /// list, the list's, in one atomic operation (`State::complete`).
    #[inline]
    pub(crate) fn complete(self, listed: Option<TaskRef>) {
        let released = 1 + usize::from(listed.is_some());
        if let Some(listed) = listed {
            debug_assert!(listed.ptr_eq(&self), "complete: one block");
            listed.into_raw();
        }
        let ptr = self.into_raw();
        // SAFETY: the references given up just above keep the block alive
        // until this operation; if they were the last, free it.
        unsafe {
            if ptr.as_ref().state.complete(released) {
                (ptr.as_ref().vtable.dealloc)(ptr);
            }
        }
    }

    /// Drops the future now (runtime shutdown). Does nothing to a complete task.
    pub(crate) fn cancel(&self) {
        // SAFETY: runtime thread, our reference, and shutdown runs only
        // while the loop is not polling anything.
        unsafe { (self.header().vtable.cancel)(self.0) }
    }

    /// The index in the task list (runtime thread).
    #[inline]
    pub(crate) fn slot(&self) -> usize {
        self.common().local.slot.get() as usize
    }

    #[inline]
    pub(crate) fn set_slot(&self, slot: usize) {
        let slot = u32::try_from(slot).expect("ramen: more than 4 billion live tasks");
        self.common().local.slot.set(slot);
    }

    /// The task's name, if it was spawned with one.
    pub(crate) fn name(&self) -> Option<&str> {
        // SAFETY: our reference keeps the block (and its name) alive for
        // the borrow of `self`.
        unsafe { (self.header().vtable.name)(self.0) }
    }

    /// "task 7 'fetcher' (spawned at src/main.rs:10:5)".
    pub(crate) fn label(&self) -> String {
        self.common().meta(self.name()).to_string()
    }

    /// References other than the task list's (this one) and the handle's:
    /// wakers held somewhere (the stall explanation counts them).
    pub(crate) fn outside_refs(&self) -> usize {
        let state = self.header().state.load();
        state
            .refs()
            .saturating_sub(1 + usize::from(state.has(HANDLE)))
    }
}

impl Clone for TaskRef {
    #[inline]
    fn clone(&self) -> TaskRef {
        self.header().state.acquire();
        TaskRef(self.0)
    }
}

impl Drop for TaskRef {
    #[inline]
    fn drop(&mut self) {
        if self.header().state.release() {
            // SAFETY: that was the last reference: nobody else can reach
            // the block; the vtable matches the block's type.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }
}

impl std::fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TaskRef(task {}, {:?})",
            self.id(),
            self.header().state.load()
        )
    }
}

/// A task block for loom models of the queues around it: never polled, its
/// future (`pending`) dropped on this thread when the model lets go.
#[cfg(all(test, loom))]
pub(crate) struct TestTask(pub(crate) TaskRef);

#[cfg(all(test, loom))]
impl TestTask {
    /// An idle task (the returned reference plays the task list's).
    pub(crate) fn idle(inbox: &crate::loom::Arc<crate::rt::inbox::Inbox>, id: u64) -> TestTask {
        TestTask::new(inbox, id, 0, 1).0
    }

    /// A queued task: the task list's reference and the entry's.
    pub(crate) fn queued(
        inbox: &crate::loom::Arc<crate::rt::inbox::Inbox>,
        id: u64,
    ) -> (TestTask, TaskRef) {
        let (task, entry) = TestTask::new(inbox, id, state::SCHEDULED, 2);
        (task, entry.expect("two references"))
    }

    fn new(
        inbox: &crate::loom::Arc<crate::rt::inbox::Inbox>,
        id: u64,
        flags: usize,
        refs: usize,
    ) -> (TestTask, Option<TaskRef>) {
        let how = raw::Spawned {
            id,
            location: std::panic::Location::caller(),
            scheduler: inbox,
            flags,
            refs,
        };
        let ptr = raw::allocate(std::future::pending::<()>(), (), how);
        // SAFETY: `allocate` made `refs` references.
        let task = TestTask(unsafe { TaskRef::from_raw(ptr) });
        // SAFETY: as above.
        let entry = (refs == 2).then(|| unsafe { TaskRef::from_raw(ptr) });
        (task, entry)
    }
}

#[cfg(all(test, loom))]
impl Drop for TestTask {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
