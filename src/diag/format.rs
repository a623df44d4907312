//! How every instrument writes a duration and names a task.
//!
//! **Naive approach:** each warning formats its own numbers. **Its problem:**
//! the slow-poll line says `2013 ms`, the watchdog `2.013s`, the stall
//! `2.01 s`; a reader comparing them trips over the units. And when the
//! shared formatter lives in `diag/mod.rs`, every instrument that uses it
//! imports the module that wires the instruments to the loop.
//!
//! **What this file does:** the two formatters, in a leaf that imports
//! nothing from the crate: the instruments (`slow_poll.rs`, `stall.rs`,
//! `watchdog.rs`, `explain.rs`, the pictures) depend on it, and it on
//! nobody.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::{human, short_label};
    use std::time::Duration;

    #[test]
    fn durations_keep_one_unit_per_magnitude() {
        assert_eq!(human(Duration::from_millis(2013)), "2.01 s");
        assert_eq!(human(Duration::from_millis(153)), "153 ms");
        assert_eq!(human(Duration::from_micros(40)), "40 µs");
    }

    #[test]
    fn a_short_label_drops_the_spawn_site_only() {
        assert_eq!(
            short_label("task 3 'call 2' (spawned at x.rs:1:1)"),
            "task 3 'call 2'"
        );
        assert_eq!(short_label("block_on"), "block_on");
    }
}
