//! The CPU work the examples use: a deterministic loop, calibrated once so
//! that every run does exactly the same number of iterations. Shared by
//! `api_wait`, `ramen` and `starvation` through `#[path = "common/cpu.rs"]`.
//!
//! Calibration and the "computing took" figures use the *thread's CPU time*
//! (`CLOCK_THREAD_CPUTIME_ID`), not the wall clock: on a busy machine the
//! wall clock also counts the time the OS gave the core to other programs,
//! and a calibration by wall time then makes "200 ms of computing" finish in
//! 130 ms once the load goes away. CPU time counts only this thread's work,
//! so the lesson's figures agree with each other however loaded the machine.

use std::time::Duration;

/// CPU time this thread has used so far (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // every supported Unix defines. On failure `ts` stays zero.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

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

/// How many `crunch` iterations take one millisecond of this thread's CPU
/// time (the best of three measurements).
pub fn iterations_per_ms() -> u64 {
    let mut iters = 10_000u64;
    let mut best: f64 = 0.0;
    let mut measured = 0;
    while measured < 3 {
        let t = thread_cpu_time();
        crunch(iters, 1);
        let took = thread_cpu_time().saturating_sub(t);
        if took >= Duration::from_millis(20) {
            best = best.max(iters as f64 / (took.as_secs_f64() * 1000.0));
            measured += 1;
        } else {
            iters *= 2;
        }
    }
    best.max(1.0) as u64
}
