//! Cancellation: a task can only be stopped at an `.await`.
//!
//! The study note lists it among the limits of coroutines: "it cannot be
//! stopped by force". ramen runs every task on one thread, and a task gives
//! the thread back only at an `.await` that is not ready. So
//! [`JoinHandle::abort`](ramen::JoinHandle::abort) and
//! [`ramen::time::timeout`] do not interrupt anything: they *mark* the task,
//! and the mark is acted on the next time the task stands at an `.await`.
//! There, its future is dropped — every local variable's destructor runs at
//! that point — and it never resumes.
//!
//! Three runs, each with its own clock starting at 0 ms:
//! 1. **abort**: a worker computes in chunks with a `yield_now().await`
//!    between chunks. A watchdog OS thread asks for a stop at `--request-ms`;
//!    the task that calls `abort()` cannot even run until the current chunk
//!    ends, and the worker is dropped at its next `.await` (a guard's `Drop`
//!    prints where). Chunk 2 never starts.
//! 2. **no await at all**: the same request against a loop that never awaits.
//!    Nothing can run until it returns, so `abort()` arrives after it finished:
//!    the task cannot be stopped, its result is kept.
//! 3. **timeout**: `timeout(--request-ms, ..)` around a chunk of work. The
//!    deadline passes in the middle of the chunk; `Err(Elapsed)` and the drop
//!    happen only when the chunk reaches its `.await`.
//!
//! ```sh
//! cargo run --example cancellation
//! cargo run --example cancellation -- --chunk-ms 300 --request-ms 100 --chunks 3
//! ```
//!
//! **What to look for:** in every run the stop is *requested* at ~100 ms but
//! *happens* at ~300 ms, when the CPU chunk ends; the `Drop` line names the
//! `.await` the future was parked at; the line after that `.await` is never
//! printed. The `check ...:` lines sum it up (the tests read them). The fix
//! for code that must stay stoppable is the same as for starvation: put an
//! `.await` (`ramen::yield_now()`) inside long loops.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cancellation [--chunk-ms 300] [--request-ms 100] [--chunks 3]";

#[path = "common/flags.rs"]
mod flags;

/// Milliseconds since `t0`, for the timestamps.
fn ms(t0: Instant) -> u128 {
    t0.elapsed().as_millis()
}

/// CPU work without any `.await`: the thread is held for `d`.
fn compute(d: Duration) -> u64 {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < d {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    x
}

/// Prints when the future that owns it is dropped, and at which `.await`.
struct Guard {
    t0: Instant,
    who: &'static str,
    /// Updated by the task just before each `.await`.
    parked_at: Rc<Cell<&'static str>>,
    /// When `drop` ran (ms since `t0`).
    dropped_at: Rc<Cell<Option<u128>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.dropped_at.set(Some(ms(self.t0)));
        println!(
            "[{:>4} ms] {}: Drop ran: the future was dropped while parked at {}",
            ms(self.t0),
            self.who,
            self.parked_at.get()
        );
    }
}

struct Args {
    chunk: Duration,
    request: Duration,
    chunks: u32,
}

