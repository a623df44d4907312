//! The hooks: the one door between the event loop and the instruments.
//!
//! **Naive approach:** the loop tests `if recorder.is_some()` before each
//! event it records, and the instruments read what they need straight from
//! the loop's structures (a task's metadata, the timer map, the run queue).
//! **Its problem:** every instrument then imports the core, and the core's
//! hot path grows one branch per instrument at every call site; a new
//! instrument means editing the loop in seven places.
//!
//! **What this file does:** one method per thing that happens in the loop
//! (`on_spawn`, `on_wake`, `on_poll`, `on_io`, `on_timers`, …). Each is
//! `#[inline]`, tests whether any instrument wants that event in one
//! predictable branch *inside* the hook, and leaves the rest to a `#[cold]`
//! function. The loop hands over plain data only: ids, counts, labels
//! formatted on demand ([`TaskInfo`]), and what it noted ([`Note`]). What a
//! timed poll may need to *ask* the loop (how many tasks wait, how many
//! timers are due) goes through the small [`LoopProbe`] trait the core
//! implements, called only by the instruments that are on. Nothing in
//! `diag/` names a core type.

use std::task::Poll;
use std::time::{Duration, Instant};

use super::instruments::Diag;
use super::stall::Stuck;
use super::trace::EventKind;

/// A task as the instruments see it: its id, and its label on demand
/// (formatting costs; most polls never need it). The label is a closure
/// held by value, not a `&dyn Fn`: a reference would make the loop store
/// the closure on its stack before every poll, instruments on or off.
pub(crate) struct TaskInfo<L> {
    pub(crate) id: u64,
    /// Formats `task 3 'name' (spawned at f.rs:1:1)`; `None`: the `block_on` future.
    label: Option<L>,
}

impl<L: Fn() -> String> TaskInfo<L> {
    /// A spawned task; `label` is called only if an instrument prints it.
    pub(crate) fn task(id: u64, label: L) -> TaskInfo<L> {
        TaskInfo {
            id,
            label: Some(label),
        }
    }

    fn label(&self) -> String {
        match &self.label {
            Some(label) => label(),
            None => format!("task {} (the block_on future)", self.id),
        }
    }
}

impl TaskInfo<fn() -> String> {
    /// The future `block_on` drives.
    pub(crate) fn block_on(id: u64) -> TaskInfo<fn() -> String> {
        TaskInfo { id, label: None }
    }
}

/// Something the reactor or the timers noted for the narrator
/// (`Builder::explain` only): plain data, worded here.
pub(crate) enum Note {
    /// During its poll, `task` left its waker in the timer map, due in `left`.
    TimerWait { task: u64, left: Duration },
    /// During its poll, `task` left its waker with the reactor for `fd`.
    IoWait { task: u64, fd: i32, readable: bool },
    /// The reactor found `fd` ready and woke `task` (`None`: nobody waited).
    IoReady {
        fd: i32,
        readable: bool,
        task: Option<u64>,
    },
}

/// What the instruments may ask the loop, only when they are on.
pub(crate) trait LoopProbe {
    /// Tasks ready to run: they wait while a poll holds the thread.
    fn ready_tasks(&self) -> usize;
    /// Timers whose deadline has passed.
    fn due_timers(&self) -> usize;
    /// Hands over what the reactor and timers noted since last asked.
    fn take_notes(&self, out: &mut dyn FnMut(Note));
}

/// What a timed poll remembers from its start until it returns.
struct PollStart {
    wall: Instant,
    /// On the recorder's clock.
    at: Duration,
    /// Tasks already ready (tasks the poll itself wakes are not counted).
    waiting: usize,
}

impl Diag {
    /// True if the narrator is on (the loop then asks the reactor and the
    /// timers to take notes).
    pub(crate) fn explains(&self) -> bool {
        self.explain.is_some()
    }

    /// How long an idle loop sleeps before it checks for a stall (`None`: off).
    #[inline]
    pub(crate) fn stall_grace(&self) -> Option<Duration> {
        self.stall.as_ref().map(|s| s.grace)
    }

    /// A task was created (or `block_on` began); `label` names it.
    #[inline]
    pub(crate) fn on_spawn(&self, task: u64, label: impl FnOnce() -> String) {
        if self.recorder.is_some() {
            self.record(EventKind::Spawn {
                task,
                label: label(),
            });
        }
    }

    /// `task` was woken on this thread (`remote: false`) or from another
    /// thread through the inbox (`remote: true`).
    #[inline]
    pub(crate) fn on_wake(&self, task: u64, remote: bool) {
        if self.recorder.is_some() {
            self.record(EventKind::Wake { task, remote });
        }
    }

    /// A batch of wakes from other threads (the iterator is not walked when
    /// recording is off).
    #[inline]
    pub(crate) fn on_remote_wakes(&self, tasks: impl Iterator<Item = u64>) {
        if self.recorder.is_some() {
            for task in tasks {
                self.record(EventKind::Wake { task, remote: true });
            }
        }
    }

