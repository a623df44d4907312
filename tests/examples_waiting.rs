//! Runs the "waiting" learning examples (api_wait, sync_vs_async, ramen,
//! starvation, blocking) with small arguments and checks what they print.
//!
//! The examples' binaries are built by `cargo test` into
//! `target/<profile>/examples/`; run these tests through `cargo test` (or
//! `cargo build --examples` first). Assertions compare numbers the examples
//! print against each other (relations, not absolute times), with generous
//! margins for a loaded 2-core machine. The tests run one at a time (a lock)
//! so that one example's CPU loop does not skew another's timings.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long one example may run before the test kills it.
const TIME_LIMIT: Duration = Duration::from_secs(90);

mod example_bin;

/// The example's binary (`tests/example_bin`), with a note when its source
/// is newer than the build (`cargo test --test examples_waiting` alone does
/// not rebuild examples).
fn example_binary(name: &str) -> PathBuf {
    let bin = example_bin::example_binary(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    if let (Some(src), Some(built)) = (modified(&source), modified(&bin)) {
        if src > built {
            eprintln!(
                "note: {} is older than {}: `cargo test --test examples_waiting` does not \
                 rebuild examples; run `cargo test` or `cargo build --examples`",
                bin.display(),
                source.display()
            );
        }
    }
    bin
}

/// Runs an example to completion; returns (stdout, stderr). Fails the test
/// if it exits unsuccessfully or runs longer than `TIME_LIMIT`.
fn run_example(name: &str, args: &[&str]) -> (String, String) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bin = example_binary(name);
    let mut child = Command::new(&bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    // Drain the pipes on threads so a chatty example cannot fill them and hang.
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out_pipe, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err_pipe, &mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} {args:?} ran longer than {TIME_LIMIT:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "{name} {args:?} failed with {status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

/// The first line that starts with `prefix` (after indentation).
fn line_starting<'a>(output: &'a str, prefix: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{output}"))
}

/// The whole number right after `prefix` on its line, e.g. `ms_after(out,
/// "sequential total: ")` for `sequential total: 1503 ms`.
fn number_after(output: &str, prefix: &str) -> u64 {
    let line = line_starting(output, prefix);
    let rest = &line.trim_start()[prefix.len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {prefix:?} in line {line:?}"))
}

// ---------------------------------------------------------------------------
// api_wait
// ---------------------------------------------------------------------------

#[test]
fn api_wait_concurrent_total_is_less_than_half_the_sequential_total() {
    let (out, _) = run_example(
        "api_wait",
        &[
            "--calls",
            "4",
            "--latency-ms",
            "200",
            "--work-ms",
            "100",
            "--chunk-ms",
            "10",
        ],
    );
    let sequential = number_after(&out, "sequential total: ");
    let concurrent = number_after(&out, "concurrent total: ");
    // The server sleeps 200 ms per call: four calls in a row cannot be faster.
    assert!(sequential >= 4 * 200, "sequential {sequential} ms\n{out}");
    assert!(
        concurrent * 2 < sequential,
        "concurrent {concurrent} ms is not under half of sequential {sequential} ms\n{out}"
    );
    // Every call answered, in both runs.
    assert_eq!(out.matches("answered").count(), 8, "{out}");
    assert!(!out.contains("failed"), "{out}");
    // The speed-up, the timeline with named tasks, and the point.
    number_after(&out, "speed-up: ");
    assert!(out.contains("timeline: "), "{out}");
    for row in ["'call 1'", "'call 4'", "'cpu work'"] {
        assert!(out.contains(row), "timeline row {row} missing\n{out}");
    }
    assert!(out.contains('█'), "{out}");
    assert!(
        out.contains("coroutines don't make computation faster; they stop you waiting."),
        "{out}"
    );
}

#[test]
fn api_wait_writes_a_chrome_trace() {
    let path = std::env::temp_dir().join(format!("ramen-api-wait-{}.json", std::process::id()));
    let path_str = path.to_str().expect("utf-8 temp path");
    let (out, _) = run_example(
        "api_wait",
        &[
            "--calls",
            "2",
            "--latency-ms",
            "50",
            "--work-ms",
            "20",
            "--trace",
            path_str,
        ],
    );
    let json = std::fs::read_to_string(&path).expect("the trace file was written");
    let _ = std::fs::remove_file(&path);
    assert!(out.contains("trace written to"), "{out}");
    assert!(json.starts_with("{\"displayTimeUnit\""), "{json}");
    assert!(
        json.contains("call 2") && json.contains("\"ph\":\"B\""),
        "{json}"
    );
}

// ---------------------------------------------------------------------------
// sync_vs_async
// ---------------------------------------------------------------------------

#[test]
fn sync_vs_async_only_awaiting_together_overlaps_the_waits() {
    let (out, _) = run_example("sync_vs_async", &["--step-ms", "100"]);
    let sync = number_after(&out, "sync total: ");
    let one_by_one = number_after(&out, "async one-by-one total: ");
    let together = number_after(&out, "async concurrent total: ");
    // Three 100 ms waits in a row take at least 300 ms, sync or async.
    assert!(sync >= 300 && one_by_one >= 300, "{out}");
    assert!(
        together * 2 < sync,
        "together {together} ms vs sync {sync} ms\n{out}"
    );
    assert!(together >= 100, "{out}");
    // While awaiting, the thread was free for another task.
    let ticks = number_after(&out, "meanwhile: another task ticked ");
    assert!(ticks > 0, "{out}");
}

// ---------------------------------------------------------------------------
// starvation
// ---------------------------------------------------------------------------

/// `examples/<file>:<line>:` of the first source line containing `needle`.
fn source_location(file: &str, needle: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let source = std::fs::read_to_string(&path).expect("example source");
    let line = source
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not found in {file}"))
        + 1;
    format!("{file}:{line}:")
}

#[test]
fn starvation_names_the_hog_and_both_fixes_keep_the_heartbeat_on_time() {
    let (out, err) = run_example("starvation", &["--hog-ms", "500", "--tick-ms", "50"]);
    let frozen = number_after(&out, "max heartbeat delay [frozen]: ");
    let yielded = number_after(&out, "max heartbeat delay [yield_now]: ");
    let offloaded = number_after(&out, "max heartbeat delay [spawn_blocking]: ");
    assert!(frozen >= 100, "the hog should freeze the heartbeat\n{out}");
    assert!(
        yielded * 4 < frozen,
        "yield_now {yielded} ms vs frozen {frozen} ms\n{out}"
    );
    assert!(
        offloaded * 4 < frozen,
        "spawn_blocking {offloaded} ms vs frozen {frozen} ms\n{out}"
    );

    // The warning names the hog and the line that spawned it, on stdout
    // (from Runtime::warnings) and on stderr (printed by the runtime).
    let spawn_line = source_location("examples/starvation.rs", "Hog::NeverAwaits => hog.spawn(");
    let warning = line_starting(&out, "runtime warning [frozen]: ");
    assert!(warning.contains("slow poll"), "{warning}");
    assert!(warning.contains("'hog'"), "{warning}");
    assert!(
        warning.contains(&spawn_line),
        "the warning does not name {spawn_line}: {warning}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("slow poll") && l.contains(&spawn_line)),
        "stderr:\n{err}"
    );
    assert!(
        out.contains("runtime warnings [spawn_blocking]: none"),
        "{out}"
    );
    // The timeline of the frozen run shows both tasks.
    assert!(
        out.contains("'hog'") && out.contains("'heartbeat'") && out.contains('█'),
        "{out}"
    );
    // Runs 4 and 5: the channel drain (500 ms, a beat every 50 ms) lets the
    // heartbeat tick under the budget and freezes it when unconstrained.
    let budget = number_after(&out, "heartbeats during the drain [budget]: ");
    let unconstrained = number_after(&out, "heartbeats during the drain [unconstrained]: ");
    assert!(
        budget >= 4,
        "the drain starved the heartbeat: {budget} beats\n{out}"
    );
    assert_eq!(unconstrained, 0, "{out}");
}

// ---------------------------------------------------------------------------
// blocking
// ---------------------------------------------------------------------------

#[test]
fn blocking_calls_freeze_the_heartbeat_and_the_fixes_do_not() {
    let (out, err) = run_example("blocking", &["--block-ms", "300", "--tick-ms", "50"]);
    let delay = |label: &str| number_after(&out, &format!("max heartbeat delay [{label}]: "));
    let frozen = [delay("std::thread::sleep"), delay("std::net read")];
    let fixed = [
        delay("ramen::time::sleep"),
        delay("ramen::net::TcpStream"),
        delay("spawn_blocking"),
    ];
    // Each blocking wait lasts 300 ms and starts before the next beat is due.
    for f in frozen {
        assert!(f >= 150, "frozen {frozen:?}\n{out}");
    }
    let least_frozen = frozen.iter().min().copied().unwrap();
    for f in fixed {
        assert!(
            f * 4 < least_frozen,
            "fixed {fixed:?} vs frozen {frozen:?}\n{out}"
        );
    }
    // The detector names the worker for both blocking runs, and the
    // watchdog spoke while the blocking call was still running.
    for label in ["std::thread::sleep", "std::net read"] {
        let prefix = format!("runtime warning [{label}]: ");
        let warnings: Vec<&str> = out.lines().filter(|l| l.starts_with(&prefix)).collect();
        let slow = warnings
            .iter()
            .find(|w| w.contains("slow poll"))
            .unwrap_or_else(|| panic!("no slow-poll warning for {label}:\n{out}"));
        assert!(
            slow.contains("'worker'") && slow.contains("examples/blocking.rs:"),
            "{slow}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("watchdog") && w.contains("not returned yet")),
            "no watchdog warning for {label}:\n{out}"
        );
    }
    assert!(err.matches("slow poll").count() >= 2, "stderr:\n{err}");
    for label in ["ramen::net::TcpStream", "spawn_blocking"] {
        assert!(
            out.contains(&format!("runtime warnings [{label}]: none")),
            "{out}"
        );
    }
    // The socket runs really talked to the server.
    assert_eq!(out.matches("pong after 300 ms").count(), 3, "{out}");
}

// ---------------------------------------------------------------------------
// ramen
// ---------------------------------------------------------------------------

#[test]
fn ramen_prints_time_and_memory_for_each_size_and_caps_threads() {
    let (out, _) = run_example(
        "ramen",
        &[
            "--sizes",
            "10,200",
            "--max-threads",
            "100",
            "--boil-ms",
            "30",
        ],
    );
    // The single cook's timeline, one row per pot.
    assert!(out.contains("timeline: "), "{out}");
    assert!(out.contains("'pot 1'") && out.contains("'pot 10'"), "{out}");
    // Both kitchens for 10 pots; threads over the cap are skipped, not started.
    for prefix in [
        "[pots 10] one cook, 10 coroutines: ",
        "[pots 10] 10 cooks, 10 threads: ",
        "[pots 200] one cook, 200 coroutines: ",
    ] {
        let line = line_starting(&out, prefix);
        assert!(
            line.contains("wall") && line.contains("rss") && line.contains("virt"),
            "{line}"
        );
        // Every pot boiled for 30 ms: no kitchen can be done sooner.
        let wall = number_after(&out, &format!("{prefix}wall"));
        assert!(wall >= 30, "{line}");
    }
    let skipped = line_starting(&out, "[pots 200] 200 cooks, 200 threads: ");
    assert!(
        skipped.contains("skipped") && skipped.contains("cap of 100"),
        "{skipped}"
    );
    assert!(out.contains("projected from the 10-thread run"), "{out}");
    assert!(out.contains("why threads stop scaling"), "{out}");
}

/// `api_wait --explain`: the runtime narrates run 2. For one call, the
/// narration must tell, in this order: its poll left the waker in the
/// reactor for an fd; the loop waited in epoll_wait; that fd became readable
/// and woke the call; the call was polled again and finished.
#[test]
fn api_wait_explain_narrates_the_wait_the_wake_and_the_resume_in_order() {
    let (_, err) = run_example(
        "api_wait",
        &[
            "--calls",
            "2",
            "--latency-ms",
            "150",
            "--work-ms",
            "20",
            "--explain",
        ],
    );
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("[explain] "))
        .collect();
    let find = |from: usize, what: &dyn Fn(&str) -> bool, label: &str| -> usize {
        lines[from..]
            .iter()
            .position(|l| what(l))
            .map(|i| i + from)
            .unwrap_or_else(|| panic!("no {label} after line {from} in:\n{}", lines.join("\n")))
    };
    let parked = find(
        0,
        &|l| {
            l.contains("'call 1'")
                && l.contains("→ Pending: its waker now waits in the reactor for fd ")
        },
        "Pending poll of call 1 naming its fd",
    );
    let fd: String = lines[parked]
        .split("for fd ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let wait = find(
        parked,
        &|l| l.contains("no task ready") && l.contains("epoll_wait("),
        "reactor wait",
    );
    let wake = find(
        wait,
        &|l| l.contains(&format!("fd {fd} readable → wake task ")) && l.contains("'call 1'"),
        "the wake of call 1 by its fd",
    );
    let resume = find(
        wake,
        &|l| l.contains("poll task") && l.contains("'call 1' → Ready"),
        "call 1 resumed to Ready",
    );
    assert!(parked < wait && wait < wake && wake < resume);
}
