//! The limit-of-coroutines examples, run as programs: each is started with
//! small arguments and its `check <what>: key=value ...` lines are read.
//!
//! Covered: `cancellation` (a task stops only at an `.await`), `lost_wakeup`
//! (the stall explanation names the future that lost its waker; the fix
//! completes), `race_condition` (lost updates on threads, a logical race
//! across an `.await`, and their fixes) and `processes` (a crashing child,
//! three IPC round-trip figures).
//!
//! The binaries live next to this test's: `target/<profile>/examples/<name>`.
//! `cargo test` builds examples, `cargo test --test examples_limits` does
//! not, so the first test to need them runs `cargo build --examples` for the
//! four (a no-op when they are fresh).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const EXAMPLES: [&str; 4] = ["cancellation", "lost_wakeup", "race_condition", "processes"];

/// `target/<profile>/examples/<name>`, built if needed (once per test binary).
fn example(name: &str) -> PathBuf {
    // …/target/<profile>/deps/examples_limits-<hash>
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf();
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.arg("build").arg("--quiet");
        for e in EXAMPLES {
            cmd.args(["--example", e]);
        }
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cannot run cargo to build the examples");
        assert!(status.success(), "building the examples failed");
    });
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Runs an example with `args`; returns its stdout (and asserts it succeeded).
fn run(name: &str, args: &[&str]) -> String {
    let out = Command::new(example(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    stdout
}

/// The `key=value` pairs of the line `check <what>: ...` (values may be
/// `"quoted with spaces"`).
fn check(stdout: &str, what: &str) -> HashMap<String, String> {
    let prefix = format!("check {what}: ");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{stdout}"));
    let mut map = HashMap::new();
    let mut rest = line.trim();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').expect("closing quote");
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        map.insert(key, value.to_string());
        rest = next.trim_start();
    }
    map
}

fn num(map: &HashMap<String, String>, key: &str) -> f64 {
    map.get(key)
        .unwrap_or_else(|| panic!("no {key} in {map:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {map:?}"))
}

fn flag(map: &HashMap<String, String>, key: &str) -> bool {
    match map.get(key).map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        other => panic!("{key} is {other:?} in {map:?}"),
    }
}

#[test]
fn cancellation_happens_only_at_an_await() {
    let chunk = 300.0;
    let out = run(
        "cancellation",
        &["--chunk-ms", "300", "--request-ms", "30", "--chunks", "3"],
    );

    let abort = check(&out, "abort");
    // The request came mid-chunk, the stop only when the chunk ended.
    assert!(num(&abort, "requested_ms") < chunk, "{abort:?}");
    assert!(num(&abort, "chunk_end_ms") >= chunk, "{abort:?}");
    assert!(
        num(&abort, "dropped_ms") >= num(&abort, "chunk_end_ms"),
        "the worker was dropped before its CPU chunk ended: {abort:?}"
    );
    assert!(
        !flag(&abort, "chunk2_started"),
        "dropped at the first .await: {abort:?}"
    );
    assert!(out.contains("parked at the yield_now().await after chunk 1"));

    let no_await = check(&out, "no_await");
    assert!(
        !flag(&no_await, "cancelled"),
        "a loop without .await cannot be aborted: {no_await:?}"
    );
    assert!(num(&no_await, "finished_ms") >= chunk);

    let timeout = check(&out, "timeout");
    assert!(flag(&timeout, "elapsed"));
    assert!(
        num(&timeout, "dropped_ms") >= chunk,
        "the timeout fired before the chunk reached its .await: {timeout:?}"
    );
    assert!(!flag(&timeout, "ran_after_await"));
}

#[test]
fn lost_wakeup_is_named_by_the_stall_explanation() {
    let out = run(
        "lost_wakeup",
        &[
            "--arrive-ms",
            "30",
            "--stall-ms",
            "150",
            "--rescue-ms",
            "700",
        ],
    );

    // The line that spawns the broken future, as the warning must name it.
    let source = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/lost_wakeup.rs"),
    )
    .unwrap();
    let line = source
        .lines()
        .position(|l| l.contains("rt.spawn(recv)") && l.contains("let mut task"))
        .expect("the broken run spawns with `let mut task = rt.spawn(recv)`")
        + 1;
    let named = format!("examples/lost_wakeup.rs:{line}:");
    let warning = out
        .lines()
        .find(|l| l.contains(&named))
        .unwrap_or_else(|| panic!("no stall warning naming {named} in:\n{out}"));
    assert!(warning.contains("no waker exists"), "{warning}");
    assert!(out.contains("ramen: stall:"), "{out}");

    let broken = check(&out, "broken");
    assert!(!flag(&broken, "received"), "{broken:?}");
    assert!(flag(&broken, "letter_waiting"), "{broken:?}");
    assert_eq!(num(&broken, "polls"), 1.0, "polled once, never again");
    assert!(num(&broken, "stall_warnings") >= 1.0);

    let fixed = check(&out, "fixed");
    assert!(flag(&fixed, "received"), "{fixed:?}");
    assert_eq!(
        num(&fixed, "polls"),
        2.0,
        "once before, once after the wake"
    );
    assert_eq!(num(&fixed, "stall_warnings"), 0.0);
}

#[test]
fn races_lose_updates_and_the_fixes_do_not() {
    let out = run(
        "race_condition",
        &[
            "--threads",
            "4",
            "--iters",
            "20000",
            "--tasks",
            "5",
            "--check",
        ],
    );
    // A lucky schedule may lose nothing: never assert the racy count is lower.
    let racy = check(&out, "threads_racy");
    assert!(num(&racy, "got") <= num(&racy, "expected"), "{racy:?}");
    assert!(num(&racy, "got") > 0.0);
    for exact in ["threads_fetch_add", "threads_mutex", "coro_counter"] {
        let m = check(&out, exact);
        assert_eq!(num(&m, "got"), num(&m, "expected"), "{exact}: {m:?}");
    }

    let coro = check(&out, "coro_racy");
    assert!(
        num(&coro, "approved") > num(&coro, "expected_approved"),
        "check-then-act across .await approves too much: {coro:?}"
    );
    assert_ne!(
        num(&coro, "balance"),
        num(&coro, "expected_balance"),
        "an update was lost: {coro:?}"
    );
    for fixed in ["coro_mutex", "coro_reserve"] {
        let m = check(&out, fixed);
        assert_eq!(
            num(&m, "approved"),
            num(&m, "expected_approved"),
            "{fixed}: {m:?}"
        );
        assert_eq!(
            num(&m, "balance"),
            num(&m, "expected_balance"),
            "{fixed}: {m:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn processes_survive_a_crash_and_report_three_round_trips() {
    let out = run("processes", &["--round-trips", "50"]);
    let m = check(&out, "processes");
    let status = &m["crash_status"];
    assert!(status.contains("signal 6"), "the child aborted: {m:?}");
    assert!(out.contains("parent: still running"), "{out}");
    assert!(num(&m, "spawn_us") > 0.0);
    assert!(num(&m, "pipe_us") > 0.0, "{m:?}");
    assert!(num(&m, "socket_us") > 0.0, "{m:?}");
    if cfg!(target_os = "linux") {
        assert!(num(&m, "shm_us") > 0.0, "{m:?}");
    } else {
        assert_eq!(m["shm_us"], "none");
    }
}