    /// Polls a task through `poll`, timing it if any instrument wants polls
    /// timed. Off, this is one branch and the plain call.
    #[inline]
    pub(crate) fn on_poll<T, L: Fn() -> String>(
        &self,
        task: TaskInfo<L>,
        probe: &dyn LoopProbe,
        poll: impl FnOnce() -> Poll<T>,
    ) -> Poll<T> {
        if !self.timing {
            return poll();
        }
        self.timed_poll(task, probe, poll)
    }

    /// The budget ran out with `ready` tasks still queued.
    #[inline]
    pub(crate) fn on_forced_yield(&self, ready: usize) {
        if self.recorder.is_some() {
            self.record(EventKind::ForcedYield { ready });
        }
    }

    /// `task` called `yield_now`: it runs again after the next reactor turn.
    #[inline]
    pub(crate) fn on_yield_now(&self, task: u64) {
        if self.explain.is_some() {
            let what = "yield_now: it runs again after the next reactor turn".into();
            self.record(EventKind::Waits { task, what });
        }
    }

    /// The loop is about to wait for `timeout` (`None`: until woken; zero: a
    /// mere check between batches, not told), in the reactor or parked;
    /// `stall_probe`: the timeout is only the stall check's grace period.
    /// `next_timer` names the task of the next timer.
    #[inline]
    pub(crate) fn on_sleep(
        &self,
        timeout: Option<Duration>,
        in_reactor: bool,
        stall_probe: bool,
        next_timer: impl FnOnce() -> Option<u64>,
    ) {
        if let Some(narrator) = &self.explain {
            narrator.before_wait(timeout, in_reactor, next_timer(), stall_probe);
        }
    }

    /// The reactor reported readiness on `fds` fds.
    #[inline]
    pub(crate) fn on_io(&self, fds: usize, probe: &dyn LoopProbe) {
        if fds > 0 && self.recorder.is_some() {
            self.record(EventKind::Io { fds });
            if self.explain.is_some() {
                self.record_notes(probe);
            }
        }
    }

    /// `fired` timers fired.
    #[inline]
    pub(crate) fn on_timers(&self, fired: usize) {
        if fired > 0 && self.recorder.is_some() {
            self.record(EventKind::Timers { fired });
        }
    }

    /// A turn ended; `waited`: it slept (not a mere check between batches).
    /// `queued` lists the run queue's task ids.
    #[inline]
    pub(crate) fn on_turn_end(&self, waited: bool, queued: impl FnOnce() -> Vec<u64>) {
        if waited && let Some(narrator) = &self.explain {
            narrator.after_turn(&queued());
        }
    }

    /// The loop found every live task stuck (see `stall.rs`) after `polls`
    /// polls in all: warns once per stall.
    #[cold]
    pub(crate) fn on_stall(&self, polls: u64, stuck: &[Stuck]) {
        if let Some(watch) = &self.stall
            && let Some(line) = watch.report(polls, stuck)
        {
            self.warn(line);
        }
    }

    /// `on_poll` with the slow-poll detector, the watchdog or the recorder on.
    #[cold]
    #[inline(never)]
    fn timed_poll<T, L: Fn() -> String>(
        &self,
        task: TaskInfo<L>,
        probe: &dyn LoopProbe,
        poll: impl FnOnce() -> Poll<T>,
    ) -> Poll<T> {
        let label = || task.label();
        let start = self.poll_started(task.id, &label, probe);
        let out = poll();
        self.poll_finished(start, task.id, &label, probe, out.is_ready());
        out
    }

    fn poll_started(
        &self,
        id: u64,
        label: &dyn Fn() -> String,
        probe: &dyn LoopProbe,
    ) -> PollStart {
        if let Some(watchdog) = &self.watchdog {
            watchdog.describe(id, label);
            watchdog.poll_begin(id);
        }
        if let Some(narrator) = &self.explain {
            narrator.poll_begin(id);
        }
        let waiting = probe.ready_tasks();
        PollStart {
            wall: Instant::now(),
            at: self.now(),
            waiting,
        }
    }

