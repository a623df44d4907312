//! Diagnostics: making the invisible visible.
//!
//! **Naive approach:** trust that every task awaits often and every future
//! stores its waker. **Its problem:** the two classic failures of coroutines
//! are silent. One task that computes (or calls a blocking function) for two
//! seconds freezes every other task, and nobody says which one; a future that
//! returns `Pending` without arranging a wake-up hangs forever, and nothing
//! says why.
//!
//! **What this module does:** four cheap instruments, each off or near-free
//! unless asked for:
//! - the **slow-poll detector** (`slow_poll.rs`) times each poll and names the
//!   task that held the thread, where it was spawned, and who it kept waiting;
//! - the **stall explanation** (`stall.rs`) notices when tasks are alive but
//!   nothing can ever wake them, and lists them with the likely reason;
//! - the **recorder** (`trace.rs`) keeps every poll, wake, I/O batch and timer
//!   firing, and exports a Chrome/Perfetto trace (`.json`) or an offline
//!   HTML page with one SVG row per task (`html.rs`, any other extension);
//! - the **timeline** (`timeline.rs`) draws those polls as an ASCII Gantt
//!   chart: coroutines taking turns on one thread, as a picture;
//! - the **watchdog** (`watchdog.rs`, off by default) warns *while* a poll
//!   is still stuck, for blocking calls that never return;
//! - the **narrator** (`explain.rs`, off by default) tells each decision of
//!   the loop in plain words as it happens: which task was polled and where
//!   its waker went, why and how long the loop sleeps, who woke whom.
//!
//! # Configuration
//! | setting | builder | env var | default |
//! |---|---|---|---|
//! | slow-poll threshold | `Builder::slow_poll_threshold` | `RAMEN_SLOW_POLL_MS` (`off` or ms) | 100 ms in debug builds, off in release |
//! | stall warning grace | `Builder::stall_warning` | `RAMEN_STALL_MS` (`off` or ms) | 1 s in debug builds, off in release |
//! | trace file | `Builder::trace_file` | `RAMEN_TRACE=path.json` (Chrome trace) or `RAMEN_TRACE=path.html` (offline page) | off |
//! | in-memory timeline | `Builder::record_timeline` | — | off |
//! | watchdog thread | `Builder::watchdog` | `RAMEN_WATCHDOG=1` | off |
//! | narration | `Builder::explain` | `RAMEN_EXPLAIN=1` (or a number of lines) | off |
//!
//! Environment variables are read when the builder is created; explicit
//! builder calls win. An unparsable value or an unwritable path gets one line
//! on stderr and the program carries on without that feature.
//!
//! # Why the stall explanation only warns
//! ramen cannot see every waker: a task may be waiting for a message another
//! OS thread will send in an hour. Panicking would kill correct programs; an
//! error would need an API nobody checks. A warning after a grace period names
//! the suspects, and the program keeps running in case the wake does come.

pub(crate) mod explain;
pub(crate) mod html;
mod slow_poll;
pub(crate) mod stall;
pub(crate) mod timeline;
pub(crate) mod trace;
mod watchdog;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub(crate) use explain::Narrator;
pub(crate) use slow_poll::SlowPolls;
pub(crate) use stall::StallWatch;
pub(crate) use trace::{EventKind, Recorder};
pub(crate) use watchdog::Watchdog;

/// A duration for people, as every diagnostic prints one: `2.01 s`,
/// `153 ms`, `40 µs`.
pub(crate) fn human(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.2} s", d.as_secs_f64())
    } else if d >= Duration::from_millis(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} µs", d.as_micros())
    }
}

/// A task's label without its spawn site: `task 3 'call 2'` from
/// `task 3 'call 2' (spawned at x.rs:1:1)` (pictures and narration name the
/// place once, or not at all).
pub(crate) fn short_label(label: &str) -> &str {
    label.split(" (spawned at").next().unwrap_or(label)
}

/// A replacement clock for the recorder: returns the time since the runtime
/// started. Tests use it to make timelines deterministic.
pub(crate) type ClockFn = Rc<dyn Fn() -> Duration>;

