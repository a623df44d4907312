//! Tasks: a spawned future, its output, and the [`JoinHandle`] that awaits it.
//!
//! **Naive approach:** `Box<dyn Future>` in a list, output thrown away.
//! **Its problem:** the spawner wants the result (or to know the task
//! panicked or was cancelled), wants to cancel it, and a panic must not take
//! the whole runtime down.
//!
//! **What this file does:** one `Rc<TaskCell<F>>` allocation holds the future,
//! then its output, and the waker of whoever awaits the [`JoinHandle`]. The
//! runtime's slab sees it as `Rc<dyn Runnable>` (poll it, cancel it); the
//! handle sees the *same* allocation as `Rc<dyn Joinable<T>>` (take the output).
//! Polls run under `catch_unwind`, so a panic becomes a [`JoinError`].
//!
//! Panics follow tokio's rules: a task that panics has its future dropped
//! *during* the unwind (its destructors see `thread::panicking()`); a future
//! that panics while being dropped (also when aborted or cancelled) makes the
//! task a panicked one; and an output whose destructor panics when nobody
//! reads it — its handle dropped — is contained and reported on stderr, never
//! unwound into the loop or into whoever dropped the handle.
//!
//! The cell is an `Rc`, not an `Arc`: futures never leave the runtime thread.
//! Only the small `Header` (see `waker.rs`) is shared with other threads.
//!
//! As the public `ramen::task` module it also gathers tokio's `task::` names:
//! [`spawn`], [`yield_now`], [`JoinHandle`], [`JoinError`], and
//! [`unconstrained`] (the opt-out of the cooperative budget, `coop.rs`).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::loom::Arc;
use crate::waker::Header;

mod join_error;

pub use crate::coop::{Unconstrained, unconstrained};
pub use crate::spawn::{spawn, yield_now};
pub use join_error::JoinError;

/// Who a task is, for people: printed in panics, warnings and traces.
pub(crate) struct TaskMeta {
    pub(crate) id: u64,
    pub(crate) name: Option<Box<str>>,
    pub(crate) location: &'static Location<'static>,
}

impl fmt::Display for TaskMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " '{name}'")?;
        }
        write!(f, " (spawned at {})", self.location)
    }
}

/// The runtime's view of a task.
pub(crate) trait Runnable {
    fn header(&self) -> &Arc<Header>;
    fn meta(&self) -> &TaskMeta;
    /// Polls the future. `Ready` once the task is over (finished, panicked or
    /// aborted): its output is stored and its joiner woken.
    fn run(&self, cx: &mut Context<'_>) -> Poll<()>;
    /// Drops the future now, on this thread (runtime shutdown).
    fn cancel(&self);
}

/// The `JoinHandle`'s view of a task (or of a blocking job).
pub(crate) trait Joinable<T> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn abort(&self);
    fn is_finished(&self) -> bool;
    /// The handle was dropped: nobody will read the output.
    fn detach(&self);
}

/// Where a task is in its life. All transitions happen on the runtime thread:
///
/// ```text
/// Running ──finish──► Finished ──poll_join / detach──► Consumed
///    │                                                    ▲
///    └────────finish, nobody holds the handle─────────────┘
/// ```
/// `finish` (completion, panic, abort or shutdown) first drops the future in
/// place, so the stage is briefly `Consumed` before `Finished` is stored; a
/// poll that panics drops the future during the unwind (see [`DropOnUnwind`]),
/// so `finish` then starts from `Consumed`. Nothing leaves `Consumed`.
enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

pub(crate) struct TaskCell<F: Future> {
    /// `ManuallyDrop` so `Drop` can hand it back to the runtime's pool.
    header: ManuallyDrop<Arc<Header>>,
    meta: TaskMeta,
    stage: RefCell<Stage<F>>,
    /// Who awaits the `JoinHandle` (a `Cell`: taken and put back, never borrowed).
    join_waker: Cell<Option<Waker>>,
    aborted: Cell<bool>,
    has_handle: Cell<bool>,
}

/// Drops a task's future if its poll unwinds: the future is dropped *during*
/// the unwind, inside `catch_unwind`, so its destructors see
/// `std::thread::panicking() == true`, as in tokio. `mem::forget` on the
/// normal path.
struct DropOnUnwind<'a, F: Future>(&'a mut Stage<F>);

