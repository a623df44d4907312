//! # starvation — one task that never awaits stops every other task
//!
//! ```text
//! cargo run --example starvation
//! cargo run --example starvation -- --hog-ms 2000 --tick-ms 50
//! ```
//!
//! ramen is cooperative: a task gives the thread back only at an `.await`
//! that is not ready. Two tasks share one thread here:
//! - a **heartbeat** that sleeps `--tick-ms` (100 ms) in a loop and prints how
//!   late each wake-up was;
//! - a **hog** that, after a short pause, computes for `--hog-ms` (1000 ms).
//!
//! The program runs three times, then twice more with a different hog:
//! 1. **frozen**: the hog's loop never awaits. The heartbeat, due every
//!    100 ms, is not polled until the hog is done: one wake-up is about a
//!    second late. The runtime cannot interrupt the hog (nothing can stop a
//!    coroutine by force), but its slow-poll detector measures the poll once
//!    it returns and names the culprit with the line that spawned it. The
//!    warning goes to stderr; this example also prints it from
//!    `Runtime::warnings()` to stdout, labelled `runtime warning [frozen]:`.
//! 2. **fix 1, `ramen::yield_now()`** every `--chunk-ms` (1 ms) of the loop:
//!    the heartbeat runs between chunks, at most one chunk late.
//! 3. **fix 2, `ramen::spawn_blocking`**: the loop runs on a pool thread;
//!    the task just awaits its result and the runtime's thread stays free.
//! 4. **a channel drain, cooperative budget**: the hog receives from an mpsc
//!    channel that is always full (each message is sent straight back), for
//!    `--hog-ms`. Every `recv().await` is ready, so the loop never meets a
//!    `Pending` of its own — yet the heartbeat keeps ticking: each ramen
//!    resource takes one unit of the task's budget (128 per poll, `coop.rs`)
//!    and, when it is spent, makes the task yield although it is ready.
//! 5. **the same drain inside `ramen::task::unconstrained`**: the budget is
//!    off, and the heartbeat is frozen for the whole drain again.
//!
//! What to look for: each run's heartbeat lines (`N ms late`), its
//! `max heartbeat delay [...]` line, the warning of run 1 and none in runs 2
//! and 3, the timeline of run 1 (the hog's row is one solid block),
//! `heartbeats during the drain [budget]: N` (about `hog-ms / tick-ms`)
//! against `[unconstrained]: 0`, and the summary at the end.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::TaskBuilder;

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: starvation [--hog-ms MS] [--tick-ms MS] [--chunk-ms MS]";

