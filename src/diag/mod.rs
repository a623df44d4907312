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
//! # How the loop reaches them
//! Through one door: the hooks in `hooks.rs` (`on_spawn`, `on_wake`,
//! `on_poll`, `on_io`, `on_timers`, …), each one predictable branch when
//! its instruments are off. The loop hands over plain data (ids, counts,
//! labels formatted on demand); no file here imports the core. This file
//! only lists the parts: `config.rs` (settings), `instruments.rs` (the
//! [`Diag`] that owns the instruments that are on), `hooks.rs`, and the
//! formatters every instrument shares in the leaf `format.rs`; no part
//! imports this file.
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

mod config;
mod explain;
mod format;
mod hooks;
mod html;
mod instruments;
mod slow_poll;
mod stall;
mod timeline;
mod trace;
mod watchdog;

pub(crate) use config::DiagConfig;
pub(crate) use explain::DEFAULT_LINES as EXPLAIN_LINES;
pub(crate) use hooks::{LoopProbe, Note, TaskInfo};
pub(crate) use instruments::Diag;
pub(crate) use stall::Stuck;