    /// After a timed poll: the slow-poll warning and the recorder's entry.
    fn poll_finished(
        &self,
        start: PollStart,
        id: u64,
        label: &dyn Fn() -> String,
        probe: &dyn LoopProbe,
        ready: bool,
    ) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.poll_end();
            self.collect_watchdog();
        }
        let held = start.wall.elapsed();
        if let Some(slow) = &self.slow {
            let due = || probe.due_timers();
            if let Some(line) = slow.check(id, label, held, start.waiting, due) {
                self.warn(line);
            }
        }
        if let Some(rec) = &self.recorder {
            let dur = self.now().saturating_sub(start.at);
            let poll = EventKind::Poll {
                task: id,
                dur,
                ready,
            };
            if let Some(narrator) = &self.explain {
                self.record_notes(probe);
                narrator.on_event(&poll);
            }
            rec.borrow_mut().push(start.at, poll);
        }
    }

    /// Records what the reactor and timers noted, and so tells the narrator.
    #[cold]
    fn record_notes(&self, probe: &dyn LoopProbe) {
        probe.take_notes(&mut |note| {
            let kind = match note {
                Note::TimerWait { task, left } => EventKind::Waits {
                    task,
                    what: format!(
                        "its waker now waits in the timer map, due in {} ms",
                        left.as_millis()
                    ),
                },
                Note::IoWait { task, fd, readable } => EventKind::Waits {
                    task,
                    what: format!(
                        "its waker now waits in the reactor for fd {fd} to be {}",
                        if readable { "readable" } else { "writable" }
                    ),
                },
                Note::IoReady { fd, readable, task } => EventKind::IoReady { fd, readable, task },
            };
            self.record(kind);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::DiagConfig;
    use std::cell::Cell;

    /// A loop with `ready` tasks and `due` timers that counts the questions.
    #[derive(Default)]
    struct FakeLoop {
        ready: usize,
        due: usize,
        asked: Cell<usize>,
    }

    impl LoopProbe for FakeLoop {
        fn ready_tasks(&self) -> usize {
            self.asked.set(self.asked.get() + 1);
            self.ready
        }
        fn due_timers(&self) -> usize {
            self.asked.set(self.asked.get() + 1);
            self.due
        }
        fn take_notes(&self, out: &mut dyn FnMut(Note)) {
            self.asked.set(self.asked.get() + 1);
            out(Note::IoWait {
                task: 7,
                fd: 9,
                readable: true,
            });
        }
    }

    #[test]
    fn with_everything_off_a_poll_asks_the_loop_nothing() {
        let diag = Diag::new(&DiagConfig::default());
        let probe = FakeLoop::default();
        let labels = Cell::new(0);
        let label = || {
            labels.set(labels.get() + 1);
            String::from("task 7")
        };
        let polls = Cell::new(0);
        let out = diag.on_poll(TaskInfo::task(7, label), &probe, || {
            polls.set(polls.get() + 1);
            Poll::Ready(5)
        });
        diag.on_spawn(8, || unreachable!("no recorder: no label"));
        assert_eq!(out, Poll::Ready(5));
        assert_eq!((polls.get(), labels.get(), probe.asked.get()), (1, 0, 0));
        assert!(diag.warnings().is_empty() && diag.trace_json().is_none());
    }

    #[test]
    fn a_slow_poll_is_named_with_the_counts_the_loop_hands_over() {
        let config = DiagConfig {
            slow_poll: Some(Duration::ZERO),
            ..DiagConfig::default()
        };
        let diag = Diag::new(&config);
        let probe = FakeLoop {
            ready: 3,
            due: 1,
            ..FakeLoop::default()
        };
        let label = || String::from("task 7 'hog' (spawned at x.rs:1:1)");
        let out = diag.on_poll(TaskInfo::task(7, label), &probe, || Poll::<()>::Pending);
        assert_eq!(out, Poll::Pending);
        let warnings = diag.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("task 7 'hog' (spawned at x.rs:1:1) held the thread")
                && warnings[0].contains("blocking 3 ready tasks and 1 due timer;"),
            "{}",
            warnings[0]
        );
        let _ = diag.on_poll(TaskInfo::block_on(1), &probe, || Poll::Ready(()));
        assert!(diag.warnings()[1].contains("task 1 (the block_on future)"));
    }

    #[test]
    fn the_recorder_gets_one_event_per_hook_and_the_notes_during_a_poll() {
        let config = DiagConfig {
            record: true,
            explain: Some(0), // on, but silent: prints no line
            ..DiagConfig::default()
        };
        let diag = Diag::new(&config);
        let probe = FakeLoop::default();
        diag.on_spawn(7, || "task 7".into());
        diag.on_wake(7, false);
        diag.on_remote_wakes([7, 7].into_iter());
        let label = || String::from("task 7");
        let _ = diag.on_poll(TaskInfo::task(7, label), &probe, || Poll::<()>::Pending);
        diag.on_io(0, &probe); // nothing ready: nothing recorded
        diag.on_io(1, &probe);
        diag.on_timers(0);
        diag.on_timers(2);
        diag.on_forced_yield(4);
        diag.on_yield_now(7);
        let rec = diag.recorder.as_ref().unwrap().borrow();
        let kinds: Vec<String> = rec
            .events
            .iter()
            .map(|e| {
                format!("{:?}", e.kind)
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "Spawn",
                "Wake",
                "Wake",
                "Wake",
                "Waits",
                "Poll",
                "Io",
                "Waits",
                "Timers",
                "ForcedYield",
                "Waits"
            ]
        );
        let waits = rec.events.iter().find_map(|e| match &e.kind {
            EventKind::Waits { what, .. } => Some(what.clone()),
            _ => None,
        });
        assert_eq!(
            waits.as_deref(),
            Some("its waker now waits in the reactor for fd 9 to be readable")
        );
    }
}