impl<F: Future> Drop for DropOnUnwind<'_, F> {
    fn drop(&mut self) {
        // A destructor that panics here panics during a panic: Rust aborts
        // the process, exactly as it would in tokio or in any unwinding code.
        *self.0 = Stage::Consumed;
    }
}

impl<F: Future> TaskCell<F> {
    pub(crate) fn new(header: Arc<Header>, meta: TaskMeta, future: F) -> Rc<Self> {
        Rc::new(TaskCell {
            header: ManuallyDrop::new(header),
            meta,
            stage: RefCell::new(Stage::Running(future)),
            join_waker: Cell::new(None),
            aborted: Cell::new(false),
            has_handle: Cell::new(true),
        })
    }

    /// Drops the future in place (it is pinned: it may not be moved out),
    /// then stores `output`. If dropping the future panics, the task *is* a
    /// panicked task (tokio's rule): the output becomes that panic.
    fn finish(&self, stage: &mut Stage<F>, output: Result<F::Output, JoinError>) {
        debug_assert!(
            matches!(*stage, Stage::Running(_) | Stage::Consumed),
            "finish: a task finishes once"
        );
        let mut output = output;
        // If the drop panics, the assignment still completes during
        // unwinding (drop-and-replace), so `stage` is `Consumed` after this.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed)) {
            let panic = Err(JoinError::panic(self.meta.id, payload));
            let replaced = std::mem::replace(&mut output, panic);
            drop_contained(&self.meta, replaced, "its output's destructor");
        }
        self.header.complete();
        if self.has_handle.get() {
            *stage = Stage::Finished(output);
        } else {
            if let Err(err) = &output {
                if err.is_panic() {
                    report_contained_panic(
                        &self.meta,
                        "and nobody holds its JoinHandle",
                        err.panic_text(),
                    );
                }
            }
            // Nobody will read it: drop it now, and a panicking destructor
            // (of the output or of a panic payload) must not unwind into the loop.
            drop_contained(&self.meta, output, "its output's destructor");
        }
        if let Some(waker) = self.join_waker.take() {
            waker.wake();
        }
    }
}

/// Drops `value` (a task's output or a panic payload), catching a panicking
/// destructor so that it never unwinds into the loop or into whoever let go
/// of the value; such a panic is reported on stderr like other contained ones.
fn drop_contained<V>(meta: &TaskMeta, value: V, what: &str) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        let message = panic_message(&*payload).to_owned();
        report_contained_panic(meta, &format!("in {what}"), &message);
        // The payload's own destructor may panic too: then it is leaked.
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

impl<F: Future> Drop for TaskCell<F> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once and `self.header` is not used after this.
        let header = unsafe { ManuallyDrop::take(&mut self.header) };
        // Give the header back for the next spawn (saves an allocation and
        // two atomic reference-count updates); without a runtime, just drop it.
        let _ = crate::context::with_current(move |core| core.recycle_header(header));
    }
}

impl<F: Future> Runnable for TaskCell<F> {
    fn header(&self) -> &Arc<Header> {
        &self.header
    }

    fn meta(&self) -> &TaskMeta {
        &self.meta
    }

    fn run(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut stage = self.stage.borrow_mut();
        if !matches!(*stage, Stage::Running(_)) {
            return Poll::Ready(());
        }
        if self.aborted.get() {
            self.finish(&mut stage, Err(JoinError::cancelled(self.meta.id)));
            return Poll::Ready(());
        }
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let guard = DropOnUnwind(&mut *stage);
            let Stage::Running(future) = &mut *guard.0 else {
                unreachable!("checked just above")
            };
            // SAFETY: the future lives inside this `TaskCell`, which is inside
            // an `Rc` allocation and is never moved out of it; the future is
            // only dropped in place (`finish`, `DropOnUnwind`), so it stays at
            // this address from the first poll until it is dropped, which is
            // what `Pin` requires.
            let future = unsafe { Pin::new_unchecked(future) };
            let poll = future.poll(cx);
            std::mem::forget(guard);
            poll
        }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => {
                self.finish(&mut stage, Ok(value));
                Poll::Ready(())
            }
            Err(payload) => {
                debug_assert!(matches!(*stage, Stage::Consumed), "dropped while unwinding");
                self.finish(&mut stage, Err(JoinError::panic(self.meta.id, payload)));
                Poll::Ready(())
            }
        }
    }

    fn cancel(&self) {
        // `try_borrow_mut` fails only if this task is being polled right now,
        // which cannot be the case at shutdown (the loop is not running).
        if let Ok(mut stage) = self.stage.try_borrow_mut() {
            if matches!(*stage, Stage::Running(_)) {
                self.finish(&mut stage, Err(JoinError::cancelled(self.meta.id)));
            }
        }
    }
}

