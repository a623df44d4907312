//! The Inbox: how a wake from another thread reaches the runtime thread.
//!
//! **Naive approach:** let any thread push into the run queue. **Its problem:**
//! the run queue is a plain `VecDeque` owned by the runtime thread (that is why
//! local wakes are cheap); sharing it would put a lock on every local wake.
//! And if the runtime thread is asleep in `epoll_wait`, a pushed task would sit
//! there until some unrelated I/O happened: a lost wakeup.
//!
//! **What this file does:** a small mutex-protected queue used *only* by other
//! threads, plus a `parked` flag that the loop sets (under the same lock) just
//! before it sleeps. A remote waker pushes, and if — and only if — the loop is
//! parked, it calls [`Unpark::unpark`] for the way the loop sleeps: in the
//! reactor (`Reactor`'s unpark handle: one `write` to an eventfd) or, when no fd is
//! registered, in `std::thread::park` (`Thread::unpark`, one futex wake).
//! While the loop is busy, remote wakes cost a lock and no syscall.
//!
//! The same queue carries *spawn requests* from [`Handle::spawn`](crate::Handle::spawn)
//! (a second list under the same lock, with the same park rule): the loop
//! runs them on its thread, where they become ordinary tasks. Once the
//! runtime has shut down, [`Inbox::push_spawn`] refuses them and
//! [`Inbox::close`] drops the ones still queued, so each spawner's handle
//! resolves as cancelled instead of waiting forever.
//!
//! # Why this ordering cannot lose a wake
//! Both sides take the same lock. Either the pusher's critical section comes
//! first, and the loop's [`Inbox::park`] sees a non-empty queue and does not
//! sleep; or the loop's comes first, and the pusher sees `parked == true` and
//! unparks it. There is no third order. The loom model `park_never_sleeps_on_work`
//! (at the bottom of this file) checks every interleaving of exactly this: it
//! deadlocks (and loom reports it) if `park` skips the queue check, or checks
//! the lock-free `has_items` hint instead of the queue under the lock — the
//! hint may still read `false` after a push has finished, because a plain
//! load does not synchronize with anything. `push_after_close_is_dropped`
//! checks that a wake racing runtime shutdown queues nothing and never
//! unparks a loop that is gone.
//!
//! The hint is only used where staleness is harmless: `drain_into` may miss
//! a push that is still in flight, but the loop then calls `park`, which
//! takes the lock, sees the queue, and refuses to sleep.

use super::task::TaskRef;
use crate::loom::{AtomicBool, Mutex, Ordering, lock};

/// What wakes the runtime thread when it is parked.
///
/// In the runtime this is the reactor's unpark handle (asleep in the reactor)
/// or `Thread::unpark` (asleep in `thread::park`); loom models substitute a
/// `loom::sync::Notify`, since loom cannot model a syscall.
pub(crate) trait Unpark: Send + Sync {
    /// Makes the current or next park return promptly.
    fn unpark(&self);
}

/// An [`Unpark`] that does nothing: for loom models of a loop that never
/// sleeps in that way.
#[cfg(all(test, loom))]
pub(crate) struct NoopUnpark;

#[cfg(all(test, loom))]
impl Unpark for NoopUnpark {
    fn unpark(&self) {}
}

/// Where the loop sleeps when it has nothing to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Park {
    /// In `Reactor::wait`: fds are registered, I/O may wake it.
    Reactor,
    /// In `thread::park`: no fd is registered, so epoll has nothing to say
    /// and a futex sleep is cheaper (one syscall).
    Thread,
}

/// `Thread::unpark` as an [`Unpark`].
pub(crate) struct ThreadUnpark(pub(crate) std::thread::Thread);

impl Unpark for ThreadUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}

/// A task spawned from another thread through a [`Handle`](crate::Handle):
/// run on the runtime thread, where it spawns the task (see `handle.rs`).
/// Dropping it unrun cancels that task's join handle.
pub(crate) type RemoteSpawn = Box<dyn FnOnce() + Send>;

struct InboxState {
    queue: Vec<TaskRef>,
    /// Spawns from other threads, FIFO (`Handle::spawn`).
    spawns: Vec<RemoteSpawn>,
    /// The loop is (about to be) asleep, and where.
    parked: Option<Park>,
    /// An unpark was already sent for this park: one is enough.
    notified: bool,
    /// The runtime is gone: drop pushes instead of queueing them.
    closed: bool,
}

/// Remote-wake queue of one runtime.
pub(crate) struct Inbox {
    runtime_id: usize,
    state: Mutex<InboxState>,
    /// A hint readable without the lock: "the queue may be non-empty".
    /// Written only under the lock; a stale `false` is caught by `park`.
    has_items: AtomicBool,
    unpark_reactor: Box<dyn Unpark>,
    unpark_thread: Box<dyn Unpark>,
}

