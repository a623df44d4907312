//! The narrator: the runtime says, in plain words, what it decides and why.
//!
//! **Naive approach:** read the trace afterwards. **Its problem:** a trace
//! shows *who* ran and when, not *why*: why did the loop sleep, on what, for
//! how long; who woke this task; where is its waker now? Those are the
//! questions a learner has, and they are answered by events the runtime
//! already sees.
//!
//! **What this file does:** with `RAMEN_EXPLAIN=1` or
//! [`Builder::explain`](crate::Builder::explain), the recorder's event stream
//! (`trace.rs`) is also fed, as it happens, to a [`Narrator`] that prints one
//! line per step on stderr:
//!
//! ```text
//! [explain] poll task 3 'call 2' (spawned at examples/api_wait.rs:329:22) → Pending: its waker now waits in the reactor for fd 7 to be readable
//! [explain] no task ready; epoll_wait(timeout 298 ms): the next timer is task 5's
//! [explain] fd 7 readable → wake task 3
//! [explain] run queue [3]
//! [explain] poll task 3 'call 2' → Ready (output stored; woke task 1)
//! ```
//!
//! Events that happen *during* a poll (a waker left with the reactor or a
//! timer, a task woken) are collected and told at the end of that poll's
//! line; events between polls (the loop's wait, readiness, timers, wakes from
//! other threads) get a line each. The narration stops after a bounded number
//! of lines (default [`DEFAULT_LINES`]; `RAMEN_EXPLAIN=N` for N) and says at
//! the end how many it skipped. It is meant for small programs; off, it costs
//! nothing (the loop reaches it only through the hooks in `hooks.rs`, each
//! of which tests one `Option` first).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

use super::format::{human, short_label};
use super::trace::EventKind;

/// Lines printed before the narrator goes quiet (and counts instead).
pub(crate) const DEFAULT_LINES: usize = 300;

/// Where narration lines go: stderr, or a buffer in tests.
type Sink = Box<dyn FnMut(&str)>;

/// Prints the narration; one per runtime, on its thread.
pub(crate) struct Narrator {
    limit: usize,
    printed: Cell<usize>,
    skipped: Cell<u64>,
    /// `Some(task)` while that task's poll runs: events are collected as notes.
    polling: Cell<Option<u64>>,
    notes: RefCell<Vec<String>>,
    /// Tasks woken on this thread between polls (by the reactor, a timer or
    /// a `yield_now` release), told with the event that explains them.
    turn_wakes: RefCell<Vec<u64>>,
    /// Task labels seen in `Spawn` events.
    labels: RefCell<BTreeMap<u64, String>>,
    /// Tasks whose full label (with spawn site) was already printed once.
    introduced: RefCell<std::collections::BTreeSet<u64>>,
    /// Where the narration goes (stderr; a buffer in tests).
    sink: RefCell<Sink>,
}

impl Narrator {
    pub(crate) fn new(limit: usize) -> Narrator {
        Narrator::with_sink(limit, Box::new(|line| eprintln!("{line}")))
    }

    pub(crate) fn with_sink(limit: usize, sink: Sink) -> Narrator {
        Narrator {
            limit,
            printed: Cell::new(0),
            skipped: Cell::new(0),
            polling: Cell::new(None),
            notes: RefCell::new(Vec::new()),
            turn_wakes: RefCell::new(Vec::new()),
            labels: RefCell::new(BTreeMap::new()),
            introduced: RefCell::new(Default::default()),
            sink: RefCell::new(sink),
        }
    }

    fn say(&self, line: String) {
        if self.printed.get() >= self.limit {
            self.skipped.set(self.skipped.get() + 1);
            return;
        }
        self.printed.set(self.printed.get() + 1);
        (self.sink.borrow_mut())(&format!("[explain] {line}"));
    }

