//! The CPU work the examples use: a deterministic loop, calibrated once so
//! that every run does exactly the same number of iterations. Shared by
//! `api_wait`, `ramen` and `starvation` through `#[path = "common/cpu.rs"]`.

use std::time::{Duration, Instant};

/// `iters` steps of a linear congruential generator: pure computation.
pub fn crunch(iters: u64, seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..iters {
        x = std::hint::black_box(
            x.wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407),
        );
    }
    x
}

/// How many `crunch` iterations take one millisecond on this machine (the
/// best of three measurements, so a moment of load does not skew it).
pub fn iterations_per_ms() -> u64 {
    let mut iters = 10_000u64;
    let mut best: f64 = 0.0;
    let mut measured = 0;
    while measured < 3 {
        let t = Instant::now();
        crunch(iters, 1);
        let took = t.elapsed();
        if took >= Duration::from_millis(20) {
            best = best.max(iters as f64 / (took.as_secs_f64() * 1000.0));
            measured += 1;
        } else {
            iters *= 2;
        }
    }
    best.max(1.0) as u64
}
