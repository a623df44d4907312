//! The whole comparison in one command, without criterion: every workload on
//! every contender, best-of-N in this process (contenders interleaved round by
//! round, so a burst of load on the shared machine hits them all alike), the
//! memory workloads in fresh child processes, syscalls counted under
//! `perf stat` (or `strace -c`, which slows everyone down), printed as one
//! markdown table.
//!
//! ```sh
//! cargo run -p ramen-benches --release --bin compare
//! ```
//! Lower is better in every row; `ramen÷best peer` divides ramen's number by
//! the best of tokio, smol and LocalPool (< 1: ramen is ahead). `threads` and
//! `floor` are reference points, not peers. No assertions: this is a report.
//!
//! Child modes (used by the parent; runnable by hand):
//! `compare child idle <ramen|tokio|smol|localpool|floor>`, `compare child threads`,
//! `compare child echo <ramen|tokio|smol|floor> <rounds>`,
//! `compare child channels` (only the unbounded and broadcast rows, quick).

use std::process::Command;
use std::time::{Duration, Instant};

use ramen_benches::{channels::*, echo::*, epoll_floor::echo_floor, executor::*, timers::*};

const COLS: [&str; 6] = ["ramen", "tokio", "smol", "LocalPool", "threads", "floor"];
const IDLE_TASKS: usize = 100_000;
const PARKED_THREADS: usize = 1_000;
const CONNS: usize = 100;
const ROUNDS: usize = 1_000;

/// One contender's run of a workload; returns the time to report.
type Run<'a> = Option<Box<dyn FnMut() -> Duration + 'a>>;

struct Row {
    workload: String,
    unit: &'static str,
    cells: [Option<f64>; 6],
}

fn timed<T>(mut f: impl FnMut() -> T) -> Duration {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed()
}

/// Best of `n` rounds per contender, interleaved; each cell = best / `per`.
fn race(workload: &str, unit: &'static str, n: usize, per: f64, mut runs: [Run; 6]) -> Row {
    let mut best = [None::<Duration>; 6];
    for _ in 0..n {
        for (run, b) in runs.iter_mut().zip(best.iter_mut()) {
            if let Some(run) = run {
                let d = run();
                *b = Some(b.map_or(d, |b: Duration| b.min(d)));
            }
        }
    }
    let cells = best.map(|b| b.map(|d| d.as_nanos() as f64 / per));
    eprintln!("  {workload}: {cells:?}");
    Row {
        workload: workload.into(),
        unit,
        cells,
    }
}