/// Diagnostics settings (part of the runtime's `Config`).
#[derive(Clone, Default)]
pub(crate) struct DiagConfig {
    pub(crate) slow_poll: Option<Duration>,
    pub(crate) stall_grace: Option<Duration>,
    pub(crate) trace_path: Option<PathBuf>,
    pub(crate) record: bool,
    pub(crate) clock: Option<ClockFn>,
    pub(crate) watchdog: bool,
    /// Narrate up to this many steps (`explain.rs`); `None`: off.
    pub(crate) explain: Option<usize>,
}

impl fmt::Debug for DiagConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiagConfig")
            .field("slow_poll", &self.slow_poll)
            .field("stall_grace", &self.stall_grace)
            .field("trace_path", &self.trace_path)
            .field("record", &self.record)
            .field("watchdog", &self.watchdog)
            .field("explain", &self.explain)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl DiagConfig {
    /// Defaults for this build, then the environment variables.
    pub(crate) fn from_env() -> DiagConfig {
        let debug = cfg!(debug_assertions);
        let mut config = DiagConfig {
            slow_poll: debug.then_some(Duration::from_millis(100)),
            stall_grace: debug.then_some(Duration::from_secs(1)),
            ..DiagConfig::default()
        };
        if let Some(v) = env_millis("RAMEN_SLOW_POLL_MS") {
            config.slow_poll = v;
        }
        if let Some(v) = env_millis("RAMEN_STALL_MS") {
            config.stall_grace = v;
        }
        match std::env::var("RAMEN_WATCHDOG").as_deref() {
            Ok("1") | Ok("on") => config.watchdog = true,
            Ok("0") | Ok("off") | Err(_) => {}
            Ok(other) => eprintln!(
                "ramen: ignoring RAMEN_WATCHDOG={other:?}: expected 1/on or 0/off; keeping it off"
            ),
        }
        match std::env::var("RAMEN_EXPLAIN").as_deref() {
            Err(_) | Ok("0") | Ok("off") | Ok("") => {}
            Ok("1") | Ok("on") => config.explain = Some(explain::DEFAULT_LINES),
            Ok(other) => match other.trim().parse::<usize>() {
                Ok(lines) => config.explain = Some(lines),
                Err(_) => eprintln!(
                    "ramen: ignoring RAMEN_EXPLAIN={other:?}: expected 1/on, 0/off or a number \
                     of lines; keeping it off"
                ),
            },
        }
        if let Some(path) = std::env::var_os("RAMEN_TRACE").filter(|p| !p.is_empty()) {
            config.trace_path = Some(PathBuf::from(path));
        }
        config
    }
}

/// `Some(None)` = "off", `Some(Some(d))` = a threshold, `None` = unset or bad.
fn env_millis(name: &str) -> Option<Option<Duration>> {
    let raw = std::env::var(name).ok()?;
    parse_millis(&raw).or_else(|| {
        eprintln!(
            "ramen: ignoring {name}={raw:?}: expected a number of milliseconds or \"off\"; \
             keeping the default"
        );
        None
    })
}

fn parse_millis(raw: &str) -> Option<Option<Duration>> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") || raw == "0" {
        return Some(None);
    }
    raw.parse::<u64>()
        .ok()
        .map(|ms| Some(Duration::from_millis(ms)))
}

/// The runtime's diagnostics state; one per `Core`.
pub(crate) struct Diag {
    /// True if polls must be timed (slow-poll detector or recorder on):
    /// the one branch the hot path pays when everything is off.
    pub(crate) timing: bool,
    pub(crate) slow: Option<SlowPolls>,
    pub(crate) stall: Option<StallWatch>,
    pub(crate) recorder: Option<RefCell<Recorder>>,
    /// Warns while a poll is still running (`watchdog.rs`); off by default.
    pub(crate) watchdog: Option<Watchdog>,
    /// Narrates every step in plain words (`explain.rs`); off by default.
    pub(crate) explain: Option<Narrator>,
    trace_path: Option<PathBuf>,
    start: Instant,
    clock: Option<ClockFn>,
    warnings: RefCell<Vec<String>>,
    /// Number of warnings dropped from `warnings` (it keeps the last 100).
    dropped_warnings: Cell<u64>,
}