impl Inbox {
    pub(crate) fn new(
        runtime_id: usize,
        unpark_reactor: Box<dyn Unpark>,
        unpark_thread: Box<dyn Unpark>,
    ) -> Inbox {
        Inbox {
            runtime_id,
            state: Mutex::new(InboxState {
                queue: Vec::new(),
                spawns: Vec::new(),
                parked: None,
                notified: false,
                closed: false,
            }),
            has_items: AtomicBool::new(false),
            unpark_reactor,
            unpark_thread,
        }
    }

    /// The id of the runtime this inbox feeds (compared with `context::current_id`).
    #[inline]
    pub(crate) fn runtime_id(&self) -> usize {
        self.runtime_id
    }

    /// Queues `task` for the runtime thread; unparks the loop if it sleeps.
    /// Returns whether an unpark (a syscall) was issued.
    pub(crate) fn push(&self, task: TaskRef) -> bool {
        self.push_with(|state| state.queue.push(task))
            .unwrap_or(false)
    }

    /// Queues a spawn for the runtime thread, like [`Inbox::push`]. Gives
    /// it back if the runtime has shut down: the caller drops it (outside
    /// any lock), which cancels the task.
    pub(crate) fn push_spawn(&self, spawn: RemoteSpawn) -> Result<(), RemoteSpawn> {
        let mut spawn = Some(spawn);
        match self.push_with(|state| state.spawns.extend(spawn.take())) {
            Some(_) => Ok(()),
            None => Err(spawn.expect("not queued")),
        }
    }

    /// Runs `add` under the lock unless the inbox is closed (`None`), then
    /// unparks the loop if it sleeps; `Some(whether it unparked)`.
    fn push_with(&self, add: impl FnOnce(&mut InboxState)) -> Option<bool> {
        let must_unpark = {
            let mut state = lock(&self.state);
            if state.closed {
                return None;
            }
            add(&mut state);
            self.has_items.store(true, Ordering::Release);
            let must = if state.notified { None } else { state.parked };
            state.notified |= must.is_some();
            must
        };
        match must_unpark {
            Some(Park::Reactor) => self.unpark_reactor.unpark(),
            Some(Park::Thread) => self.unpark_thread.unpark(),
            None => {}
        }
        Some(must_unpark.is_some())
    }

    /// Moves every queued task into `tasks` and every queued spawn into
    /// `spawns` (runtime thread only).
    pub(crate) fn drain_all(&self, tasks: &mut Vec<TaskRef>, spawns: &mut Vec<RemoteSpawn>) {
        if !self.has_items.load(Ordering::Acquire) {
            return;
        }
        let mut state = lock(&self.state);
        self.has_items.store(false, Ordering::Relaxed);
        tasks.append(&mut state.queue);
        spawns.append(&mut state.spawns);
    }

    /// Moves every queued task into `out`, leaving spawns queued (loom
    /// models; the loop uses [`Inbox::drain_all`]).
    #[cfg_attr(not(all(test, loom)), allow(dead_code))]
    pub(crate) fn drain_into(&self, out: &mut Vec<TaskRef>) {
        if !self.has_items.load(Ordering::Acquire) {
            return;
        }
        let mut state = lock(&self.state);
        // Spawns are left for `drain_all`: keep the hint up for them.
        self.has_items
            .store(!state.spawns.is_empty(), Ordering::Relaxed);
        out.append(&mut state.queue);
    }

    /// Announces that the loop is about to sleep. Returns `false` (and stays
    /// unparked) if work arrived meanwhile: the caller must not sleep then.
    pub(crate) fn park(&self, how: Park) -> bool {
        let mut state = lock(&self.state);
        if !state.queue.is_empty() || !state.spawns.is_empty() {
            return false;
        }
        state.parked = Some(how);
        true
    }

    /// The loop woke up: remote wakes no longer need to unpark it.
    pub(crate) fn unparked(&self) {
        let mut state = lock(&self.state);
        state.parked = None;
        state.notified = false;
    }

    /// The runtime shut down: later pushes are dropped (a stale waker is
    /// harmless) and later spawns refused. Queued spawns are dropped here,
    /// outside the lock (each cancels its task's join handle).
    pub(crate) fn close(&self) {
        let spawns = {
            let mut state = lock(&self.state);
            state.closed = true;
            self.has_items.store(false, Ordering::Relaxed);
            (
                std::mem::take(&mut state.queue),
                std::mem::take(&mut state.spawns),
            )
        };
        // Outside the lock: releasing an entry may free a task block.
        drop(spawns);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};
    use crate::rt::task::TestTask;