fn some<'a>(f: impl FnMut() -> Duration + 'a) -> Run<'a> {
    Some(Box::new(f))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        return child(&args[2..]);
    }
    let rt = ramen::Runtime::new().unwrap();
    let tk = ramen_benches::tokio_rt();
    let ex = ramen_benches::smol_ex();
    let (rt, tk) = (&rt, &tk);
    let load_before = loadavg();
    let mut rows = Vec::new();

    eprintln!("executor…");
    let (n, t) = (10_000u64, 1_000u64);
    rows.push(race(
        "spawn+join (10k tasks; threads: 1k)",
        "ns/task",
        30,
        1.0,
        [
            some(move || timed(|| spawn_join_ramen(rt, n)) / n as u32),
            some(move || timed(|| spawn_join_tokio(tk, n)) / n as u32),
            some(move || timed(|| spawn_join_smol(ex, n)) / n as u32),
            some(move || timed(|| spawn_join_local_pool(n)) / n as u32),
            some(move || timed(|| spawn_join_threads(t)) / t as u32),
            some(move || timed(|| spawn_join_floor(n)) / n as u32),
        ],
    ));
    let (tasks, ys) = (100u64, 1_000u64);
    rows.push(race(
        "yield (100 tasks × 1k)",
        "ns/yield",
        30,
        (tasks * ys) as f64,
        [
            some(move || timed(|| yield_ramen(rt, tasks, ys))),
            some(move || timed(|| yield_tokio(tk, tasks, ys))),
            some(move || timed(|| yield_smol(ex, tasks, ys))),
            some(move || timed(|| yield_local_pool(tasks, ys))),
            None,
            some(move || timed(|| yield_floor(tasks, ys))),
        ],
    ));
    let p = 100_000u64;
    rows.push(race(
        "remote wake (thread ↔ task, 100k)",
        "ns/round trip",
        3,
        p as f64,
        [
            some(move || timed(|| remote_wake_ramen(rt, p))),
            some(move || timed(|| remote_wake_tokio(tk, p))),
            some(move || timed(|| remote_wake_smol(ex, p))),
            some(move || timed(|| remote_wake_local_pool(p))),
            some(move || timed(|| remote_wake_threads(p))),
            None,
        ],
    ));

    eprintln!("sync…");
    let m = 1_000_000u64;
    rows.push(race(
        "mpsc (1M msgs, cap 128)",
        "ns/msg",
        3,
        m as f64,
        [
            some(move || timed(|| mpsc_ramen(rt, m, 128))),
            some(move || timed(|| mpsc_tokio(tk, m, 128))),
            None,
            some(move || timed(|| mpsc_local_pool(m, 128))),
            None,
            None,
        ],
    ));
    let r = 100_000u64;
    rows.push(race(
        "request/reply (mpsc+oneshot, 100k)",
        "ns/round trip",
        3,
        r as f64,
        [
            some(move || timed(|| reqrep_ramen(rt, r))),
            some(move || timed(|| reqrep_tokio(tk, r))),
            None,
            some(move || timed(|| reqrep_local_pool(r))),
            None,
            None,
        ],
    ));

    rows.extend(channel_rows(rt, tk));

    eprintln!("timers…");
    let ds = &durations(100_000);
    rows.push(race(
        "100k timers (1–100 ms), wall",
        "ms",
        3,
        1e6,
        [
            some(move || timers_ramen(rt, ds)),
            some(move || timers_tokio(tk, ds)),
            some(move || timers_smol(ex, ds)),
            None,
            None,
            some(move || timers_floor(ds)),
        ],
    ));

    eprintln!("echo…");
    let trips = (CONNS * ROUNDS) as f64;
    rows.push(race(
        "TCP echo (100 conns × 1k × 64 B)",
        "ns/round trip",
        5,
        trips,
        [
            some(move || timed(|| echo_ramen(rt, CONNS, ROUNDS))),
            some(move || timed(|| echo_tokio(tk, CONNS, ROUNDS))),
            some(move || timed(|| echo_smol(ex, CONNS, ROUNDS))),
            None,
            None,
            some(move || timed(|| echo_floor(CONNS, ROUNDS))),
        ],
    ));
    let (counter, syscalls) = syscalls_per_round_trip();
    rows.push(Row {
        workload: format!("TCP echo syscalls ({counter})"),
        unit: "syscalls/round trip",
        cells: syscalls,
    });

    eprintln!("memory (fresh processes)…");
    let idle = ["ramen", "tokio", "smol", "localpool"].map(|r| child_pair(&["idle", r]));
    let threads = child_pair(&["threads"]);
    let floor = child_pair(&["idle", "floor"]);
    let cell = |i: usize, f: fn((f64, f64)) -> f64| {
        [idle[0], idle[1], idle[2], idle[3], threads, floor].map(|x| x.map(f))[i]
    };
    rows.push(Row {
        workload: "idle task (100k; threads: 1k parked), RSS".into(),
        unit: "B/task",
        cells: std::array::from_fn(|i| cell(i, |x| x.0)),
    });
    rows.push(Row {
        workload: "idle task, virtual size".into(),
        unit: "B/task",
        cells: std::array::from_fn(|i| cell(i, |x| x.1)),
    });

    print_table(&rows, load_before);
}

/// `(resident, virtual)` bytes per task from `compare child …args` in a fresh process.
fn child_pair(args: &[&str]) -> Option<(f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).arg("child").args(args).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some((it.next()??, it.next()??))
}

