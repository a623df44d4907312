//! The settings a runtime was built with: what the [`Builder`](crate::Builder)
//! fills in and the core reads.
//!
//! Kept apart from `builder.rs` so the core depends on plain data, not on
//! the builder (which depends on the runtime it builds).

use std::time::Duration;

use crate::blocking::PoolConfig;
use crate::diag::DiagConfig;
use crate::reactor::ReactorBackend;

/// How many tasks the loop polls before it checks I/O and timers again.
///
/// Why 128: a runtime that polls ready tasks until none are left starves the
/// reactor whenever tasks keep waking each other (a ping-pong over a channel
/// would delay every socket). Checking I/O after every task costs a syscall
/// per task. tokio uses 61, smol 200; 128 keeps the check under 1% of the work
/// for tasks that do ~100 ns each, and bounds the extra latency a socket can
/// see to 128 polls.
pub const DEFAULT_BUDGET: u32 = 128;

/// Default maximum number of `spawn_blocking` threads.
pub const DEFAULT_MAX_BLOCKING_THREADS: usize = 64;

/// Default time an idle blocking thread waits for work before it exits.
pub const DEFAULT_BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Settings a runtime was built with.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) budget: u32,
    /// The `spawn_blocking` pool's settings (`blocking.rs`).
    pub(crate) blocking: PoolConfig,
    pub(crate) diag: DiagConfig,
    pub(crate) start_paused: bool,
    /// `None`: `RAMEN_REACTOR`, else the system's default (`reactor/backend.rs`).
    pub(crate) reactor_backend: Option<ReactorBackend>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            budget: DEFAULT_BUDGET,
            blocking: PoolConfig {
                max_threads: DEFAULT_MAX_BLOCKING_THREADS,
                keep_alive: DEFAULT_BLOCKING_KEEP_ALIVE,
            },
            diag: DiagConfig::from_env(),
            start_paused: false,
            reactor_backend: None,
        }
    }
}