struct Args {
    hog_ms: u64,
    tick: Duration,
    chunk_ms: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        hog_ms: 1000,
        tick: Duration::from_millis(100),
        chunk_ms: 1,
    };
    flags::parse("starvation", USAGE, &[], |flag, value| {
        let ms = flags::number::<u64>(flag, &value)?.max(1);
        match flag {
            "--hog-ms" => args.hog_ms = ms,
            "--tick-ms" => args.tick = Duration::from_millis(ms),
            "--chunk-ms" => args.chunk_ms = ms,
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args
}

#[path = "common/cpu.rs"]
mod cpu;
use cpu::{crunch, iterations_per_ms};

#[derive(Clone, Copy, PartialEq)]
enum Hog {
    NeverAwaits,
    YieldNow,
    SpawnBlocking,
}

impl Hog {
    fn label(self) -> &'static str {
        match self {
            Hog::NeverAwaits => "frozen",
            Hog::YieldNow => "yield_now",
            Hog::SpawnBlocking => "spawn_blocking",
        }
    }
}

/// The hog waits a little (so the heartbeat is seen ticking normally first),
/// then computes `iters` iterations without a single `.await`.
async fn hog_never_awaits(pause: Duration, iters: u64) -> u64 {
    ramen::time::sleep(pause).await;
    crunch(iters, 7) // holds the thread until done
}

/// Fix 1: the same loop in chunks, with `yield_now()` between them.
async fn hog_yielding(pause: Duration, iters: u64, chunk: u64) -> u64 {
    ramen::time::sleep(pause).await;
    let mut x = 7;
    let mut left = iters;
    while left > 0 {
        let n = left.min(chunk);
        x = crunch(n, x);
        left -= n;
        ramen::yield_now().await; // let the heartbeat (and I/O, timers) run
    }
    x
}

/// Fix 2: the same loop on a `spawn_blocking` thread; this task only waits.
async fn hog_offloaded(pause: Duration, iters: u64) -> u64 {
    ramen::time::sleep(pause).await;
    ramen::spawn_blocking(move || crunch(iters, 7))
        .await
        .expect("the blocking job does not panic")
}

#[path = "common/heartbeat.rs"]
mod heartbeat;
use heartbeat::heartbeat;

/// One run: heartbeat + hog on a fresh runtime. Returns the max delay.
fn run(kind: Hog, args: &Args, per_ms: u64) -> Duration {
    let pause = args.tick * 5 / 2;
    let iters = per_ms * args.hog_ms;
    let chunk = per_ms * args.chunk_ms;
    let rt = ramen::Runtime::builder()
        // 100 ms is the debug-build default; set here so release builds warn too.
        .slow_poll_threshold(Some(Duration::from_millis(100)))
        .record_timeline(kind == Hog::NeverAwaits)
        .build()
        .expect("runtime");
    let t0 = Instant::now();
    let delays = rt.block_on(async move {
        let stop = Rc::new(Cell::new(false));
        let beat =
            TaskBuilder::new()
                .name("heartbeat")
                .spawn(heartbeat(args.tick, stop.clone(), t0));
        let hog = TaskBuilder::new().name("hog");
        let hog = match kind {
            // The warning of run 1 names this line (tests/examples_waiting.rs checks it).
            Hog::NeverAwaits => hog.spawn(hog_never_awaits(pause, iters)),
            Hog::YieldNow => hog.spawn(hog_yielding(pause, iters, chunk)),
            Hog::SpawnBlocking => hog.spawn(hog_offloaded(pause, iters)),
        };
        std::hint::black_box(hog.await.expect("hog"));
        let hog_took = t0.elapsed().saturating_sub(pause);
        println!(
            "  [{:>5} ms] hog done: {} ms of computing took {} ms of wall time",
            t0.elapsed().as_millis(),
            args.hog_ms,
            hog_took.as_millis()
        );
        // Two more beats to show the heartbeat back to normal, then stop.
        ramen::time::sleep(args.tick * 2).await;
        stop.set(true);
        beat.await.expect("heartbeat")
    });
    let max = heartbeat::report(kind.label(), &delays, &rt);
    if let Some(timeline) = rt.timeline(72) {
        println!("timeline [{}]:", kind.label());
        print!("{timeline}");
    }
    println!();
    max
}

/// Runs 4 and 5: a heartbeat task counts its beats while the hog drains an
/// always-full channel for `hog_ms`. Returns the beats during the drain.
fn run_drain(unconstrained: bool, args: &Args) -> u64 {
    let label = if unconstrained {
        "unconstrained"
    } else {
        "budget"
    };
    let rt = ramen::Runtime::new().expect("runtime");
    let tick = args.tick;
    let hog_for = Duration::from_millis(args.hog_ms);
    let (beats, messages) = rt.block_on(async move {
        let beats = Rc::new(Cell::new(0u64));
        let b = beats.clone();
        let beat = TaskBuilder::new().name("heartbeat").spawn(async move {
            loop {
                ramen::time::sleep(tick).await;
                b.set(b.get() + 1);
            }
        });
        let (tx, mut rx) = ramen::sync::mpsc::channel(64);
        for i in 0..64u64 {
            tx.try_send(i).expect("room for 64");
        }
        // Every receive is ready, and so is every send (the receive made
        // room): this loop never waits for anything.
        let drain = async move {
            let start = Instant::now();
            let mut messages = 0u64;
            while start.elapsed() < hog_for {
                let v = rx.recv().await.expect("the sender is alive");
                tx.send(v).await.expect("the receiver is alive");
                messages += 1;
            }
            messages
        };
        let before = beats.get();
        let messages = if unconstrained {
            ramen::task::unconstrained(drain).await
        } else {
            drain.await
        };
        let during = beats.get() - before;
        beat.abort();
        (during, messages)
    });
    println!(
        "  {messages} messages received and sent back in {} ms",
        args.hog_ms
    );
    println!("heartbeats during the drain [{label}]: {beats}");
    println!();
    beats
}

fn main() {
    let args = parse_args();
    let per_ms = iterations_per_ms();
    println!(
        "a heartbeat every {} ms, and a hog that computes for {} ms, on one thread\n",
        args.tick.as_millis(),
        args.hog_ms
    );

    println!("run 1: the hog's loop never awaits");
    let frozen = run(Hog::NeverAwaits, &args, per_ms);
    println!(
        "run 2 (fix 1): ramen::yield_now().await every {} ms of the loop",
        args.chunk_ms
    );
    let yielded = run(Hog::YieldNow, &args, per_ms);
    println!("run 3 (fix 2): the loop moved to ramen::spawn_blocking");
    let offloaded = run(Hog::SpawnBlocking, &args, per_ms);

    println!("run 4: a loop that drains an always-full channel (every recv is ready)");
    let budget_beats = run_drain(false, &args);
    println!("run 5: the same drain inside ramen::task::unconstrained (no budget)");
    let unconstrained_beats = run_drain(true, &args);

    println!("summary, max heartbeat delay:");
    println!("  hog never awaits         {:>5} ms", frozen.as_millis());
    println!("  fix 1, yield_now         {:>5} ms", yielded.as_millis());
    println!("  fix 2, spawn_blocking    {:>5} ms", offloaded.as_millis());
    println!("summary, heartbeats while a loop only meets ready resources:");
    println!("  cooperative budget       {budget_beats:>5}");
    println!("  unconstrained            {unconstrained_beats:>5}");
    println!(
        "one coroutine that holds the thread stops everything; the runtime cannot stop it by \
         force, only name it. Await often, or move the work off the thread. A loop over ready \
         ramen resources is the exception: the budget makes it yield every 128 operations."
    );
}