    /// The first mention of a task gives its whole label (name, spawn
    /// site); later ones the short form.
    fn who(&self, task: u64) -> String {
        let labels = self.labels.borrow();
        let Some(label) = labels.get(&task) else {
            return format!("task {task}");
        };
        if self.introduced.borrow_mut().insert(task) {
            label.clone()
        } else {
            short_label(label).to_string()
        }
    }

    /// A poll of `task` starts: what happens until its `Poll` event is a note.
    pub(crate) fn poll_begin(&self, task: u64) {
        self.polling.set(Some(task));
        self.notes.borrow_mut().clear();
    }

    /// The loop is about to wait: `timeout` (`None`: until something
    /// happens), in the reactor (`epoll_wait`) or parked (no fd registered).
    /// `stall_probe`: there is no timer, and `timeout` is only the stall
    /// check's grace period (`stall.rs`).
    pub(crate) fn before_wait(
        &self,
        timeout: Option<Duration>,
        in_reactor: bool,
        next_timer: Option<u64>,
        stall_probe: bool,
    ) {
        if timeout == Some(Duration::ZERO) {
            return; // a non-blocking check between batches of polls: not a decision
        }
        let how = if in_reactor {
            "epoll_wait"
        } else {
            "thread park (no fd registered)"
        };
        let line = match (timeout, next_timer) {
            (Some(t), _) if stall_probe => format!(
                "no task ready, no timer; {how}(timeout {}): only I/O or another thread can \
                 wake the loop (the timeout is the stall check's grace period)",
                human(t)
            ),
            (None, _) => format!(
                "no task ready, no timer; {how}(no timeout): only I/O or another thread can \
                 wake the loop"
            ),
            (Some(t), Some(task)) => format!(
                "no task ready; {how}(timeout {}): the next timer is {}'s",
                human(t),
                self.who(task)
            ),
            (Some(t), None) => format!(
                "no task ready; {how}(timeout {}): until the next timer",
                human(t)
            ),
        };
        self.say(line);
    }

    /// The run queue after a turn that waited.
    pub(crate) fn after_turn(&self, queued: &[u64]) {
        let woken = std::mem::take(&mut *self.turn_wakes.borrow_mut());
        if !woken.is_empty() {
            self.say(format!(
                "woke {} (released after yield_now)",
                self.list(&woken)
            ));
        }
        if queued.is_empty() {
            return;
        }
        let list: Vec<String> = queued.iter().map(u64::to_string).collect();
        self.say(format!("run queue [{}]", list.join(", ")));
    }

    fn list(&self, tasks: &[u64]) -> String {
        let names: Vec<String> = tasks.iter().map(|t| self.who(*t)).collect();
        names.join(", ")
    }

    /// Says what the recorder just recorded.
    pub(crate) fn on_event(&self, kind: &EventKind) {
        let polling = self.polling.get();
        match kind {
            EventKind::Spawn { task, label } => {
                self.labels.borrow_mut().insert(*task, label.clone());
                if polling.is_some() {
                    self.notes.borrow_mut().push(format!("spawned task {task}"));
                }
            }
            EventKind::Poll { task, ready, .. } => {
                self.polling.set(None);
                let notes = std::mem::take(&mut *self.notes.borrow_mut());
                let who = self.who(*task);
                let line = if *ready {
                    let mut line = format!("poll {who} → Ready (output stored");
                    for n in &notes {
                        line.push_str("; ");
                        line.push_str(n);
                    }
                    line.push(')');
                    line
                } else if notes.is_empty() {
                    format!(
                        "poll {who} → Pending: its waker is held by what it awaits (a channel, \
                         a lock, a JoinHandle, another thread)"
                    )
                } else {
                    format!("poll {who} → Pending: {}", notes.join("; "))
                };
                self.say(line);
            }
            EventKind::Wake { task, remote } => {
                if *remote {
                    let line = format!("wake from another thread → {} queued", self.who(*task));
                    self.say(line);
                } else if polling.is_some() {
                    let line = format!("woke {}", self.who(*task));
                    self.notes.borrow_mut().push(line);
                } else {
                    self.turn_wakes.borrow_mut().push(*task);
                }
            }
            // Each fd is told by its own `IoReady` line.
            EventKind::Io { .. } => {}
            EventKind::IoReady { fd, readable, task } => {
                let dir = if *readable { "readable" } else { "writable" };
                // Ready with nobody waiting (`None`): the readiness is cached
                // for the next operation; nothing to tell.
                if let Some(t) = task {
                    self.turn_wakes.borrow_mut().retain(|w| w != t);
                    self.say(format!("fd {fd} {dir} → wake {}", self.who(*t)));
                }
            }
            EventKind::Waits { task, what } => {
                if polling == Some(*task) {
                    self.notes.borrow_mut().push(what.clone());
                }
            }
            EventKind::Timers { fired } => {
                let woken = std::mem::take(&mut *self.turn_wakes.borrow_mut());
                let line = if woken.is_empty() {
                    format!("{fired} timer(s) due")
                } else {
                    format!("{fired} timer(s) due → wake {}", self.list(&woken))
                };
                self.say(line);
            }
            EventKind::ForcedYield { ready } => self.say(format!(
                "budget spent with {ready} task(s) still ready: check I/O and timers first"
            )),
        }
    }

