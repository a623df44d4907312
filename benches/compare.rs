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
//! the best of tokio, smol, LocalPool and monoio on either driver (< 1: ramen
//! is ahead). `threads` and `floor` are reference points, not peers. An empty
//! cell (–) is a workload the contender has no piece for; `n/a` is a contender
//! that cannot run on this machine (monoio's io_uring driver where the kernel
//! or the sandbox refuses io_uring; `MONOIO_FORCE_LEGACY_DRIVER=1` shows that
//! case), with the reason under the table. No assertions: this is a report.
//!
//! Child modes (used by the parent; runnable by hand; `<monoio>` is
//! `monoio-uring` or `monoio-epoll`):
//! `compare child idle <ramen|tokio|smol|<monoio>|localpool|floor>`, `compare child threads`,
//! `compare child echo <ramen|tokio|smol|<monoio>|floor> <rounds>`,
//! `compare child channels` (only the unbounded and broadcast rows, quick).

use std::process::Command;
use std::time::{Duration, Instant};

use ramen_benches::Monoio;
#[path = "compare/syscalls.rs"]
mod syscalls;
#[path = "compare/table.rs"]
mod table;
use ramen_benches::{channels::*, echo::*, epoll_floor::echo_floor, executor::*, timers::*};
use syscalls::syscalls_per_round_trip;
use table::{loadavg, print_table};

/// The table's columns, in this order; [`PEERS`] are the ones ramen is divided by.
const COLS: [&str; 8] = [
    "ramen",
    "tokio",
    "smol",
    "LocalPool",
    "monoio-uring",
    "monoio-epoll",
    "threads",
    "floor",
];
const PEERS: std::ops::Range<usize> = 1..6;
/// monoio's two drivers: their column names, which are also their child-mode names.
const MONOIO: [&str; 2] = ["monoio-uring", "monoio-epoll"];
const MONOIO_COL: usize = 4;
/// A cell whose contender cannot run here (printed `n/a`; the reason is under the table).
const NA: f64 = f64::NAN;
const IDLE_TASKS: usize = 100_000;
const PARKED_THREADS: usize = 1_000;
const CONNS: usize = 100;
const ROUNDS: usize = 1_000;

/// One contender's run of a workload; returns the time to report, or `None`
/// if the contender cannot run on this machine (the cell becomes [`NA`]).
type Run<'a> = Option<Box<dyn FnMut() -> Option<Duration> + 'a>>;

/// One workload's runs, by contender; a contender left out is an empty cell.
#[derive(Default)]
struct Runs<'a> {
    ramen: Run<'a>,
    tokio: Run<'a>,
    smol: Run<'a>,
    local_pool: Run<'a>,
    monoio: [Run<'a>; 2],
    threads: Run<'a>,
    floor: Run<'a>,
}

impl<'a> Runs<'a> {
    /// In [`COLS`] order.
    fn into_columns(self) -> [Run<'a>; 8] {
        let [uring, epoll] = self.monoio;
        [
            self.ramen,
            self.tokio,
            self.smol,
            self.local_pool,
            uring,
            epoll,
            self.threads,
            self.floor,
        ]
    }
}

struct Row {
    workload: String,
    unit: &'static str,
    cells: [Option<f64>; 8],
    /// A peer column left out of this row's `ramen÷best peer` (said in a note).
    not_peer: Option<usize>,
}

fn timed<T>(mut f: impl FnMut() -> T) -> Duration {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed()
}

/// Best of `n` rounds per contender, interleaved; each cell = best / `per`.
fn race(workload: &str, unit: &'static str, n: usize, per: f64, runs: Runs) -> Row {
    let mut runs = runs.into_columns();
    let mut best = [None::<Option<Duration>>; 8];
    for _ in 0..n {
        for (run, b) in runs.iter_mut().zip(best.iter_mut()) {
            if let Some(run) = run {
                let d = run();
                *b = Some(match (*b, d) {
                    (Some(Some(b)), Some(d)) => Some(b.min(d)),
                    (_, d) => d,
                });
            }
        }
    }
    let cells = best.map(|b| b.map(|d| d.map_or(NA, |d| d.as_nanos() as f64 / per)));
    eprintln!("  {workload}: {cells:?}");
    Row {
        workload: workload.into(),
        unit,
        cells,
        not_peer: None,
    }
}

