//! The diagnostics settings: builder calls, then environment variables.
//!
//! **Naive approach:** read `RAMEN_*` variables wherever an instrument
//! starts. **Its problem:** explicit builder calls could not win, and a typo
//! in a value would be reported (or silently ignored) in as many places.
//!
//! **What this file does:** one [`DiagConfig`], filled from this build's
//! defaults and the environment when the builder is created, then changed by
//! the builder's calls; an unparsable value gets one line on stderr and the
//! default.

use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use super::explain;

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
