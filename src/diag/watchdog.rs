//! The watchdog: a warning *while* a poll is still holding the thread.
//!
//! The slow-poll detector speaks when a poll returns. A task stuck in a
//! blocking call that never returns (a `std::net` read from a silent peer, a
//! lock held forever) never returns, so it would never be named. The
//! watchdog is a small OS thread that wakes every half threshold, looks at
//! two atomics the loop writes around each poll (which task, since when), and
//! says so once per stuck poll.
//!
//! # Cost
//! Off by default (`Builder::watchdog`, env `RAMEN_WATCHDOG=1`). When on, the
//! loop pays two relaxed atomic stores per poll and the thread sleeps in
//! `park_timeout`; nothing else. It never touches the runtime's own state:
//! it only reads the atomics, and hands its message back through a mutex so
//! the runtime can add it to `Runtime::warnings`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::format::human;

struct Shared {
    base: Instant,
    /// Nanoseconds since `base` (+1) when the current poll began; 0 = idle.
    polling_since: AtomicU64,
    /// The task being polled.
    task: AtomicU64,
    /// The id and label (`task 3 'name' (spawned at file:line:col)`) of the
    /// last task described by [`Watchdog::describe`]; the thread names the
    /// task with it when the ids match.
    label: Mutex<(u64, String)>,
    closed: AtomicBool,
    /// Warnings written by the watchdog thread, collected by the runtime.
    inbox: Mutex<Vec<String>>,
}

pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the thread; `None` (with one line on stderr) if the OS refuses.
    pub(crate) fn start(threshold: Duration) -> Option<Watchdog> {
        let shared = Arc::new(Shared {
            base: Instant::now(),
            polling_since: AtomicU64::new(0),
            task: AtomicU64::new(0),
            label: Mutex::new((0, String::new())),
            closed: AtomicBool::new(false),
            inbox: Mutex::new(Vec::new()),
        });
        let watched = shared.clone();
        let spawned = thread::Builder::new()
            .name("ramen-watchdog".into())
            .spawn(move || watch(&watched, threshold));
        match spawned {
            Ok(thread) => Some(Watchdog {
                shared,
                thread: Some(thread),
            }),
            Err(e) => {
                eprintln!("ramen: cannot start the watchdog thread: {e}; running without it");
                None
            }
        }
    }

    /// A poll of `task` begins.
    #[inline]
    pub(crate) fn poll_begin(&self, task: u64) {
        let now = self.shared.base.elapsed().as_nanos() as u64 + 1;
        self.shared.task.store(task, Ordering::Relaxed);
        self.shared.polling_since.store(now, Ordering::Release);
    }

    /// Names the task about to be polled, so a warning can say which task
    /// and where it was spawned (formatted only when the task changes).
    pub(crate) fn describe(&self, id: u64, label: impl FnOnce() -> String) {
        let mut slot = self.shared.label.lock().unwrap_or_else(|p| p.into_inner());
        if slot.0 != id {
            *slot = (id, label());
        }
    }

    /// The poll returned.
    #[inline]
    pub(crate) fn poll_end(&self) {
        self.shared.polling_since.store(0, Ordering::Release);
    }

    /// Warnings the watchdog printed since the last call.
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.inbox.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// The watchdog thread: check every half threshold, report each stuck poll once.
fn watch(shared: &Shared, threshold: Duration) {
    let mut reported = 0;
    while !shared.closed.load(Ordering::Acquire) {
        thread::park_timeout(threshold / 2);
        let since = shared.polling_since.load(Ordering::Acquire);
        if since == 0 || since == reported {
            continue;
        }
        let now = shared.base.elapsed().as_nanos() as u64 + 1;
        let held = Duration::from_nanos(now.saturating_sub(since));
        if held < threshold {
            continue;
        }
        reported = since;
        let task = shared.task.load(Ordering::Relaxed);
        let who = {
            let slot = shared.label.lock().unwrap_or_else(|p| p.into_inner());
            if slot.0 == task && !slot.1.is_empty() {
                slot.1.clone()
            } else {
                format!("task {task}")
            }
        };
        let line = format!(
            "ramen: watchdog: {who} has held the thread for {} and has not returned yet \
             (a blocking call? std::thread::sleep, a blocking read, a lock); every other task \
             waits until it does",
            human(held)
        );
        eprintln!("{line}");
        shared
            .inbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }
}
