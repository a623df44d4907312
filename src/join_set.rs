//! [`JoinSet`]: a group of spawned tasks, joined in the order they finish.
//!
//! **Naive approach:** a `Vec<JoinHandle<T>>`, and to find "the next one that
//! finished", poll every handle. **Its problems:** each wake re-polls all n
//! handles (O(n²) to drain the set), and dropping the `Vec` detaches the tasks,
//! so they leak past the code that started them.
//!
//! **What this file does:** each task is spawned wrapped in an `async` block
//! that owns a small guard; when the task's future is dropped — it finished,
//! panicked or was aborted — the guard pushes the task's slab key onto a shared
//! `ready` list and wakes whoever waits in [`JoinSet::join_next`]. So
//! `join_next` only polls handles that are known to be done: O(1) per task.
//! Dropping the set aborts every task in it (structured concurrency).
//!
//! A blocking job ([`JoinSet::spawn_blocking`]) runs on another thread, where
//! the `Rc` guard cannot go: a small local *watcher* task awaits the job's
//! handle and holds the guard instead, and the set keeps a way to abort the
//! job itself (a queued job is removed; a running one cannot be stopped).
//!
//! Everything here stays on the runtime's thread, like the tasks themselves,
//! so plain `Rc`/`RefCell` suffice.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use slab::Slab;

use crate::task::{JoinError, JoinHandle};

/// A set of tasks spawned on the current runtime, awaited in completion order.
///
/// Like tokio's `JoinSet`. Dropping the set aborts every task still in it.
///
/// ```
/// use std::time::Duration;
/// ramen::block_on(async {
///     let mut set = ramen::JoinSet::new();
///     for ms in [30u64, 10, 20] {
///         set.spawn(async move { ramen::time::sleep(Duration::from_millis(ms)).await; ms });
///     }
///     let mut order = Vec::new();
///     while let Some(res) = set.join_next().await {
///         order.push(res.unwrap());
///     }
///     assert_eq!(order, [10, 20, 30]);
/// });
/// ```
pub struct JoinSet<T> {
    /// Each entry with the set-unique id its guard reports.
    handles: Slab<(u64, Entry<T>)>,
    shared: Rc<Shared>,
    next_id: u64,
}

#[derive(Default)]
struct Shared {
    /// (slab key, id) of tasks whose future is gone (finished, panicked or
    /// aborted). The id tells a reused key from the task that reported.
    ready: RefCell<VecDeque<(usize, u64)>>,
    /// The task waiting in `join_next`, if any.
    waker: RefCell<Option<Waker>>,
}

/// One member of the set.
enum Entry<T> {
    Task(JoinHandle<T>),
    /// A blocking job: `watcher` is the local task that awaits it (and holds
    /// the guard); `abort` aborts the job itself.
    Blocking {
        watcher: JoinHandle<Result<T, JoinError>>,
        abort: Box<dyn Fn()>,
    },
}

impl<T> Entry<T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        match self {
            Entry::Task(handle) => Pin::new(handle).poll(cx),
            // The job's own error (panic, cancelled) is inside; the outer
            // one says the watcher itself was cancelled (runtime shutdown).
            Entry::Blocking { watcher, .. } => {
                Pin::new(watcher).poll(cx).map(|r| r.and_then(|r| r))
            }
        }
    }

    fn abort(&self) {
        match self {
            Entry::Task(handle) => handle.abort(),
            Entry::Blocking { abort, .. } => abort(),
        }
    }
}

/// Reports "this task is over" when dropped along with the task's future.
struct DoneGuard {
    key: usize,
    id: u64,
    shared: Rc<Shared>,
}