fn some<'a>(mut f: impl FnMut() -> Duration + 'a) -> Run<'a> {
    Some(Box::new(move || Some(f())))
}

/// monoio's two runs of a workload, one per driver; a driver that could not
/// start (`Err`) runs nothing and reports [`NA`].
fn monoio<'a>(
    rts: &'a [Result<Monoio, String>; 2],
    f: impl Fn(&'a Monoio) -> Duration + Copy + 'a,
) -> [Run<'a>; 2] {
    rts.each_ref()
        .map(|rt| -> Run<'a> { Some(Box::new(move || rt.as_ref().ok().map(f))) })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        return child(&args[2..]);
    }
    let rt = ramen::Runtime::new().unwrap();
    let tk = ramen_benches::tokio_rt();
    let ex = ramen_benches::smol_ex();
    let mono = MONOIO.map(Monoio::new);
    let (rt, tk, mono) = (&rt, &tk, &mono);
    let load_before = loadavg();
    let mut rows = Vec::new();

    eprintln!("executor…");
    let (n, t) = (10_000u64, 1_000u64);
    rows.push(race(
        "spawn+join (10k tasks; threads: 1k)",
        "ns/task",
        30,
        1.0,
        Runs {
            ramen: some(move || timed(|| spawn_join_ramen(rt, n)) / n as u32),
            tokio: some(move || timed(|| spawn_join_tokio(tk, n)) / n as u32),
            smol: some(move || timed(|| spawn_join_smol(ex, n)) / n as u32),
            local_pool: some(move || timed(|| spawn_join_local_pool(n)) / n as u32),
            monoio: monoio(mono, move |m| timed(|| spawn_join_monoio(m, n)) / n as u32),
            threads: some(move || timed(|| spawn_join_threads(t)) / t as u32),
            floor: some(move || timed(|| spawn_join_floor(n)) / n as u32),
        },
    ));
    let (tasks, ys) = (100u64, 1_000u64);
    rows.push(race(
        "yield (100 tasks × 1k)",
        "ns/yield",
        30,
        (tasks * ys) as f64,
        Runs {
            ramen: some(move || timed(|| yield_ramen(rt, tasks, ys))),
            tokio: some(move || timed(|| yield_tokio(tk, tasks, ys))),
            smol: some(move || timed(|| yield_smol(ex, tasks, ys))),
            local_pool: some(move || timed(|| yield_local_pool(tasks, ys))),
            monoio: monoio(mono, move |m| timed(|| yield_monoio(m, tasks, ys))),
            floor: some(move || timed(|| yield_floor(tasks, ys))),
            ..Runs::default()
        },
    ));
    let p = 100_000u64;
    rows.push(race(
        "remote wake (thread ↔ task, 100k)",
        "ns/round trip",
        3,
        p as f64,
        Runs {
            ramen: some(move || timed(|| remote_wake_ramen(rt, p))),
            tokio: some(move || timed(|| remote_wake_tokio(tk, p))),
            smol: some(move || timed(|| remote_wake_smol(ex, p))),
            local_pool: some(move || timed(|| remote_wake_local_pool(p))),
            threads: some(move || timed(|| remote_wake_threads(p))),
            ..Runs::default()
        },
    ));

    eprintln!("sync…");
    let m = 1_000_000u64;
    rows.push(race(
        "mpsc (1M msgs, cap 128)",
        "ns/msg",
        3,
        m as f64,
        Runs {
            ramen: some(move || timed(|| mpsc_ramen(rt, m, 128))),
            tokio: some(move || timed(|| mpsc_tokio(tk, m, 128))),
            local_pool: some(move || timed(|| mpsc_local_pool(m, 128))),
            ..Runs::default()
        },
    ));
    let r = 100_000u64;
    rows.push(race(
        "request/reply (mpsc+oneshot, 100k)",
        "ns/round trip",
        3,
        r as f64,
        Runs {
            ramen: some(move || timed(|| reqrep_ramen(rt, r))),
            tokio: some(move || timed(|| reqrep_tokio(tk, r))),
            local_pool: some(move || timed(|| reqrep_local_pool(r))),
            ..Runs::default()
        },
    ));

    rows.extend(channel_rows(rt, tk));

    eprintln!("timers…");
    let ds = &durations(100_000);
    for (name, w) in [
        ("100k timers (1–100 ms), wall", Deadline::AtCreation),
        ("100k timers, deadlines from one start", Deadline::FromStart),
    ] {
        rows.push(race(
            name,
            "ms",
            3,
            1e6,
            Runs {
                ramen: some(move || timers_ramen(rt, ds, w)),
                tokio: some(move || timers_tokio(tk, ds, w)),
                smol: some(move || timers_smol(ex, ds, w)),
                monoio: monoio(mono, move |m| timers_monoio(m, ds, w)),
                floor: some(move || timers_floor(ds)),
                ..Runs::default()
            },
        ));
    }

    eprintln!("echo…");
    let trips = (CONNS * ROUNDS) as f64;
    rows.push(race(
        "TCP echo (100 conns × 1k × 64 B)",
        "ns/round trip",
        4, // best of 4, not 5: six contenders × 4 keeps the run about as long as four × 5
        trips,
        Runs {
            ramen: some(move || timed(|| echo_ramen(rt, CONNS, ROUNDS))),
            tokio: some(move || timed(|| echo_tokio(tk, CONNS, ROUNDS))),
            smol: some(move || timed(|| echo_smol(ex, CONNS, ROUNDS))),
            monoio: monoio(mono, move |m| timed(|| echo_monoio(m, CONNS, ROUNDS))),
            floor: some(move || timed(|| echo_floor(CONNS, ROUNDS))),
            ..Runs::default()
        },
    ));
    let (counter, syscalls) = syscalls_per_round_trip(mono);
    rows.push(Row {
        workload: format!("TCP echo syscalls ({counter})"),
        unit: "syscalls/round trip",
        cells: syscalls,
        not_peer: Some(MONOIO_COL),
    });

    eprintln!("memory (fresh processes)…");
    let cells: [Option<(f64, f64)>; 8] = std::array::from_fn(|i| match COLS[i] {
        _ if unavailable(mono, i) => Some((NA, NA)),
        "threads" => child_pair(&["threads"]),
        col => child_pair(&["idle", &col.to_lowercase()]),
    });
    rows.push(Row {
        workload: "idle task (100k; threads: 1k parked), RSS".into(),
        unit: "B/task",
        cells: cells.map(|x| x.map(|x| x.0)),
        not_peer: None,
    });
    rows.push(Row {
        workload: "idle task, virtual size".into(),
        unit: "B/task",
        cells: cells.map(|x| x.map(|x| x.1)),
        not_peer: None,
    });

    let mut notes: Vec<String> = MONOIO
        .iter()
        .zip(mono)
        .filter_map(|(name, rt)| {
            rt.as_ref()
                .err()
                .map(|e| format!("`{name}`: n/a here: {e}"))
        })
        .collect();
    if mono[0].is_ok() {
        notes.push(
            "`monoio-uring` syscalls: one `io_uring_enter` submits and reaps a whole loop \
             turn's reads and writes, so its count is per turn, not per operation; that \
             row's `ramen÷best peer` leaves it out."
                .into(),
        );
    }
    print_table(&rows, load_before, &notes);
}

