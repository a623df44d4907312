//! # multicore — past one core: one loop, a loop per core, or loops sharing a lock
//!
//! ```text
//! cargo run --release --example multicore
//! cargo run --release --example multicore -- --requests 40000 --workers 4
//! ```
//!
//! The study note's nginx chapter: *a few workers, each an event loop*. One
//! ramen runtime is one thread, so it uses one core; a second core needs a
//! second loop. This example runs the same request mix three ways and prints
//! them side by side:
//!
//! 1. **one loop**: 64 concurrent tasks on one runtime;
//! 2. **a loop per core, sharing nothing** (`ramen::workers(n)`, as nginx's
//!    workers): the same tasks split over `n` runtimes, each with its own
//!    counters map;
//! 3. **loops sharing one map** behind a `std::sync::Mutex`: the same as 2,
//!    but every request updates one map that all workers share.
//!
//! A request is: a round trip over a Unix socket pair (real I/O through the
//! reactor), `--cpu-us` of computing, and an update of a counters map (in
//! mode 3 that update, plus a little bookkeeping, happens while holding the
//! lock, as shared state usually is).
//!
//! **What to look for:** requests per second (2 should be close to `n`× 1 when
//! the machine has `n` free cores), CPU time per request (about the same in 1
//! and 2: the work did not change, it was spread), and in 3 the time lost
//! waiting for the lock, which eats into the gain. The reading: nginx scales
//! by running one loop per core that share nothing (2); redis keeps one loop
//! and one thread precisely so its data needs no lock at all (1, made fast);
//! kafka partitions its data so each partition has one owner, which is 2
//! again. 3 is what happens when loops share mutable state: correct, but the
//! lock serialises the part of the work it covers.

#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/flags.rs"]
mod flags;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::UnixStream;

const USAGE: &str = "usage: multicore [--requests N] [--workers N] [--cpu-us N]";
/// Concurrent tasks in all, in every mode (split over the workers).
const TASKS: usize = 64;
/// Keys of the counters map.
const KEYS: u64 = 1024;

struct Args {
    requests: usize,
    workers: usize,
    cpu_us: u64,
}

/// What one mode measured.
struct Run {
    requests: usize,
    wall: Duration,
    cpu: Duration,
    lock_wait: Duration,
    /// Sum of all counters afterwards: must equal `requests`.
    counted: u64,
}

/// Where a request records itself.
#[derive(Clone)]
enum Map {
    /// This task's runtime has its own map (a `Rc<RefCell>` would do; a
    /// per-task map keeps the example short and is what "share nothing" is).
    Own,
    Shared(Arc<Mutex<HashMap<u64, u64>>>),
}

fn main() {
    let mut args = Args {
        requests: 20_000,
        workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        cpu_us: 20,
    };
    flags::parse("multicore", USAGE, &[], |flag, value| {
        let n: usize = value
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or(format!("{flag}: expected a positive number, got {value:?}"))?;
        match flag {
            "--requests" => args.requests = n.max(TASKS),
            "--workers" => args.workers = n.min(64),
            "--cpu-us" => args.cpu_us = n as u64,
            _ => return Err(format!("unknown option {flag}")),
        }
        Ok(())
    });
    let per_us = cpu::iterations_per_ms().div_ceil(1000).max(1);
    let work = per_us * args.cpu_us;
    println!(
        "multicore: {} requests (a Unix-socket round trip + {} µs of computing + a map update), \
         {TASKS} concurrent tasks, {} workers\n",
        args.requests, args.cpu_us, args.workers
    );
    let one = measure(|| one_loop(args.requests, work));
    report("1. one loop (1 thread)", &one, None);
    let own = measure(|| per_core(&args, work, Map::Own));
    report("2. a loop per core, sharing nothing", &own, Some(&one));
    let shared_map = Arc::new(Mutex::new(HashMap::new()));
    let shared = measure(|| per_core(&args, work, Map::Shared(shared_map.clone())));
    report("3. loops sharing one Mutex<HashMap>", &shared, Some(&one));
    println!(
        "\nreading: 2 spreads the same work over {} cores (nginx's workers, kafka's partitions); \
         1 is redis's choice (one thread, no lock at all); 3 pays for sharing: {:.1} ms waiting for \
         the lock.",
        args.workers,
        shared.lock_wait.as_secs_f64() * 1e3
    );
    println!(
        "check multicore: requests={} one={} own={} shared={} shared_lock_wait_us={}",
        args.requests,
        one.counted,
        own.counted,
        shared.counted,
        shared.lock_wait.as_micros()
    );
}