const KEPT_WARNINGS: usize = 100;

impl Diag {
    pub(crate) fn new(config: &DiagConfig) -> Diag {
        let mut trace_path = config.trace_path.clone();
        if let Some(path) = &trace_path {
            // Fail early and clearly: an unwritable path disables the trace.
            if let Err(e) = std::fs::File::create(path) {
                eprintln!(
                    "ramen: cannot write the trace to {}: {e}; tracing is disabled",
                    path.display()
                );
                trace_path = None;
            }
        }
        // The narrator reads the recorder's events as they are recorded.
        let recording = config.record || trace_path.is_some() || config.explain.is_some();
        let watchdog = if config.watchdog {
            Watchdog::start(config.slow_poll.unwrap_or(Duration::from_millis(100)))
        } else {
            None
        };
        Diag {
            timing: config.slow_poll.is_some() || recording || watchdog.is_some(),
            watchdog,
            explain: config.explain.map(Narrator::new),
            slow: config.slow_poll.map(SlowPolls::new),
            stall: config.stall_grace.map(StallWatch::new),
            recorder: recording.then(|| RefCell::new(Recorder::default())),
            trace_path,
            start: Instant::now(),
            clock: config.clock.clone(),
            warnings: RefCell::new(Vec::new()),
            dropped_warnings: Cell::new(0),
        }
    }

    /// Time since the runtime started, on the recorder's clock.
    pub(crate) fn now(&self) -> Duration {
        match &self.clock {
            Some(clock) => clock(),
            None => self.start.elapsed(),
        }
    }

    /// Records an event if the recorder is on (stamped with the recorder's clock).
    #[inline]
    pub(crate) fn record(&self, kind: EventKind) {
        if let Some(rec) = &self.recorder {
            if let Some(narrator) = &self.explain {
                narrator.on_event(&kind);
            }
            let at = self.now();
            rec.borrow_mut().push(at, kind);
        }
    }

    /// Prints one warning line and keeps it for [`crate::Runtime::warnings`].
    pub(crate) fn warn(&self, line: String) {
        eprintln!("{line}");
        self.keep(line);
    }

    fn keep(&self, line: String) {
        let mut kept = self.warnings.borrow_mut();
        if kept.len() == KEPT_WARNINGS {
            kept.remove(0);
            self.dropped_warnings.set(self.dropped_warnings.get() + 1);
        }
        kept.push(line);
    }

    pub(crate) fn warnings(&self) -> Vec<String> {
        self.collect_watchdog();
        self.warnings.borrow().clone()
    }

    /// Moves the watchdog thread's warnings into `warnings` (already printed).
    pub(crate) fn collect_watchdog(&self) {
        if let Some(w) = &self.watchdog {
            for line in w.take_warnings() {
                self.keep(line);
            }
        }
    }

    /// Writes the trace if one was asked for (runtime drop, also during a
    /// panic unwinding out of `block_on`): an offline HTML page when the path
    /// ends in `.html`/`.htm`, the Chrome trace JSON otherwise.
    pub(crate) fn finish(&self) {
        if let Some(narrator) = &self.explain {
            narrator.finish();
        }
        let (Some(path), Some(rec)) = (&self.trace_path, &self.recorder) else {
            return;
        };
        let is_html = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        let text = if is_html {
            html::render(&rec.borrow())
        } else {
            rec.borrow().chrome_json()
        };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("ramen: cannot write the trace to {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_millis;
    use std::time::Duration;

    #[test]
    fn millis_parsing() {
        assert_eq!(parse_millis("off"), Some(None));
        assert_eq!(parse_millis("0"), Some(None));
        assert_eq!(
            parse_millis(" 250 "),
            Some(Some(Duration::from_millis(250)))
        );
        assert_eq!(parse_millis("fast"), None);
        assert_eq!(parse_millis("-3"), None);
    }
}
