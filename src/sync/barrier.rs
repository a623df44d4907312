//! A barrier: `n` tasks wait until all `n` have arrived, then all go on.
//!
//! **Naive approach:** a counter and a [`Notify`]; the `n`-th arrival calls
//! `notify_waiters`. **Its problems:** a task that arrives between "read
//! the counter" and "start waiting" misses the wake-up, and once the barrier
//! is reused a slow task from round 1 may be released by round 2's wake (or
//! a fast task of round 2 by round 1's).
//!
//! **What this file does:** a `generation` number under the lock. Each
//! arrival records the generation it joined; the `n`-th arrival (the
//! *leader*) resets the count, bumps the generation, then calls
//! `notify_waiters`. A waiter creates its `Notified` *before* checking the
//! generation (a `Notified` remembers every `notify_waiters` after its
//! creation), and only returns once the generation moved past its own, so
//! no wake is lost and no round releases another round's tasks. The
//! waiting itself is [`Notify`]'s: no new waiter list here.

use std::fmt;

use super::notify::Notify;
use crate::loom::{Mutex, lock};

/// Lets `n` tasks wait for each other; exactly one of each group of `n` is
/// told it is the leader. Reusable: the next `n` arrivals form a new group.
///
/// ```
/// use std::rc::Rc;
/// ramen::block_on(async {
///     let barrier = Rc::new(ramen::sync::Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let b = barrier.clone();
///             ramen::spawn(async move { b.wait().await.is_leader() })
///         })
///         .collect();
///     let mut leaders = 0;
///     for t in tasks {
///         leaders += t.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    released: Notify,
}

/// `arrived` counts the current group (0..n); `generation` counts groups
/// released so far. Transition: the `n`-th arrival sets `arrived = 0` and
/// `generation += 1` in one critical section.
struct State {
    arrived: usize,
    generation: u64,
}

/// What [`Barrier::wait`] returns: whether this task was the group's leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one task of each group: the one whose arrival
    /// completed it (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for groups of `n` tasks. As in tokio (and std), `n == 0`
    /// is treated as 1: every `wait` returns at once, as the leader. It
    /// does not panic.
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            released: Notify::new(),
        }
    }

    /// Waits until `n` tasks (this one included) have called `wait`.
    ///
    /// # Cancellation
    /// Not cancel-safe, as in tokio: the arrival counts as soon as the
    /// future is first polled, and dropping the future does not take it
    /// back, so the group may be released with one task fewer actually
    /// waiting. (Taking it back would make a group that was complete
    /// incomplete again, which is worse.) Dropping it before the first
    /// poll does nothing.
    pub async fn wait(&self) -> BarrierWaitResult {
        let joined = {
            let mut st = lock(&self.state);
            st.arrived += 1;
            debug_assert!(st.arrived <= self.n, "a full group is released at once");
            if st.arrived < self.n {
                Some(st.generation)
            } else {
                st.arrived = 0;
                st.generation += 1;
                None
            }
        };
        let Some(joined) = joined else {
            self.released.notify_waiters();
            return BarrierWaitResult(true);
        };
        loop {
            let notified = self.released.notified();
            if lock(&self.state).generation != joined {
                return BarrierWaitResult(false);
            }
            notified.await;
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &st.arrived)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};

    /// Two threads meet twice: each round releases both (loom reports a
    /// deadlock if the leader's wake fell between a waiter's generation
    /// check and its registration), with exactly one leader per round.
    #[test]
    fn two_threads_two_rounds() {
        loom::model(|| {
            let barrier = Arc::new(Barrier::new(2));
            let b = barrier.clone();
            let t = thread::spawn(move || {
                let one = crate::sync::loom_block_on(b.wait()).is_leader();
                let two = crate::sync::loom_block_on(b.wait()).is_leader();
                (one, two)
            });
            let one = crate::sync::loom_block_on(barrier.wait()).is_leader();
            let two = crate::sync::loom_block_on(barrier.wait()).is_leader();
            let (t_one, t_two) = t.join().unwrap();
            assert!(one != t_one && two != t_two, "one leader per round");
        });
    }
}
