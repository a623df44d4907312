//! # sync_vs_async — the same three steps, written three ways
//!
//! ```text
//! cargo run --example sync_vs_async
//! cargo run --example sync_vs_async -- --step-ms 500
//! cargo run --example sync_vs_async -- --explain   # run 3 narrated by the runtime (stderr)
//! ```
//!
//! A program needs three things that each take a while to arrive (think: a
//! user profile, their orders, recommendations), `--step-ms` each. The waits
//! stand in for network calls.
//!
//! 1. **sync**: `let a = step1(); let b = step2(); let c = step3();` — each
//!    call stops the flow until it finishes (`std::thread::sleep`).
//! 2. **async, awaited one by one**: `step1().await; step2().await; ...` —
//!    the thread is free while each step waits, but *this* code still asks
//!    for one thing at a time, so it takes as long as sync. `async` alone is
//!    not faster: it is a different way of handling the wait.
//! 3. **async, awaited together**: `join!(step1(), step2(), step3())` — all
//!    three waits are started, then awaited; they overlap.
//!
//! What to look for: each step's `start → end` times, the bar drawn for it,
//! and the three `total` lines: about 3 × step, 3 × step, 1 × step. In runs 2
//! and 3 a little "meanwhile" task ticks every 10 ms: it keeps ticking while
//! the steps wait (the thread is free); in run 1 nothing else could run.
//! (Steps that depend on each other's results must still run in order; only
//! independent waits can overlap.)

use std::time::{Duration, Instant};

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: sync_vs_async [--step-ms MS] [--explain]";

/// `(step, explain)`: how long each step waits; whether run 3 is narrated.
fn parse_args() -> (Duration, bool) {
    let mut step = Duration::from_millis(200);
    let mut explain = false;
    flags::parse("sync_vs_async", USAGE, &["--explain"], |flag, value| {
        match flag {
            "--explain" => explain = true,
            "--step-ms" => step = flags::millis(flag, &value)?.max(Duration::from_millis(1)),
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    (step, explain)
}

/// When a step started and ended, relative to the start of its run.
struct Span {
    name: &'static str,
    from: Duration,
    to: Duration,
}

fn step_sync(name: &'static str, wait: Duration, t0: Instant) -> Span {
    let from = t0.elapsed();
    std::thread::sleep(wait); // the whole thread stops here
    Span {
        name,
        from,
        to: t0.elapsed(),
    }
}

async fn step_async(name: &'static str, wait: Duration, t0: Instant) -> Span {
    let from = t0.elapsed();
    ramen::time::sleep(wait).await; // this step pauses; the thread does not
    Span {
        name,
        from,
        to: t0.elapsed(),
    }
}

/// Prints the spans as bars on a shared scale, then the total.
fn report(title: &str, label: &str, spans: &[Span], total: Duration, scale: Duration) {
    println!("{title}");
    const WIDTH: f64 = 48.0;
    let col = |d: Duration| ((d.as_secs_f64() / scale.as_secs_f64()) * WIDTH).round() as usize;
    for s in spans {
        let (a, b) = (col(s.from), col(s.to).max(col(s.from) + 1));
        println!(
            "  {:<16} {:>4} → {:>4} ms |{}{}{}|",
            s.name,
            s.from.as_millis(),
            s.to.as_millis(),
            " ".repeat(a),
            "█".repeat(b - a),
            " ".repeat((WIDTH as usize + 1).saturating_sub(b))
        );
    }
    println!("{label} total: {} ms", total.as_millis());
}

thread_local! {
    static TICKS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Another task with its own life: ticks every 10 ms until aborted.
async fn ticker() {
    TICKS.with(|t| t.set(0));
    loop {
        ramen::time::sleep(Duration::from_millis(10)).await;
        TICKS.with(|t| t.set(t.get() + 1));
    }
}

/// Waits for the aborted ticker to be gone and returns its tick count.
async fn ticks_of(ticker: ramen::JoinHandle<()>) -> u32 {
    let _ = ticker.await; // Err(cancelled): we aborted it
    TICKS.with(|t| t.get())
}

fn main() {
    let (step, explain) = parse_args();
    // Bars are drawn on the scale of the slowest run (3 steps, plus slack).
    let scale = step * 3 + step / 10;
    println!(
        "three steps that each wait {} ms, written three ways\n",
        step.as_millis()
    );
    run_sync(step, scale);
    run_async_one_by_one(step, scale);
    run_async_together(step, scale, explain);
    println!("async is not about speed: it is how the waiting is handled.");
    println!(
        "awaiting one by one still waits in order; starting the waits together overlaps them."
    );
}

/// Run 1, `res = a(); print(res)`: each step holds the thread while it waits.
fn run_sync(step: Duration, scale: Duration) {
    let t0 = Instant::now();
    let spans = vec![
        step_sync("step1 (profile)", step, t0),
        step_sync("step2 (orders)", step, t0),
        step_sync("step3 (recs)", step, t0),
    ];
    report(
        "1. sync: step1(); step2(); step3();",
        "sync",
        &spans,
        t0.elapsed(),
        scale,
    );
    println!("   meanwhile: nothing else ran; the thread was asleep in each step\n");
}

/// Run 2, async but each step awaited before the next starts: as slow as
/// sync, yet another task runs while the steps wait.
fn run_async_one_by_one(step: Duration, scale: Duration) {
    let t0 = Instant::now();
    let (spans, ticks) = ramen::block_on(async {
        let meanwhile = ramen::spawn(ticker());
        let spans = vec![
            step_async("step1 (profile)", step, t0).await,
            step_async("step2 (orders)", step, t0).await,
            step_async("step3 (recs)", step, t0).await,
        ];
        meanwhile.abort();
        (spans, ticks_of(meanwhile).await)
    });
    report(
        "2. async, one by one: step1().await; step2().await; step3().await;",
        "async one-by-one",
        &spans,
        t0.elapsed(),
        scale,
    );
    println!("   meanwhile: another task ticked {ticks} times while the steps waited\n");
}

/// Run 3, async with all three waits in flight together (`join!`); narrated
/// step by step with `--explain`.
fn run_async_together(step: Duration, scale: Duration, explain: bool) {
    let t0 = Instant::now();
    let rt = ramen::Runtime::builder()
        .explain(explain)
        .build()
        .expect("runtime");
    let ((a, b, c), ticks) = rt.block_on(async {
        let meanwhile = ramen::spawn(ticker());
        let spans = ramen::join!(
            step_async("step1 (profile)", step, t0),
            step_async("step2 (orders)", step, t0),
            step_async("step3 (recs)", step, t0),
        );
        meanwhile.abort();
        (spans, ticks_of(meanwhile).await)
    });
    report(
        "3. async, together: join!(step1(), step2(), step3()).await",
        "async concurrent",
        &[a, b, c],
        t0.elapsed(),
        scale,
    );
    println!("   meanwhile: another task ticked {ticks} times while the steps waited\n");
}