/// Whether column `i` is a monoio driver that could not start here.
fn unavailable(mono: &[Result<Monoio, String>; 2], i: usize) -> bool {
    i.checked_sub(MONOIO_COL)
        .and_then(|k| mono.get(k))
        .is_some_and(Result::is_err)
}

/// `(resident, virtual)` bytes per task from `compare child …args` in a fresh process.
fn child_pair(args: &[&str]) -> Option<(f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe).arg("child").args(args).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some((it.next()??, it.next()??))
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
                "monoio-uring" | "monoio-epoll" => {
                    let rt = Monoio::new(rtname).unwrap_or_else(|e| panic!("{rtname}: {e}"));
                    echo_monoio(&rt, CONNS, rounds)
                }
                "floor" => echo_floor(CONNS, rounds),
                other => panic!("unknown runtime {other:?}"),
            };
            assert_eq!(done, CONNS * rounds);
        }
        ["profile", what, rtname, iters] => profile(what, rtname, iters.parse().unwrap()),
        ["channels"] => {
            let rt = ramen::Runtime::new().unwrap();
            let tk = ramen_benches::tokio_rt();
            print_table(&channel_rows(&rt, &tk), loadavg(), &[]);
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
            Runs {
                ramen: some(move || timed(|| unbounded_ramen(rt, m))),
                tokio: some(move || timed(|| unbounded_tokio(tk, m))),
                ..Runs::default()
            },
        ),
        race(
            "broadcast fan-out (1→16, 100k msgs, cap 256)",
            "ns/delivery",
            3,
            per_delivery,
            Runs {
                ramen: some(move || timed(|| broadcast_ramen(rt, b))),
                tokio: some(move || timed(|| broadcast_tokio(tk, b))),
                ..Runs::default()
            },
        ),
    ]
}

