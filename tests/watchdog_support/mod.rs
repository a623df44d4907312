//! A watchdog for tests whose regression is a hang: the test body runs on
//! its own thread, and the test fails (instead of hanging) if it does not
//! finish in time.

use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on a fresh thread; panics with `what` if it does not finish
/// within 30 s (`RAMEN_TEST_WATCHDOG_SECS` overrides it, e.g. under valgrind).
pub fn watchdog<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    let secs = std::env::var("RAMEN_TEST_WATCHDOG_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("hung: {what}"))
}
