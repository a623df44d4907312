//! One runtime's set of instruments, and what it keeps: warnings, the
//! recording, the trace file.
//!
//! **Naive approach:** one `Option` field per instrument on the core, each
//! tested where it is used. **Its problem:** the core then knows every
//! instrument, and the loop grows a branch per instrument per event.
//!
//! **What this file does:** [`Diag`] owns the instruments that are on (built
//! from a [`DiagConfig`]) and what they collected; the loop reaches it only
//! through the hooks (`hooks.rs`) and the readers here (`warnings`,
//! `timeline`, `trace_json`, `trace_html`, `finish`).

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::config::{ClockFn, DiagConfig};
use super::explain::Narrator;
use super::slow_poll::SlowPolls;
use super::stall::StallWatch;
use super::trace::{EventKind, Recorder};
use super::watchdog::Watchdog;
use super::{html, timeline};

/// The runtime's diagnostics state; one per `Core`. The loop reaches it
/// only through the hooks (`hooks.rs`) and the readers below; the fields are
/// the hooks' business.
pub(crate) struct Diag {
    /// True if polls must be timed (slow-poll detector or recorder on):
    /// the one branch the hot path pays when everything is off.
    pub(super) timing: bool,
    /// Warns when a poll returns after holding the thread too long.
    pub(super) slow: Option<SlowPolls>,
    /// Explains a stall after an idle grace period.
    pub(super) stall: Option<StallWatch>,
    /// Keeps every event for the timeline and the trace file.
    pub(super) recorder: Option<RefCell<Recorder>>,
    /// Warns while a poll is still running (`watchdog.rs`); off by default.
    pub(super) watchdog: Option<Watchdog>,
    /// Narrates every step in plain words (`explain.rs`); off by default.
    pub(super) explain: Option<Narrator>,
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
    pub(super) fn now(&self) -> Duration {
        match &self.clock {
            Some(clock) => clock(),
            None => self.start.elapsed(),
        }
    }

    /// Records an event if the recorder is on (stamped with the recorder's
    /// clock); the hooks call it.
    #[cold]
    #[inline(never)]
    pub(super) fn record(&self, kind: EventKind) {
        if let Some(rec) = &self.recorder {
            if let Some(narrator) = &self.explain {
                narrator.on_event(&kind);
            }
            let at = self.now();
            rec.borrow_mut().push(at, kind);
        }
    }

    /// Prints one warning line and keeps it for [`crate::Runtime::warnings`].
    pub(super) fn warn(&self, line: String) {
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

    /// The warnings printed so far, oldest first (the last 100).
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.collect_watchdog();
        self.warnings.borrow().clone()
    }

    /// Moves the watchdog thread's warnings into `warnings` (already printed).
    pub(super) fn collect_watchdog(&self) {
        if let Some(w) = &self.watchdog {
            for line in w.take_warnings() {
                self.keep(line);
            }
        }
    }

    /// The ASCII timeline of the recording, `width` columns wide (`None`:
    /// not recording).
    pub(crate) fn timeline(&self, width: usize) -> Option<String> {
        let rec = self.recorder.as_ref()?.borrow();
        Some(timeline::render(&rec.events, &rec.labels, width))
    }

    /// The recording as Chrome Trace Event JSON (`None`: not recording).
    pub(crate) fn trace_json(&self) -> Option<String> {
        Some(self.recorder.as_ref()?.borrow().chrome_json())
    }

    /// The recording as one offline HTML page (`None`: not recording).
    pub(crate) fn trace_html(&self) -> Option<String> {
        Some(html::render(&self.recorder.as_ref()?.borrow()))
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
