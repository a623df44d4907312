//! The stall explanation: "these tasks are alive, and nothing can wake them."
//!
//! The loop knows every way a task can be woken that it owns: a ready task,
//! a timer, a socket with a waiting waker, a blocking job, a wake from
//! another thread. When none of those exist, the loop would sleep forever
//! (`epoll_wait` with no timeout). Instead it sleeps for a grace period; if
//! nothing happened by then, it explains, once per stall:
//!
//! ```text
//! ramen: stall: 2 tasks alive, and for 1.00 s nothing could wake them (no ready task, no timer, no I/O waiter, no blocking job):
//!   task 3 (spawned at tests/diag.rs:40:9): no waker exists — it returned Pending without storing cx.waker() (a lost wakeup)
//!   task 4 (spawned at tests/diag.rs:41:9): its waker is held elsewhere (a channel, a JoinHandle, or another thread): most often a value that will still come (from an OS thread, a timer in another runtime); a deadlock only if that holder itself waits on a task listed here
//! ```
//! "No waker exists" is certain: the task's header has no reference besides
//! the task itself. "Held elsewhere" may be a deadlock, or a wake that will
//! come from another thread later — which is why this only warns.

use std::cell::Cell;
use std::time::Duration;

use super::format::human;

pub(crate) struct StallWatch {
    pub(crate) grace: Duration,
    /// The poll count when the last stall was reported: report again only
    /// after progress.
    reported_at_polls: Cell<Option<u64>>,
}

/// One stuck task, as the runtime sees it.
pub(crate) struct Stuck {
    pub(crate) who: String,
    /// References to the task's header held outside the task itself.
    pub(crate) outside_wakers: usize,
}

impl StallWatch {
    pub(crate) fn new(grace: Duration) -> StallWatch {
        StallWatch {
            grace,
            reported_at_polls: Cell::new(None),
        }
    }

    /// The warning for a stall observed after `polls` polls, unless this
    /// stall was already reported.
    pub(crate) fn report(&self, polls: u64, stuck: &[Stuck]) -> Option<String> {
        if self.reported_at_polls.get() == Some(polls) || stuck.is_empty() {
            return None;
        }
        self.reported_at_polls.set(Some(polls));
        let mut out = format!(
            "ramen: stall: {} task{} alive, and for {} nothing could wake them (no ready task, \
             no timer, no I/O waiter, no blocking job):",
            stuck.len(),
            if stuck.len() == 1 { "" } else { "s" },
            human(self.grace),
        );
        for s in stuck {
            let why = if s.outside_wakers == 0 {
                "no waker exists — it returned Pending without storing cx.waker() (a lost wakeup)"
            } else {
                "its waker is held elsewhere (a channel, a JoinHandle, or another thread): most \
                 often a value that will still come (from an OS thread, a timer in another \
                 runtime); a deadlock only if that holder itself waits on a task listed here"
            };
            out.push_str(&format!("\n  {}: {why}", s.who));
        }
        Some(out)
    }
}
