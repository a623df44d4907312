//! Race conditions: threads lose updates; coroutines can still race *logically*.
//!
//! §2 of the study note: threads share globals, so two threads updating one
//! counter lose updates — a race condition. This example makes that visible
//! without undefined behaviour, then shows what changes with coroutines.
//!
//! **Threads** (`--threads` threads, `--iters` increments each):
//! - *racy*: `let v = c.load(Relaxed); c.store(v + 1, Relaxed)`. Every access
//!   is atomic (so no UB, no torn values), but the read-modify-write is not:
//!   two threads read 41, both write 42, one increment is lost;
//! - *`fetch_add`*: one indivisible read-modify-write: exact;
//! - *`std::sync::Mutex`*: read and write under a lock: exact.
//!
//! **Coroutines** (`--tasks` tasks on one ramen thread, sharing `Rc<Cell<_>>`):
//! - `c.set(c.get() + 1)` never loses anything: one thread, and a task can
//!   only be switched out at an `.await` — there is no data race to have;
//! - but **check-then-act across an `.await`** still races: each task checks
//!   the balance, awaits an "approval" (a 1 ms sleep), then writes
//!   `seen - amount`. While it waits, the others check the same old balance.
//!   More withdrawals are approved than the money allows, and the final
//!   balance forgets some of them (lost updates without any thread);
//! - fix 1: hold a `ramen::sync::Mutex` guard across the `.await`;
//! - fix 2: no `.await` between check and act (reserve the money first, then
//!   wait for the approval).
//!
//! ```sh
//! cargo run --example race_condition
//! cargo run --release --example race_condition -- --threads 4 --iters 1000000 --tasks 10
//! ```
//!
//! **What to look for:** the racy thread count is usually below the expected
//! total (it can equal it on a lucky run, e.g. on one core); `fetch_add` and
//! the Mutex are always exact. The coroutine withdrawal approves every task
//! and ends with the wrong balance; both fixes approve exactly what the
//! balance allows. With `--check`, machine-readable `check ...:` lines are
//! printed too: they are what the tests read.

use std::cell::Cell;
use std::sync::atomic::AtomicBool;

/// Set by `--check`: print the `check ...:` lines the tests read.
static CHECK_LINES: AtomicBool = AtomicBool::new(false);

/// `println!` for the machine-readable lines, only with `--check`.
macro_rules! check_line {
    ($($arg:tt)*) => {
        if CHECK_LINES.load(Ordering::Relaxed) {
            println!($($arg)*);
        }
    };
}
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: race_condition [--threads 4] [--iters 200000] [--tasks 10] [--check]";

#[path = "common/flags.rs"]
mod flags;
struct Args {
    threads: u64,
    iters: u64,
    tasks: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        threads: 4,
        iters: 200_000,
        tasks: 10,
    };
    flags::parse("race_condition", USAGE, &["--check"], |flag, value| {
        match flag {
            "--threads" => args.threads = flags::positive(flag, &value)?,
            "--iters" => args.iters = flags::positive(flag, &value)?,
            "--tasks" => args.tasks = flags::positive(flag, &value)?,
            "--check" => CHECK_LINES.store(true, Ordering::Relaxed),
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args
}

/// Runs `body` on `threads` threads at once (released together by a barrier
/// so they really overlap), returns the elapsed time.
fn on_threads(threads: u64, body: impl Fn() + Send + Sync + 'static) -> Duration {
    let body = Arc::new(body);
    let barrier = Arc::new(std::sync::Barrier::new(threads as usize + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (body, barrier) = (body.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                body();
            })
        })
        .collect();
    let start = Instant::now();
    barrier.wait();
    for h in handles {
        h.join().expect("counter thread panicked");
    }
    start.elapsed()
}

fn report(label: &str, key: &str, expected: u64, got: u64, took: Duration) {
    let lost = expected.saturating_sub(got);
    println!(
        "  {label:<34} expected {expected:>9}, got {got:>9}, lost {lost:>9}  ({:.1} ms)",
        took.as_secs_f64() * 1e3
    );
    check_line!("check {key}: expected={expected} got={got}");
}

fn threads(args: &Args) {
    let expected = args.threads * args.iters;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "== Threads: {} threads x {} increments on one shared counter ({cores} cores here)",
        args.threads, args.iters
    );
    let iters = args.iters;

    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    let took = on_threads(args.threads, move || {
        for _ in 0..iters {
            // Not one step: another thread can run between this load and store.
            let v = c.load(Ordering::Relaxed);
            c.store(v + 1, Ordering::Relaxed);
        }
    });
    let racy = counter.load(Ordering::Relaxed);
    report(
        "racy: load, then store",
        "threads_racy",
        expected,
        racy,
        took,
    );

    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    let took = on_threads(args.threads, move || {
        for _ in 0..iters {
            c.fetch_add(1, Ordering::Relaxed); // one indivisible step
        }
    });
    let got = counter.load(Ordering::Relaxed);
    report("fixed: fetch_add", "threads_fetch_add", expected, got, took);

    let counter = Arc::new(std::sync::Mutex::new(0u64));
    let c = counter.clone();
    let took = on_threads(args.threads, move || {
        for _ in 0..iters {
            *c.lock().unwrap() += 1; // read and write under the lock
        }
    });
    let got = *counter.lock().unwrap();
    report(
        "fixed: std::sync::Mutex",
        "threads_mutex",
        expected,
        got,
        took,
    );
    if racy == expected {
        println!(
            "  (the racy run lost nothing this time: a lucky schedule, not a correct program)"
        );
    }
    println!();
}