/// Runs one workload `iters` times on ramen or tokio (smol: spawn; monoio-uring,
/// monoio-epoll: spawn, timers, echo), for `perf record`, `strace -c` or
/// callgrind: `what` is spawn, yield, remote, timers, mpsc or echo.
fn profile(what: &str, rtname: &str, iters: usize) {
    let (rt, tk) = (ramen::Runtime::new().unwrap(), ramen_benches::tokio_rt());
    let mono = || Monoio::new(rtname).unwrap_or_else(|e| panic!("{rtname}: {e}"));
    let mono = rtname.starts_with("monoio").then(mono);
    let ds = durations(100_000);
    for _ in 0..iters {
        if let Some(m) = &mono {
            match what {
                "spawn" => drop(spawn_join_monoio(m, 10_000)),
                "timers" => drop(timers_monoio(m, &ds, Deadline::AtCreation)),
                "echo" => drop(echo_monoio(m, CONNS, ROUNDS)),
                _ => panic!("profile: unknown {what} {rtname}"),
            }
            continue;
        }
        match (what, rtname) {
            ("spawn", "ramen") => drop(spawn_join_ramen(&rt, 10_000)),
            ("spawn", "tokio") => drop(spawn_join_tokio(&tk, 10_000)),
            ("spawn", "smol") => drop(spawn_join_smol(ramen_benches::smol_ex(), 10_000)),
            ("yield", "ramen") => yield_ramen(&rt, 100, 1_000),
            ("yield", "tokio") => yield_tokio(&tk, 100, 1_000),
            ("remote", "ramen") => drop(remote_wake_ramen(&rt, 100_000)),
            ("remote", "tokio") => drop(remote_wake_tokio(&tk, 100_000)),
            ("timers", "ramen") => drop(timers_ramen(&rt, &ds, Deadline::AtCreation)),
            ("timers", "tokio") => drop(timers_tokio(&tk, &ds, Deadline::AtCreation)),
            ("mpsc", "ramen") => drop(mpsc_ramen(&rt, 1_000_000, 128)),
            ("mpsc", "tokio") => drop(mpsc_tokio(&tk, 1_000_000, 128)),
            ("echo", "ramen") => drop(echo_ramen(&rt, CONNS, ROUNDS)),
            ("echo", "tokio") => drop(echo_tokio(&tk, CONNS, ROUNDS)),
            _ => panic!("profile: unknown {what} {rtname}"),
        }
    }
}