/// Runs `f` and adds the wall and process CPU time it took.
fn measure(f: impl FnOnce() -> (usize, Duration, u64)) -> Run {
    let (cpu0, t0) = (process_cpu_time(), Instant::now());
    let (requests, lock_wait, counted) = f();
    Run {
        requests,
        wall: t0.elapsed(),
        cpu: process_cpu_time().saturating_sub(cpu0),
        lock_wait,
        counted,
    }
}

fn report(label: &str, run: &Run, base: Option<&Run>) {
    let per_sec = run.requests as f64 / run.wall.as_secs_f64();
    let cpu_us = run.cpu.as_secs_f64() * 1e6 / run.requests as f64;
    let speedup = base.map_or(String::new(), |b| {
        format!(
            "  ({:.2}× mode 1)",
            b.wall.as_secs_f64() / run.wall.as_secs_f64()
        )
    });
    println!(
        "{label:<40} {per_sec:>9.0} req/s  {cpu_us:>6.1} µs CPU/request  lock wait {:>7.1} ms{speedup}",
        run.lock_wait.as_secs_f64() * 1e3
    );
}

/// Mode 1: every task on this thread's runtime.
fn one_loop(requests: usize, work: u64) -> (usize, Duration, u64) {
    ramen::block_on(tasks(requests, TASKS, work, Map::Own))
}

/// Modes 2 and 3: `args.workers` runtimes, the tasks and requests split.
fn per_core(args: &Args, work: u64, map: Map) -> (usize, Duration, u64) {
    let n = args.workers;
    let results = ramen::workers(n)
        .run(|worker| {
            let i = worker.index();
            let requests = args.requests / n + usize::from(i < args.requests % n);
            let tasks_here = (TASKS / n).max(1);
            tasks(requests, tasks_here, work, map.clone())
        })
        .expect("workers");
    let mut total = (0, Duration::ZERO, 0);
    for (r, w, c) in results {
        total = (total.0 + r, total.1 + w, total.2 + c);
    }
    if let Map::Shared(m) = &map {
        // The shared map saw every request of every worker.
        total.2 = m.lock().unwrap().values().sum();
    }
    total
}

/// `requests` requests over `tasks` tasks on the current runtime; returns
/// (requests, time spent waiting for the shared lock, own counters' sum).
async fn tasks(requests: usize, tasks: usize, work: u64, map: Map) -> (usize, Duration, u64) {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let mine = requests / tasks + usize::from(t < requests % tasks);
        let map = map.clone();
        handles.push(ramen::spawn(async move {
            let (mut a, mut b) = UnixStream::pair().expect("socket pair");
            let mut own: HashMap<u64, u64> = HashMap::new();
            let mut waited = Duration::ZERO;
            let mut byte = [0u8; 1];
            for r in 0..mine {
                // I/O: a round trip through the reactor.
                a.write_all(b"x").await.expect("write");
                b.read_exact(&mut byte).await.expect("read");
                // Computing.
                let x = cpu::crunch(work, r as u64);
                let key = x % KEYS;
                match &map {
                    Map::Own => *own.entry(key).or_default() += 1,
                    Map::Shared(m) => {
                        let asked = Instant::now();
                        let mut m = m.lock().expect("no panics hold it");
                        waited += asked.elapsed();
                        *m.entry(key).or_default() += 1;
                        // Bookkeeping under the lock, as shared state tends to get.
                        std::hint::black_box(cpu::crunch(work / 10, x));
                    }
                }
            }
            (waited, own.values().sum::<u64>())
        }));
    }
    let (mut waited, mut counted) = (Duration::ZERO, 0);
    for h in handles {
        let (w, c) = h.await.expect("task");
        waited += w;
        counted += c;
    }
    (requests, waited, counted)
}

/// CPU time of the whole process (all threads): `CLOCK_PROCESS_CPUTIME_ID`.
fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // every supported Unix defines. On failure `ts` stays zero.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