impl Drop for DoneGuard {
    fn drop(&mut self) {
        self.shared
            .ready
            .borrow_mut()
            .push_back((self.key, self.id));
        let waker = self.shared.waker.borrow_mut().take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            handles: Slab::new(),
            shared: Rc::new(Shared::default()),
            next_id: 0,
        }
    }

    /// Spawns `future` with [`crate::spawn`] and adds it to the set.
    ///
    /// The task starts at the next scheduling point, like any spawned task.
    ///
    /// # Panics
    /// Outside a ramen runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> &JoinHandle<T>
    where
        F: Future<Output = T> + 'static,
    {
        let guard = self.guard();
        let id = guard.id;
        // The guard is a local of the task's future, so it is dropped whenever
        // that future is: on completion, panic, abort, or runtime shutdown.
        let handle = crate::spawn(async move {
            let _guard = guard;
            future.await
        });
        match &self.insert(id, Entry::Task(handle)).1 {
            Entry::Task(handle) => handle,
            Entry::Blocking { .. } => unreachable!("just inserted a task"),
        }
    }

    /// Runs `f` with [`crate::spawn_blocking`] and adds it to the set.
    ///
    /// [`JoinSet::abort_all`] (and dropping the set) cancels the job only if
    /// it has not started: a running blocking job cannot be stopped, and
    /// `join_next` then still returns its result.
    ///
    /// # Panics
    /// Outside a ramen runtime.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        let guard = self.guard();
        let id = guard.id;
        let job = crate::spawn_blocking(f);
        let abort = job.abort_fn();
        let watcher = crate::spawn(async move {
            let _guard = guard;
            job.await
        });
        self.insert(id, Entry::Blocking { watcher, abort });
    }

    /// A guard for the entry about to be inserted.
    fn guard(&mut self) -> DoneGuard {
        let id = self.next_id;
        self.next_id += 1;
        DoneGuard {
            key: self.handles.vacant_key(),
            id,
            shared: self.shared.clone(),
        }
    }

    fn insert(&mut self, id: u64, entry: Entry<T>) -> &(u64, Entry<T>) {
        let key = self.handles.insert((id, entry));
        &self.handles[key]
    }

    /// Waits for every task in the set and returns their outputs **in the
    /// order they finished** (not the order they were spawned), like tokio's
    /// `JoinSet::join_all`.
    ///
    /// # Panics
    /// If a task panicked, its panic is resumed here (`resume_unwind` with the
    /// task's payload); if a task was cancelled, this panics with the
    /// [`JoinError`]'s message. Either way the set is dropped first-come, so
    /// every task still in it is aborted. To handle errors otherwise, call
    /// [`JoinSet::join_next`] in a loop.
    ///
    /// # Cancellation
    /// Dropping the future drops the set: every task still in it is aborted,
    /// and outputs already collected are dropped.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut output = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(value) => output.push(value),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("ramen::JoinSet::join_all: {err}"),
            }
        }
        output
    }

    /// Returns the result of a task that has already finished, without
    /// waiting; `None` if no task has finished yet (or the set is empty).
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        loop {
            let (key, id) = self.shared.ready.borrow_mut().pop_front()?;
            let entry = match self.handles.get_mut(key) {
                Some((eid, entry)) if *eid == id => entry,
                _ => continue, // a detached task, whose key may be reused
            };
            match entry.poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(res) => {
                    drop(self.handles.remove(key));
                    return Some(res);
                }
                // Its future is being dropped right now (we are inside one of
                // its destructors): not finished yet.
                Poll::Pending => {
                    self.shared.ready.borrow_mut().push_front((key, id));
                    return None;
                }
            }
        }
    }

    /// Waits for the next task to finish and returns its result; `None` when
    /// the set is empty. Aborted tasks come back as
    /// [`JoinError::is_cancelled`] errors.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing: a finished task stays in the set
    /// until a `join_next` returns it.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task: the building block of `join_next`
    /// (and of a `Stream` implementation). `Ready(None)` when the set is
    /// empty; `Pending` registers `cx`'s waker, woken when a task finishes.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        loop {
            if self.handles.is_empty() {
                return Poll::Ready(None);
            }
            let Some((key, id)) = self.shared.ready.borrow_mut().pop_front() else {
                *self.shared.waker.borrow_mut() = Some(cx.waker().clone());
                return Poll::Pending;
            };
            let entry = match self.handles.get_mut(key) {
                Some((eid, entry)) if *eid == id => entry,
                _ => continue, // a detached task, whose key may be reused
            };
            match entry.poll(cx) {
                Poll::Ready(res) => {
                    drop(self.handles.remove(key));
                    return Poll::Ready(Some(res));
                }
                // The future is gone but the output is not stored yet (we
                // were polled between the two): the handle has registered
                // our waker and wakes us when it is.
                Poll::Pending => {
                    self.shared.ready.borrow_mut().push_front((key, id));
                    return Poll::Pending;
                }
            }
        }
    }

    /// Aborts every task in the set; they stay in it, and `join_next`
    /// returns them as cancelled.
    pub fn abort_all(&mut self) {
        for (_, (_, entry)) in &self.handles {
            entry.abort();
        }
    }

    /// Removes every task from the set *without* aborting it (they run on,
    /// detached).
    pub fn detach_all(&mut self) {
        self.handles.clear();
    }

    /// Aborts every task and waits until all of them are gone.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> JoinSet<T> {
    /// How many tasks are in the set (running, or finished and not yet joined).
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for (_, (_, entry)) in &self.handles {
            entry.abort();
        }
    }
}

/// Collects futures into a set, spawning each (tokio's `FromIterator`).
///
/// # Panics
/// Outside a ramen runtime.
impl<T: 'static, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
{
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns each future into the set.
///
/// # Panics
/// Outside a ramen runtime.
impl<T: 'static, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
{
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            let _ = self.spawn(future);
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
