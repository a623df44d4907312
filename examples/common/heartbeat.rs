//! The heartbeat the `starvation` and `blocking` examples watch: a task that
//! sleeps a fixed tick and reports how late each wake-up was. A late
//! heartbeat is how a frozen event loop looks from the inside.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Sleeps `tick` in a loop until `stop`, printing how late each wake-up was.
pub async fn heartbeat(tick: Duration, stop: Rc<Cell<bool>>, t0: Instant) -> Vec<Duration> {
    let mut delays = Vec::new();
    while !stop.get() {
        let asked = Instant::now();
        ramen::time::sleep(tick).await;
        let late = asked.elapsed().saturating_sub(tick);
        let mark = if late >= tick { "  <- frozen" } else { "" };
        println!(
            "  [{:>5} ms] heartbeat {:>4} ms late{mark}",
            t0.elapsed().as_millis(),
            late.as_millis()
        );
        delays.push(late);
    }
    delays
}

/// Prints the run's largest heartbeat delay and every runtime warning, in
/// the stable `label` format the example tests read; returns the delay.
pub fn report(label: &str, delays: &[Duration], rt: &ramen::Runtime) -> Duration {
    let max = delays.iter().copied().max().unwrap_or_default();
    println!("max heartbeat delay [{label}]: {} ms", max.as_millis());
    let warnings = rt.warnings();
    if warnings.is_empty() {
        println!("runtime warnings [{label}]: none");
    }
    for w in &warnings {
        println!("runtime warning [{label}]: {w}");
    }
    max
}