impl<F: Future> Joinable<F::Output> for TaskCell<F> {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        // Borrowed means "being polled right now": a task awaiting its own
        // handle. That is a logical deadlock, not a reason to panic.
        if let Ok(mut stage) = self.stage.try_borrow_mut() {
            // Look before moving: a `Running` future is pinned and must never
            // be moved out, not even to be put straight back (it may have
            // handed its address to another thread).
            match &*stage {
                Stage::Running(_) => {}
                Stage::Consumed => panic!("ramen: JoinHandle polled after it returned Ready"),
                Stage::Finished(_) => {
                    if let Stage::Finished(output) = std::mem::replace(&mut *stage, Stage::Consumed)
                    {
                        return Poll::Ready(output);
                    }
                }
            }
        }
        let waker = match self.join_waker.take() {
            Some(w) if w.will_wake(cx.waker()) => w,
            _ => cx.waker().clone(),
        };
        self.join_waker.set(Some(waker));
        Poll::Pending
    }

    fn abort(&self) {
        if !self.is_finished() {
            self.aborted.set(true);
            self.header.schedule();
        }
    }

    fn is_finished(&self) -> bool {
        match self.stage.try_borrow() {
            Ok(stage) => !matches!(*stage, Stage::Running(_)),
            Err(_) => false,
        }
    }

    fn detach(&self) {
        debug_assert!(self.has_handle.get(), "a task has one JoinHandle");
        self.has_handle.set(false);
        drop(self.join_waker.take());
        // An output nobody read is dropped now, contained: its destructor
        // must not unwind into the task that dropped the handle.
        let unread = match self.stage.try_borrow_mut() {
            Ok(mut stage) if matches!(*stage, Stage::Finished(_)) => {
                std::mem::replace(&mut *stage, Stage::Consumed)
            }
            _ => return,
        };
        drop_contained(
            &self.meta,
            unread,
            "its output's destructor (dropped with its JoinHandle)",
        );
    }
}

/// One line on stderr for a panic that was caught and will not reach a
/// `JoinHandle`: `how` says where it happened and why nobody sees it.
pub(crate) fn report_contained_panic(meta: &TaskMeta, how: &str, message: &str) {
    eprintln!("ramen: {meta} panicked {how}: {message}");
}

/// The text of a panic payload, if it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
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
    raw: Rc<dyn Joinable<T>>,
    id: u64,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: Rc<dyn Joinable<T>>, id: u64) -> JoinHandle<T> {
        JoinHandle { raw, id }
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
        self.raw.abort();
    }

    /// A way to abort the task that does not own the handle (for
    /// `JoinSet::spawn_blocking`, whose watcher task owns it).
    pub(crate) fn abort_fn(&self) -> Box<dyn Fn()>
    where
        T: 'static,
    {
        let raw = self.raw.clone();
        Box::new(move || raw.abort())
    }

    /// Whether the task has finished (with output, panic or cancellation).
    pub fn is_finished(&self) -> bool {
        self.raw.is_finished()
    }

    /// The task's id: unique within its runtime, as printed in warnings.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::with_budget(cx, |cx| self.raw.poll_join(cx)) // cooperative budget (coop.rs)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.detach();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// A task's cell must stay within glibc's fastbin sizes (≤ 120 bytes
    /// requested, with the `Rc` counts): a bigger cell takes malloc's slow
    /// path and costs every spawn (see benches/compare.rs spawn+join).
    #[test]
    fn task_cell_stays_small() {
        fn cell_size<F: std::future::Future>(_: &F) -> usize {
            std::mem::size_of::<super::TaskCell<F>>()
        }
        let fut = async { 5u64 };
        assert!(
            cell_size(&fut) + 16 <= 120,
            "TaskCell is {} bytes",
            cell_size(&fut)
        );
        assert_eq!(std::mem::size_of::<super::JoinError>(), 16);
    }
}