    /// The closing line: how much was not told.
    pub(crate) fn finish(&self) {
        let skipped = self.skipped.replace(0);
        if skipped > 0 {
            let limit = self.limit;
            (self.sink.borrow_mut())(&format!(
                "[explain] … {skipped} more step(s) not told (limit {limit} lines; \
                 RAMEN_EXPLAIN=N for more)"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn narrator(limit: usize) -> (Narrator, Rc<RefCell<Vec<String>>>) {
        let lines = Rc::new(RefCell::new(Vec::new()));
        let sink = lines.clone();
        let n = Narrator::with_sink(limit, Box::new(move |l| sink.borrow_mut().push(l.into())));
        (n, lines)
    }

    #[test]
    fn a_poll_tells_where_its_waker_went_and_a_wake_is_told_in_the_turn() {
        let (n, lines) = narrator(100);
        let label = "task 3 'call' (spawned at x.rs:1:1)".to_string();
        n.on_event(&EventKind::Spawn { task: 3, label });
        n.poll_begin(3);
        let what = "its waker now waits in the reactor for fd 7 to be readable".to_string();
        n.on_event(&EventKind::Waits { task: 3, what });
        let poll = |ready| EventKind::Poll {
            task: 3,
            dur: Duration::ZERO,
            ready,
        };
        n.on_event(&poll(false));
        n.before_wait(Some(Duration::from_millis(298)), true, None, false);
        n.on_event(&EventKind::IoReady {
            fd: 7,
            readable: true,
            task: Some(3),
        });
        n.after_turn(&[3]);
        n.poll_begin(3);
        n.on_event(&EventKind::Wake {
            task: 1,
            remote: false,
        });
        n.on_event(&poll(true));
        assert_eq!(
            *lines.borrow(),
            [
                "[explain] poll task 3 'call' (spawned at x.rs:1:1) → Pending: its waker now \
                 waits in the reactor for fd 7 to be readable",
                "[explain] no task ready; epoll_wait(timeout 298 ms): until the next timer",
                "[explain] fd 7 readable → wake task 3 'call'",
                "[explain] run queue [3]",
                "[explain] poll task 3 'call' → Ready (output stored; woke task 1)",
            ]
        );
    }

    #[test]
    fn the_narration_is_bounded_and_says_what_it_skipped() {
        let (n, lines) = narrator(2);
        for _ in 0..5 {
            n.after_turn(&[1]);
        }
        n.finish();
        let lines = lines.borrow();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].contains("3 more step(s) not told"), "{}", lines[2]);
    }

    #[test]
    fn a_non_blocking_check_is_not_narrated() {
        let (n, lines) = narrator(10);
        n.before_wait(Some(Duration::ZERO), true, None, false);
        assert!(lines.borrow().is_empty());
    }
}
