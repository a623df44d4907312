//! Ways to start a task: [`spawn`], [`TaskBuilder`] (named tasks) and the
//! [`Spawner`] handle for code written against `futures::task::LocalSpawn`.
//! ([`yield_now`], the polite way for a task to give the thread away, lives
//! in `rt/yield_now.rs`, beside the loop that releases it.)

use std::future::Future;
use std::panic::Location;
use std::rc::Weak;

use futures_task::{FutureObj, LocalFutureObj, LocalSpawn, Spawn, SpawnError};

use crate::rt::context;
use crate::rt::event_loop::Core;
use crate::rt::task::JoinHandle;
pub use crate::rt::yield_now::{YieldNow, yield_now};

const OUTSIDE: &str = "ramen::spawn called outside a ramen runtime: there is no event loop on \
                       this thread to run the task; call it inside ramen::block_on(async { ... }) \
                       (or Runtime::block_on / Runtime::spawn)";

/// Spawns `future` as a new task on the current thread's runtime.
///
/// No `Send` bound: the task never leaves this thread, so `Rc` and `RefCell`
/// are fine. The task does not run inside `spawn`; it is queued and first
/// polled at the next scheduling point (when the caller awaits something
/// that is not ready, or yields).
///
/// # Panics
/// Outside a ramen runtime, with a message that names the fix.
///
/// ```
/// use std::rc::Rc;
/// ramen::block_on(async {
///     let shared = Rc::new(5);
///     let s = shared.clone();
///     let h = ramen::spawn(async move { *s * 2 });
///     assert_eq!(h.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    TaskBuilder::new().spawn(future)
}

/// Spawns with options, for now a name shown in warnings, panics and traces.
///
/// ```
/// ramen::block_on(async {
///     let h = ramen::TaskBuilder::new().name("fetcher").spawn(async { 3 });
///     assert_eq!(h.await.unwrap(), 3);
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct TaskBuilder {
    name: Option<Box<str>>,
}

impl TaskBuilder {
    /// No options set.
    pub fn new() -> TaskBuilder {
        TaskBuilder::default()
    }

    /// Names the task.
    pub fn name(mut self, name: impl Into<String>) -> TaskBuilder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Spawns like [`spawn`], with these options.
    ///
    /// # Panics
    /// Outside a ramen runtime.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let location = Location::caller();
        let spawned = context::with_current(|core| match self.name {
            Some(name) => core.spawn(future, name, location),
            None => core.spawn(future, (), location),
        });
        spawned.unwrap_or_else(|| panic!("{OUTSIDE}"))
    }
}

/// A cloneable handle that spawns onto one runtime; implements
/// `futures_task::LocalSpawn` (and `Spawn`), so `futures::task::LocalSpawnExt`
/// works with ramen. Once the runtime is dropped, spawning returns
/// `SpawnError::shutdown()`.
///
/// Get one with [`Runtime::spawner`](crate::Runtime::spawner) or [`spawner`].
#[derive(Clone, Debug)]
pub struct Spawner {
    core: Weak<Core>,
}

impl Spawner {
    pub(crate) fn new(core: Weak<Core>) -> Spawner {
        Spawner { core }
    }

    #[track_caller]
    fn spawn_obj_inner<F: Future<Output = ()> + 'static>(
        &self,
        future: F,
    ) -> Result<(), SpawnError> {
        let core = self.core.upgrade().ok_or_else(SpawnError::shutdown)?;
        drop(core.spawn(future, (), Location::caller()));
        Ok(())
    }
}

/// A [`Spawner`] for the runtime running on this thread.
///
/// # Panics
/// Outside a ramen runtime.
pub fn spawner() -> Spawner {
    context::with_current(|core| Spawner::new(core.weak_self()))
        .unwrap_or_else(|| panic!("{OUTSIDE}"))
}

impl LocalSpawn for Spawner {
    #[track_caller]
    fn spawn_local_obj(&self, future: LocalFutureObj<'static, ()>) -> Result<(), SpawnError> {
        self.spawn_obj_inner(future)
    }

    fn status_local(&self) -> Result<(), SpawnError> {
        match self.core.upgrade() {
            Some(_) => Ok(()),
            None => Err(SpawnError::shutdown()),
        }
    }
}

impl Spawn for Spawner {
    #[track_caller]
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        self.spawn_obj_inner(future)
    }

    fn status(&self) -> Result<(), SpawnError> {
        self.status_local()
    }
}