    struct LoomUnpark(Arc<loom::sync::Notify>);
    impl Unpark for LoomUnpark {
        fn unpark(&self) {
            self.0.notify();
        }
    }

    /// One remote push while the loop drains and parks the way `how` says;
    /// `notify` is the unparker of that kind. If the loop ever sleeps with
    /// the push queued, `notify.wait()` blocks forever and loom reports it.
    fn one_push_is_never_slept_through(inbox: Arc<Inbox>, notify: &loom::sync::Notify, how: Park) {
        let task = TestTask::idle(&inbox, 1);
        let remote = {
            let (inbox, entry) = (inbox.clone(), task.0.clone());
            thread::spawn(move || {
                inbox.push(entry);
            })
        };
        let mut got = Vec::new();
        while got.is_empty() {
            inbox.drain_into(&mut got);
            if got.is_empty() && inbox.park(how) {
                notify.wait();
                inbox.unparked();
            }
        }
        assert!(got.len() == 1 && got[0].ptr_eq(&task.0), "{got:?}");
        remote.join().unwrap();
        drop(got);
    }

    /// Model 4: the loop never sleeps while the inbox holds work. If it did,
    /// `notify.wait()` would block forever and loom reports a deadlock.
    #[test]
    fn park_never_sleeps_on_work() {
        loom::model(|| {
            let notify = Arc::new(loom::sync::Notify::new());
            let unpark_reactor = Box::new(LoomUnpark(notify.clone()));
            let inbox = Arc::new(Inbox::new(1, unpark_reactor, Box::new(NoopUnpark)));
            one_push_is_never_slept_through(inbox, &notify, Park::Reactor);
        });
    }

    /// Model 4 again, for a loop that sleeps in `thread::park` (no fd
    /// registered): the push must use the *thread* unparker, or the loop
    /// sleeps forever and loom reports the deadlock.
    #[test]
    fn thread_park_never_sleeps_on_work() {
        loom::model(|| {
            let notify = Arc::new(loom::sync::Notify::new());
            let unpark_thread = Box::new(LoomUnpark(notify.clone()));
            let inbox = Arc::new(Inbox::new(1, Box::new(NoopUnpark), unpark_thread));
            one_push_is_never_slept_through(inbox, &notify, Park::Thread);
        });
    }

    /// Model 4 for spawn requests: the loop never sleeps while a spawn is
    /// queued (fails, as a loom deadlock, if `park` only checks the wake
    /// queue).
    #[test]
    fn park_never_sleeps_on_a_spawn() {
        loom::model(|| {
            let notify = Arc::new(loom::sync::Notify::new());
            let inbox = Arc::new(Inbox::new(
                1,
                Box::new(LoomUnpark(notify.clone())),
                Box::new(NoopUnpark),
            ));
            let ran = Arc::new(AtomicBool::new(false));
            let remote = {
                let (inbox, ran) = (inbox.clone(), ran.clone());
                thread::spawn(move || {
                    let spawn = Box::new(move || ran.store(true, Ordering::Relaxed));
                    assert!(inbox.push_spawn(spawn).is_ok());
                })
            };
            let (mut tasks, mut spawns) = (Vec::new(), Vec::new());
            while spawns.is_empty() {
                inbox.drain_all(&mut tasks, &mut spawns);
                if spawns.is_empty() && inbox.park(Park::Reactor) {
                    notify.wait();
                    inbox.unparked();
                }
            }
            for spawn in spawns.drain(..) {
                spawn();
            }
            assert!(ran.load(Ordering::Relaxed));
            assert!(tasks.is_empty());
            remote.join().unwrap();
        });
    }

    /// A push after `close` is dropped and never unparks a dead loop.
    #[test]
    fn push_after_close_is_dropped() {
        loom::model(|| {
            let notify = Arc::new(loom::sync::Notify::new());
            let inbox = Arc::new(Inbox::new(
                1,
                Box::new(LoomUnpark(notify.clone())),
                Box::new(NoopUnpark),
            ));
            let task = TestTask::idle(&inbox, 1);
            let remote = {
                let (inbox, entry) = (inbox.clone(), task.0.clone());
                thread::spawn(move || inbox.push(entry))
            };
            inbox.close();
            let pushed_before_close = remote.join().unwrap();
            let mut got = Vec::new();
            inbox.drain_into(&mut got);
            assert!(got.is_empty());
            assert!(
                !pushed_before_close,
                "a loop that is not parked is never unparked"
            );
        });
    }
}
