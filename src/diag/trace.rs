//! The recorder: every poll, wake, I/O batch and timer firing, with times.
//!
//! Off by default (the loop then pays one `bool` test per poll). When on, each
//! event is one `push` onto a `Vec`; at the end the runtime writes it as
//! [Chrome Trace Event JSON](https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU)
//! (open it in <https://ui.perfetto.dev> or `chrome://tracing`): one track
//! per task, a begin/end pair per poll, instant markers for wakes, and a
//! "reactor" track for I/O readiness, timers and forced yields.
//!
//! The recorder keeps at most [`MAX_EVENTS`] events; after that it stops
//! and says so once in the trace metadata.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// Upper bound on recorded events (about 40 MB), so a forgotten trace
/// cannot eat all memory.
pub(crate) const MAX_EVENTS: usize = 1_000_000;

/// The track id used for reactor events in the Chrome trace.
const REACTOR_TRACK: u64 = 0;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum EventKind {
    /// A task (or the `block_on` future) was created; `label` names it.
    Spawn { task: u64, label: String },
    /// A poll that started at the event's time and took `dur`.
    Poll {
        task: u64,
        dur: Duration,
        ready: bool,
    },
    /// A task was woken (`remote`: from another thread, via the inbox).
    Wake { task: u64, remote: bool },
    /// The reactor reported readiness on `fds` fds.
    Io { fds: usize },
    /// `fired` timers fired.
    Timers { fired: usize },
    /// The budget ran out with `ready` tasks still queued.
    ForcedYield { ready: usize },
    /// The reactor found `fd` ready and woke `task` (`None`: nobody waited).
    IoReady {
        fd: i32,
        readable: bool,
        task: Option<u64>,
    },
    /// During its poll, `task` left its waker somewhere: `what` says where
    /// ("its waker now waits in the reactor for fd 7 to be readable").
    Waits { task: u64, what: String },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    pub(crate) at: Duration,
    pub(crate) kind: EventKind,
}

#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) events: Vec<Event>,
    pub(crate) labels: BTreeMap<u64, String>,
    truncated: bool,
}

impl Recorder {
    pub(crate) fn push(&mut self, at: Duration, kind: EventKind) {
        if let EventKind::Spawn { task, label } = &kind {
            self.labels.insert(*task, label.clone());
        }
        if self.events.len() >= MAX_EVENTS {
            self.truncated = true;
            return;
        }
        self.events.push(Event { at, kind });
    }

    /// The whole recording as Chrome Trace Event JSON.
    pub(crate) fn chrome_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.events.len() * 80);
        out.push_str("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        let mut first = true;
        let mut emit = |out: &mut String, line: String| {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            out.push_str(&line);
        };
        emit(
            &mut out,
            meta(REACTOR_TRACK, "reactor (I/O, timers, budget)"),
        );
        for (task, label) in &self.labels {
            emit(&mut out, meta(*task, label));
        }
        for ev in &self.events {
            let ts = micros(ev.at);
            match &ev.kind {
                EventKind::Spawn { task, .. } => {
                    emit(&mut out, instant(*task, "spawn", ts, ""));
                }
                EventKind::Poll { task, dur, ready } => {
                    let outcome = if *ready { "Ready" } else { "Pending" };
                    emit(
                        &mut out,
                        format!(
                            "{{\"name\":\"poll\",\"ph\":\"B\",\"pid\":1,\"tid\":{task},\"ts\":{ts}}}"
                        ),
                    );
                    emit(
                        &mut out,
                        format!(
                            "{{\"name\":\"poll\",\"ph\":\"E\",\"pid\":1,\"tid\":{task},\"ts\":{},\
                             \"args\":{{\"result\":\"{outcome}\"}}}}",
                            micros(ev.at + *dur)
                        ),
                    );
                }
                EventKind::Wake { task, remote } => {
                    let from = if *remote {
                        "another thread"
                    } else {
                        "this thread"
                    };
                    emit(
                        &mut out,
                        instant(*task, "wake", ts, &format!("\"from\":\"{from}\"")),
                    );
                }
                EventKind::Io { fds } => {
                    emit(
                        &mut out,
                        instant(REACTOR_TRACK, "io ready", ts, &format!("\"fds\":{fds}")),
                    );
                }
                EventKind::Timers { fired } => {
                    let args = format!("\"fired\":{fired}");
                    emit(&mut out, instant(REACTOR_TRACK, "timers fired", ts, &args));
                }
                EventKind::ForcedYield { ready } => {
                    let args = format!("\"still_ready\":{ready}");
                    emit(&mut out, instant(REACTOR_TRACK, "budget spent", ts, &args));
                }
                EventKind::IoReady { fd, readable, .. } => {
                    let dir = if *readable { "readable" } else { "writable" };
                    let args = format!("\"fd\":{fd},\"direction\":\"{dir}\"");
                    emit(&mut out, instant(REACTOR_TRACK, "fd ready", ts, &args));
                }
                EventKind::Waits { task, what } => {
                    let args = format!("\"where\":\"{}\"", escape(what));
                    emit(&mut out, instant(*task, "waits", ts, &args));
                }
            }
        }
        if self.truncated {
            emit(
                &mut out,
                meta(
                    REACTOR_TRACK,
                    "reactor (trace truncated at 1,000,000 events)",
                ),
            );
        }
        out.push_str("\n]}\n");
        out
    }
}

fn micros(d: Duration) -> String {
    let mut s = String::new();
    let _ = write!(s, "{}.{:03}", d.as_micros(), d.subsec_nanos() % 1000);
    s
}

fn meta(track: u64, name: &str) -> String {
    format!(
        "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{track},\"args\":{{\"name\":\"{}\"}}}}",
        escape(name)
    )
}

fn instant(track: u64, name: &str, ts: String, args: &str) -> String {
    format!(
        "{{\"name\":\"{name}\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{track},\"ts\":{ts},\"args\":{{{args}}}}}"
    )
}

/// JSON string escaping for labels (task names are user input).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_user_names() {
        assert_eq!(escape("a\"b\\c\n"), "a\\\"b\\\\c\\u000a");
    }

    #[test]
    fn poll_becomes_a_begin_end_pair() {
        let mut r = Recorder::default();
        r.push(
            Duration::ZERO,
            EventKind::Spawn {
                task: 3,
                label: "task 3".into(),
            },
        );
        let poll = EventKind::Poll {
            task: 3,
            dur: Duration::from_micros(1500),
            ready: true,
        };
        r.push(Duration::from_micros(10), poll);
        let json = r.chrome_json();
        assert!(
            json.contains("\"ph\":\"B\",\"pid\":1,\"tid\":3,\"ts\":10.000"),
            "{json}"
        );
        assert!(
            json.contains("\"ph\":\"E\",\"pid\":1,\"tid\":3,\"ts\":1510.000"),
            "{json}"
        );
        assert!(json.contains("\"result\":\"Ready\""));
    }
}
