//! [`Handle`]: spawn onto a runtime from any thread.
//!
//! **Naive approach:** make `Runtime` `Send` and share it. **Its problem:** a
//! runtime's tasks hold `Rc`s and its loop owns `!Send` state; only its own
//! thread may touch them. A second thread that wants work done on that
//! runtime (a thread-per-core server handing a connection to a worker, a
//! blocking thread reporting back) has no way in.
//!
//! **What this file does:** a `Handle` is an `Arc` of the runtime's
//! [`Inbox`] — the same queue that carries remote wakes. `Handle::spawn`
//! boxes the (`Send`) future with a result slot (`handle/remote.rs`) and
//! pushes a *spawn request* into the inbox, which wakes the loop if it
//! sleeps; the loop runs the request on its own thread, where it becomes an
//! ordinary task. The caller gets a [`RemoteJoinHandle`], `Send`, awaitable
//! anywhere. If the runtime has shut down, the inbox refuses the request and
//! dropping it resolves the handle as cancelled at once; requests still
//! queued when the runtime shuts down are dropped the same way (the loom
//! model `spawn_from_remote_vs_shutdown` checks that none is lost).
//!
//! Inside [`spawn_blocking`](crate::spawn_blocking), `Handle::current()` is
//! the handle of the runtime that spawned the job (as in tokio): blocking
//! code can still hand async work (a `sleep`, a socket, a timeout) back to
//! its runtime with `Handle::current().spawn_with(|| async { .. })`. The objects
//! themselves live on the runtime's thread, inside that future: a reactor
//! belongs to one thread.
//!
//! There is no `Handle::block_on`: a runtime is driven only by the thread
//! that owns it, so another thread could not run its loop, only wait for a
//! result; `ramen::block_on(handle.spawn(fut))` does exactly that, plainly.

use std::fmt;
use std::future::Future;
use std::panic::Location;

use crate::context;
use crate::inbox::Inbox;
use crate::loom::Arc;

mod remote;

std::thread_local! {
    /// The runtime a `spawn_blocking` job on this (pool) thread came from.
    static BLOCKING_HANDLE: std::cell::RefCell<Option<Handle>> =
        const { std::cell::RefCell::new(None) };
}

pub use remote::RemoteJoinHandle;

const OUTSIDE: &str = "ramen::Handle::current called outside a ramen runtime: there is no \
                       runtime on this thread; call it inside ramen::block_on(async { ... }), \
                       or take one with Runtime::handle() and move it to this thread";

/// A `Send + Sync + Clone` reference to a runtime, for spawning onto it from
/// any thread (tokio's `runtime::Handle`, minus `block_on`: see below).
///
/// Get one with [`Runtime::handle`](crate::Runtime::handle) or
/// [`Handle::current`]. It does not keep the runtime alive: once the runtime
/// is dropped, [`Handle::spawn`] returns handles that are already cancelled.
///
/// # Why no `block_on`
/// A ramen runtime is driven only by the thread that owns it (its tasks hold
/// `Rc`s), so a `Handle` cannot run the loop from elsewhere. To wait for a
/// result on a plain thread, `ramen::block_on(handle.spawn(fut))`.
///
/// ```
/// let rt = ramen::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let remote = std::thread::spawn(move || handle.spawn(async { 6 * 7 }))
///     .join()
///     .unwrap();
/// assert_eq!(rt.block_on(remote).unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    inbox: Arc<Inbox>,
}

impl Handle {
    pub(crate) fn new(inbox: Arc<Inbox>) -> Handle {
        Handle { inbox }
    }

    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    /// Outside a ramen runtime, with a message naming the fix; see
    /// [`Handle::try_current`].
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|_| panic!("{OUTSIDE}"))
    }

    /// The handle of the runtime running on this thread, or an error outside
    /// one.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|core| Handle::new(core.inbox().clone()))
            .or_else(|| BLOCKING_HANDLE.with(|h| h.borrow().clone()))
            .ok_or(TryCurrentError(()))
    }

    /// Runs `f` (a `spawn_blocking` job, on a pool thread) with `self` as the
    /// thread's current handle, restoring the previous one afterwards (also
    /// if `f` panics).
    pub(crate) fn enter_blocking<T>(self, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Handle>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                BLOCKING_HANDLE.with(|h| *h.borrow_mut() = previous);
            }
        }
        let previous = BLOCKING_HANDLE.with(|h| h.borrow_mut().replace(self));
        let _restore = Restore(previous);
        f()
    }

    /// Spawns `future` onto this handle's runtime, from any thread.
    ///
    /// The future is sent to the runtime's thread and becomes an ordinary
    /// task there (it runs during that runtime's `block_on`). The returned
    /// [`RemoteJoinHandle`] is `Send` and can be awaited on any runtime.
    /// If the runtime has shut down, the handle resolves to a cancelled
    /// [`JoinError`](crate::JoinError) at once and `future` is dropped here.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_onto(&self.inbox, future, Location::caller())
    }

    /// Spawns the future `make` builds, building it on the runtime's own
    /// thread: the closure must be `Send`, the future need not be. This is
    /// how code on another thread (a `spawn_blocking` job, say) starts work
    /// that uses ramen's `!Send` objects, a `sleep` or a socket, on that
    /// runtime. Otherwise as [`Handle::spawn`]; if the runtime has shut
    /// down, `make` is dropped unrun and the handle is cancelled at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ramen::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let remote = std::thread::spawn(move || {
    ///     handle.spawn_with(|| async {
    ///         ramen::time::sleep(Duration::from_millis(5)).await; // !Send inside
    ///         42
    ///     })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(remote).unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn spawn_with<M, F>(&self, make: M) -> RemoteJoinHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let slot = remote::Slot::new();
        let unrun = remote::CancelIfUnrun::new(slot.clone());
        let request = Box::new(move || {
            // On the runtime thread, inside its loop.
            let slot = unrun.take();
            let task = remote::Remote::new(make(), slot.clone());
            let spawned = context::with_current(|core| core.spawn(task, (), location));
            if let Some(local) = spawned {
                slot.set_id(local.id());
            }
        });
        if let Err(refused) = self.inbox.push_spawn(request) {
            drop(refused); // the runtime is gone: `unrun` cancels the handle
        }
        RemoteJoinHandle::new(slot)
    }

    /// The id of the runtime this handle spawns onto.
    pub fn runtime_id(&self) -> usize {
        self.inbox.runtime_id()
    }
}

/// Sends `future` to the runtime behind `inbox` (the code under the loom
/// models, which have no `Core`).
fn spawn_onto<F>(
    inbox: &Inbox,
    future: F,
    location: &'static Location<'static>,
) -> RemoteJoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let slot = remote::Slot::new();
    let task = remote::Remote::new(future, slot.clone());
    let id_slot = slot.clone();
    let request = Box::new(move || {
        // On the runtime thread, inside its loop. Without a runtime (never
        // in practice; in loom models always) the request is dropped with
        // `task`, which cancels the handle.
        let spawned = context::with_current(|core| core.spawn(task, (), location));
        if let Some(local) = spawned {
            id_slot.set_id(local.id());
        }
    });
    if let Err(refused) = inbox.push_spawn(request) {
        drop(refused); // the runtime is gone: cancels the handle now
    }
    RemoteJoinHandle::new(slot)
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("runtime", &self.runtime_id())
            .finish()
    }
}

/// [`Handle::try_current`] was called outside a ramen runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no ramen runtime is running on this thread")
    }
}

impl std::error::Error for TryCurrentError {}