fn parse_args() -> Args {
    let mut args = Args {
        chunk: Duration::from_millis(300),
        request: Duration::from_millis(100),
        chunks: 3,
    };
    flags::parse("cancellation", USAGE, &[], |flag, value| {
        match flag {
            "--chunk-ms" => args.chunk = flags::millis(flag, &value)?,
            "--request-ms" => args.request = flags::millis(flag, &value)?,
            "--chunks" => args.chunks = flags::number::<u32>(flag, &value)?.max(1),
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    if args.request >= args.chunk {
        flags::fail(
            "cancellation",
            USAGE,
            "--request-ms must be smaller than --chunk-ms (the request must land mid-chunk)",
        );
    }
    args
}

/// A runtime without the slow-poll warning (the CPU chunks would trigger it
/// on purpose; `examples/starvation.rs` is about that detector).
fn runtime() -> ramen::Runtime {
    ramen::Runtime::builder()
        .slow_poll_threshold(None)
        .stall_warning(None)
        .build()
        .expect("cannot create the runtime")
}

/// A stop request from outside the runtime: an OS thread that sends the time
/// it asked at, `after` from now, over a oneshot channel (which works across
/// threads). The runtime thread notices it only when it gets to run a task.
fn watchdog(after: Duration) -> ramen::sync::oneshot::Receiver<Instant> {
    let (tx, rx) = ramen::sync::oneshot::channel();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let _ = tx.send(Instant::now());
    });
    rx
}

fn run_abort(args: &Args) {
    println!(
        "== 1. abort() while the worker is computing (chunks of {:?}, a yield_now().await between them)",
        args.chunk
    );
    let rt = runtime();
    let t0 = Instant::now();
    let (chunk, chunks) = (args.chunk, args.chunks);
    let chunk_end = Rc::new(Cell::new(0u128));
    let chunk2_started = Rc::new(Cell::new(false));
    let dropped_at = Rc::new(Cell::new(None));
    let (end, started2, dropped) = (
        chunk_end.clone(),
        chunk2_started.clone(),
        dropped_at.clone(),
    );
    let requested = rt.block_on(async move {
        let stop = watchdog(args.request);
        let worker = ramen::spawn(async move {
            let parked_at = Rc::new(Cell::new("(not parked yet)"));
            let _guard = Guard {
                t0,
                who: "worker",
                parked_at: parked_at.clone(),
                dropped_at: dropped,
            };
            for i in 1..=chunks {
                if i == 2 {
                    started2.set(true);
                }
                println!("[{:>4} ms] worker: chunk {i} starts (no .await inside)", ms(t0));
                compute(chunk);
                end.set(ms(t0));
                println!("[{:>4} ms] worker: chunk {i} done, now at yield_now().await", ms(t0));
                parked_at.set(match i {
                    1 => "the yield_now().await after chunk 1",
                    2 => "the yield_now().await after chunk 2",
                    _ => "a yield_now().await after a later chunk",
                });
                ramen::yield_now().await;
                println!("[{:>4} ms] worker: resumed after chunk {i}", ms(t0));
            }
            println!("[{:>4} ms] worker: finished every chunk", ms(t0));
        });
        let asked = stop.await.expect("the watchdog thread sends once");
        let requested = asked.duration_since(t0).as_millis();
        println!(
            "[{:>4} ms] main: the stop request was sent at {requested} ms, but only now could a task see it",
            ms(t0)
        );
        println!("[{:>4} ms] main: worker.abort()", ms(t0));
        worker.abort();
        let result = worker.await;
        println!(
            "[{:>4} ms] main: worker.await = {:?} (cancelled: {})",
            ms(t0),
            result.as_ref().map(|_| ()),
            result.as_ref().is_err_and(|e| e.is_cancelled())
        );
        requested
    });
    println!(
        "check abort: requested_ms={requested} chunk_end_ms={} dropped_ms={} chunk2_started={}",
        chunk_end.get(),
        dropped_at.get().map_or(-1, |t| t as i64),
        chunk2_started.get()
    );
    println!();
}

fn run_no_await(args: &Args) {
    let total = args.chunk;
    println!("== 2. abort() against a loop with no .await at all ({total:?} of work)");
    let rt = runtime();
    let t0 = Instant::now();
    let (requested, finished, cancelled) = rt.block_on(async move {
        let stop = watchdog(args.request);
        let finished = Rc::new(Cell::new(0u128));
        let f = finished.clone();
        let worker = ramen::spawn(async move {
            println!("[{:>4} ms] worker: one long loop starts, it never awaits", ms(t0));
            let x = compute(total);
            f.set(ms(t0));
            println!("[{:>4} ms] worker: loop done, returning", ms(t0));
            x
        });
        let asked = stop.await.expect("the watchdog thread sends once");
        let requested = asked.duration_since(t0).as_millis();
        println!(
            "[{:>4} ms] main: stop requested at {requested} ms; worker.abort() now — the worker already finished: {}",
            ms(t0),
            worker.is_finished()
        );
        worker.abort();
        let result = worker.await;
        println!(
            "[{:>4} ms] main: worker.await is {} — the task could not be stopped by force",
            ms(t0),
            if result.is_ok() { "Ok(..)" } else { "Err(..)" }
        );
        (requested, finished.get(), result.is_err())
    });
    println!(
        "check no_await: requested_ms={requested} finished_ms={finished} cancelled={cancelled}"
    );
    println!();
}

fn run_timeout(args: &Args) {
    println!(
        "== 3. timeout({:?}) around {:?} of work followed by an .await",
        args.request, args.chunk
    );
    let rt = runtime();
    let t0 = Instant::now();
    let chunk = args.chunk;
    let after_await = Rc::new(Cell::new(false));
    let flag = after_await.clone();
    let dropped_at = Rc::new(Cell::new(None));
    let dropped = dropped_at.clone();
    let (elapsed, at) = rt.block_on(async move {
        let r = ramen::time::timeout(args.request, async move {
            let parked_at = Rc::new(Cell::new("(not parked yet)"));
            let _guard = Guard {
                t0,
                who: "timed future",
                parked_at: parked_at.clone(),
                dropped_at: dropped,
            };
            println!(
                "[{:>4} ms] timed future: computing (no .await inside)",
                ms(t0)
            );
            compute(chunk);
            println!(
                "[{:>4} ms] timed future: done computing, now at sleep(10ms).await",
                ms(t0)
            );
            parked_at.set("its sleep(10ms).await");
            ramen::time::sleep(Duration::from_millis(10)).await;
            flag.set(true);
            println!("[{:>4} ms] timed future: after the sleep", ms(t0));
        })
        .await;
        println!(
            "[{:>4} ms] main: timeout returned {:?} (deadline was {} ms)",
            ms(t0),
            r,
            args.request.as_millis()
        );
        (r.is_err(), ms(t0))
    });
    println!(
        "check timeout: deadline_ms={} elapsed={elapsed} dropped_ms={} returned_ms={at} ran_after_await={}",
        args.request.as_millis(),
        dropped_at.get().map_or(-1, |t| t as i64),
        after_await.get()
    );
}

fn main() {
    let args = parse_args();
    run_abort(&args);
    run_no_await(&args);
    run_timeout(&args);
    println!();
    println!("A task stops only at an .await: keep long CPU work short between awaits");
    println!("(ramen::yield_now) or move it to ramen::spawn_blocking.");
}