/// Counts syscalls of `compare child echo <rt> <rounds>`, minus the same with
/// 0 rounds (setup), per round trip. Returns the counter used and the cells.
fn syscalls_per_round_trip() -> (&'static str, [Option<f64>; 6]) {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let perf_ok = Command::new("perf")
        .args(["stat", "-e", "raw_syscalls:sys_enter", "-x,", "true"])
        .output()
        .is_ok_and(|o| o.status.success() && count_perf(&o.stderr).is_some());
    let strace_ok = !perf_ok
        && Command::new("strace")
            .args(["-c", "-f", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
    let count = |rtname: &str, rounds: usize| -> Option<f64> {
        let rounds = rounds.to_string();
        let child = [exe, "child", "echo", rtname, &rounds];
        if perf_ok {
            let o = Command::new("perf")
                .args(["stat", "-e", "raw_syscalls:sys_enter", "-x,", "--"])
                .args(child)
                .output()
                .ok()?;
            count_perf(&o.stderr)
        } else if strace_ok {
            let o = Command::new("strace")
                .args(["-c", "-f", "-o", "/dev/stderr"])
                .args(child)
                .output()
                .ok()?;
            count_strace(&o.stderr)
        } else {
            None
        }
    };
    let name = if perf_ok {
        "perf"
    } else if strace_ok {
        "strace: slows all"
    } else {
        "n/a"
    };
    let per =
        |rtname: &str| Some((count(rtname, ROUNDS)? - count(rtname, 0)?) / (CONNS * ROUNDS) as f64);
    (
        name,
        [
            per("ramen"),
            per("tokio"),
            per("smol"),
            None,
            None,
            per("floor"),
        ],
    )
}

fn count_perf(stderr: &[u8]) -> Option<f64> {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().find(|l| l.contains("raw_syscalls:sys_enter"))?;
    line.split(',').next()?.trim().parse().ok()
}

fn count_strace(stderr: &[u8]) -> Option<f64> {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().find(|l| l.trim_end().ends_with("total"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn child(args: &[String]) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["idle", rt] => {
            let (rss, vsz) = ramen_benches::memory::idle_tasks(rt, IDLE_TASKS);
            println!("{rss} {vsz}");
            std::process::exit(0); // skip tearing down 100k tasks
        }
        ["threads"] => {
            let (rss, vsz) = ramen_benches::memory::parked_threads(PARKED_THREADS);
            println!("{rss} {vsz}");
        }
        ["echo", rtname, rounds] => {
            let rounds: usize = rounds.parse().unwrap();
            let done = match *rtname {
                "ramen" => echo_ramen(&ramen::Runtime::new().unwrap(), CONNS, rounds),
                "tokio" => echo_tokio(&ramen_benches::tokio_rt(), CONNS, rounds),
                "smol" => echo_smol(ramen_benches::smol_ex(), CONNS, rounds),
                "floor" => echo_floor(CONNS, rounds),
                other => panic!("unknown runtime {other:?}"),
            };
            assert_eq!(done, CONNS * rounds);
        }
        ["profile", what, rtname, iters] => profile(what, rtname, iters.parse().unwrap()),
        ["channels"] => {
            let rt = ramen::Runtime::new().unwrap();
            let tk = ramen_benches::tokio_rt();
            print_table(&channel_rows(&rt, &tk), loadavg());
        }
        _ => panic!(
            "usage: compare child idle <rt> | threads | echo <rt> <rounds> | \
             profile <what> <rt> <iters> | channels"
        ),
    }
}

/// The newer channel rows: `unbounded` send/recv and `broadcast` fan-out,
/// ramen against tokio. Also runnable alone: `compare child channels`.
fn channel_rows(rt: &ramen::Runtime, tk: &tokio::runtime::Runtime) -> Vec<Row> {
    let m = 1_000_000u64;
    let b = 100_000u64;
    let per_delivery = (b * BCAST_RX as u64) as f64;
    vec![
        race(
            "unbounded mpsc (1M msgs)",
            "ns/msg",
            3,
            m as f64,
            [
                some(move || timed(|| unbounded_ramen(rt, m))),
                some(move || timed(|| unbounded_tokio(tk, m))),
                None,
                None,
                None,
                None,
            ],
        ),
        race(
            "broadcast fan-out (1→16, 100k msgs, cap 256)",
            "ns/delivery",
            3,
            per_delivery,
            [
                some(move || timed(|| broadcast_ramen(rt, b))),
                some(move || timed(|| broadcast_tokio(tk, b))),
                None,
                None,
                None,
                None,
            ],
        ),
    ]
}

/// Runs one workload `iters` times on ramen or tokio (smol: spawn), for `perf record`,
/// `strace -c` or callgrind: `what` is spawn, yield, remote, timers, mpsc or echo.
fn profile(what: &str, rtname: &str, iters: usize) {
    let (rt, tk) = (ramen::Runtime::new().unwrap(), ramen_benches::tokio_rt());
    let ds = durations(100_000);
    for _ in 0..iters {
        match (what, rtname) {
            ("spawn", "ramen") => drop(spawn_join_ramen(&rt, 10_000)),
            ("spawn", "tokio") => drop(spawn_join_tokio(&tk, 10_000)),
            ("spawn", "smol") => drop(spawn_join_smol(ramen_benches::smol_ex(), 10_000)),
            ("yield", "ramen") => yield_ramen(&rt, 100, 1_000),
            ("yield", "tokio") => yield_tokio(&tk, 100, 1_000),
            ("remote", "ramen") => drop(remote_wake_ramen(&rt, 100_000)),
            ("remote", "tokio") => drop(remote_wake_tokio(&tk, 100_000)),
            ("timers", "ramen") => drop(timers_ramen(&rt, &ds)),
            ("timers", "tokio") => drop(timers_tokio(&tk, &ds)),
            ("mpsc", "ramen") => drop(mpsc_ramen(&rt, 1_000_000, 128)),
            ("mpsc", "tokio") => drop(mpsc_tokio(&tk, 1_000_000, 128)),
            ("echo", "ramen") => drop(echo_ramen(&rt, CONNS, ROUNDS)),
            ("echo", "tokio") => drop(echo_tokio(&tk, CONNS, ROUNDS)),
            _ => panic!("profile: unknown {what} {rtname}"),
        }
    }
}

fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn fmt(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn print_table(rows: &[Row], load_before: String) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "`cargo run -p ramen-benches --release --bin compare` — {date}, {nproc} × {model}, load average {load_before} (before) / {} (after)\n",
        loadavg()
    );
    println!(
        "| workload | unit | {} | ramen÷best peer |",
        COLS.join(" | ")
    );
    println!("|---|---|{}---|", "---:|".repeat(COLS.len()));
    for r in rows {
        let peers = r.cells[1..4]
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let ratio = match r.cells[0] {
            Some(x) if peers.is_finite() && peers > 0.0 => format!("{:.2}", x / peers),
            _ => "–".into(),
        };
        let cells: Vec<String> = r.cells.iter().map(|&c| fmt(c)).collect();
        println!(
            "| {} | {} | {} | {ratio} |",
            r.workload,
            r.unit,
            cells.join(" | ")
        );
    }
}