const START_BALANCE: i64 = 100;
const AMOUNT: i64 = 30;

/// Stand-in for a slow check (a fraud service, a database): the `.await`
/// where other tasks run.
async fn approval() {
    ramen::time::sleep(Duration::from_millis(1)).await;
}

/// What withdrawing one at a time would give: (approved, final balance).
fn sequential(tasks: u64) -> (u64, i64) {
    let approved = tasks.min((START_BALANCE / AMOUNT) as u64);
    (approved, START_BALANCE - approved as i64 * AMOUNT)
}

fn withdraw_report(key: &str, label: &str, tasks: u64, approved: u64, balance: i64) {
    let (want_approved, want_balance) = sequential(tasks);
    println!(
        "  {label:<46} approved {approved:>2} (expected {want_approved}), final balance {balance:>4} \
         (expected {want_balance}), handed out {}",
        approved as i64 * AMOUNT
    );
    check_line!(
        "check {key}: expected_approved={want_approved} approved={approved} \
         expected_balance={want_balance} balance={balance}"
    );
}

fn coroutines(args: &Args) {
    let tasks = args.tasks;
    let rt = ramen::Runtime::builder()
        .slow_poll_threshold(None)
        .build()
        .expect("cannot create the runtime");
    println!("== Coroutines: {tasks} tasks on one thread, sharing Rc<Cell<_>>");
    counter_without_await(&rt, tasks, args.iters.min(100_000));
    println!(
        "  withdrawals of {AMOUNT} from a balance of {START_BALANCE}, each awaiting an approval:"
    );
    withdraw_racy(&rt, tasks);
    withdraw_holding_a_mutex(&rt, tasks);
    withdraw_reserving_first(&rt, tasks);
}

/// Spawns `tasks` tasks made by `task` on `rt` and waits for them all.
fn run_tasks<F>(rt: &ramen::Runtime, tasks: u64, mut task: impl FnMut() -> F)
where
    F: std::future::Future<Output = ()> + 'static,
{
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks).map(|_| ramen::spawn(task())).collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

/// A read-modify-write with no .await inside: nothing can interleave.
fn counter_without_await(rt: &ramen::Runtime, tasks: u64, iters: u64) {
    let counter = Rc::new(Cell::new(0u64));
    run_tasks(rt, tasks, || {
        let c = counter.clone();
        async move {
            for i in 0..iters {
                c.set(c.get() + 1); // no .await between get and set
                if i % 1000 == 0 {
                    ramen::yield_now().await; // switch tasks often
                }
            }
        }
    });
    let expected = tasks * iters;
    println!(
        "  counter, no .await inside get/set:           expected {expected}, got {} — no data race on one thread",
        counter.get()
    );
    check_line!(
        "check coro_counter: expected={expected} got={}",
        counter.get()
    );
}

/// Check, .await, act: every task checks the same old balance.
fn withdraw_racy(rt: &ramen::Runtime, tasks: u64) {
    let balance = Rc::new(Cell::new(START_BALANCE));
    let approved = Rc::new(Cell::new(0u64));
    run_tasks(rt, tasks, || {
        let (balance, approved) = (balance.clone(), approved.clone());
        async move {
            let seen = balance.get(); // check
            if seen >= AMOUNT {
                approval().await; // ...others run here and see `seen` too
                balance.set(seen - AMOUNT); // act on a stale value
                approved.set(approved.get() + 1);
            }
        }
    });
    withdraw_report(
        "coro_racy",
        "racy: check, .await, then write",
        tasks,
        approved.get(),
        balance.get(),
    );
}

/// Fix 1: the async Mutex's guard lives across the .await.
fn withdraw_holding_a_mutex(rt: &ramen::Runtime, tasks: u64) {
    let balance = Rc::new(ramen::sync::Mutex::new(START_BALANCE));
    let approved = Rc::new(Cell::new(0u64));
    run_tasks(rt, tasks, || {
        let (balance, approved) = (balance.clone(), approved.clone());
        async move {
            let mut b = balance.lock().await; // others queue here
            if *b >= AMOUNT {
                approval().await; // still holding the lock
                *b -= AMOUNT;
                approved.set(approved.get() + 1);
            }
        }
    });
    let final_balance = rt.block_on(async { *balance.lock().await });
    withdraw_report(
        "coro_mutex",
        "fix 1: ramen::sync::Mutex held across .await",
        tasks,
        approved.get(),
        final_balance,
    );
}

/// Fix 2: check and act with no .await between them; wait afterwards.
fn withdraw_reserving_first(rt: &ramen::Runtime, tasks: u64) {
    let balance = Rc::new(Cell::new(START_BALANCE));
    let approved = Rc::new(Cell::new(0u64));
    run_tasks(rt, tasks, || {
        let (balance, approved) = (balance.clone(), approved.clone());
        async move {
            if balance.get() >= AMOUNT {
                balance.set(balance.get() - AMOUNT); // reserve at once
                approval().await; // (a refusal would put it back)
                approved.set(approved.get() + 1);
            }
        }
    });
    withdraw_report(
        "coro_reserve",
        "fix 2: no .await between check and act",
        tasks,
        approved.get(),
        balance.get(),
    );
}

fn main() {
    let args = parse_args();
    threads(&args);
    coroutines(&args);
    println!();
    println!("Threads race on memory; coroutines race only across an .await.");
}
