//! The slow-poll detector: "who held the thread, and who did it keep waiting?"
//!
//! A coroutine runtime is cooperative: a task gives the thread back only at
//! an `.await` that is not ready. A task that computes for 2 s without
//! awaiting — or calls `std::thread::sleep`, or a blocking read — stops every
//! other task for 2 s. The runtime cannot interrupt it, but it can measure
//! each poll once it returns and say so, naming the culprit.
//!
//! # Output
//! One line per slow poll, for example:
//! ```text
//! ramen: slow poll: task 3 'hog' (spawned at examples/starvation.rs:40:5) held the thread for 2.01 s, blocking 6 ready tasks and 2 due timers; call yield_now() in long loops or move the work to spawn_blocking
//! ```
//! # No flood
//! Each task is reported on its first slow poll, then at most once every
//! 10 s with the number of slow polls in between.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::format::human;

const REPEAT_EVERY: Duration = Duration::from_secs(10);

pub(crate) struct SlowPolls {
    pub(crate) threshold: Duration,
    /// Per task id: when it was last reported, and slow polls since.
    reported: RefCell<HashMap<u64, (Instant, u64)>>,
}

impl SlowPolls {
    pub(crate) fn new(threshold: Duration) -> SlowPolls {
        SlowPolls {
            threshold,
            reported: RefCell::new(HashMap::new()),
        }
    }

    /// The warning line for a poll of `held` by task `id`, or `None` if it
    /// was not slow or was rate-limited. `label` names the task and
    /// `due_timers` counts the timers it delayed: both are asked only for a
    /// warning.
    pub(crate) fn check(
        &self,
        id: u64,
        label: impl FnOnce() -> String,
        held: Duration,
        ready: usize,
        due_timers: impl FnOnce() -> usize,
    ) -> Option<String> {
        if held < self.threshold {
            return None;
        }
        let now = Instant::now();
        let mut reported = self.reported.borrow_mut();
        let since = match reported.get_mut(&id) {
            Some((last, count)) if now.duration_since(*last) < REPEAT_EVERY => {
                *count += 1;
                return None;
            }
            Some((last, count)) => {
                let since = *count;
                *last = now;
                *count = 0;
                since
            }
            None => {
                reported.insert(id, (now, 0));
                0
            }
        };
        let name = label();
        let due_timers = due_timers();
        let mut line = format!(
            "ramen: slow poll: {name} held the thread for {}, blocking {ready} ready task{} and \
             {due_timers} due timer{}; call yield_now() in long loops or move the work to \
             spawn_blocking",
            human(held),
            if ready == 1 { "" } else { "s" },
            if due_timers == 1 { "" } else { "s" },
        );
        if since > 0 {
            line.push_str(&format!(
                " ({since} more slow polls of this task since the last warning)"
            ));
        }
        Some(line)
    }
}
