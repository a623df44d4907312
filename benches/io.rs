//! I/O and timer benchmarks, every contender in the same run: ramen, tokio
//! `current_thread` (+`LocalSet`), smol (`async-io`), and a floor.
//!
//! ```sh
//! cargo bench -p ramen-benches --bench io
//! cargo bench -p ramen-benches --bench io -- --warm-up-time 1 --measurement-time 2
//! ```
//! - `echo/*`: TCP echo on loopback, 100 connections × 1,000 round trips ×
//!   64 B, clients and servers on one thread. Floor: a hand-written
//!   edge-triggered epoll state machine over libc (`workloads/epoll_floor.rs`).
//! - `timers/*`: 100,000 tasks each sleep a seeded random 1–100 ms; the time
//!   is the wall time until all are done (ideal: 100 ms). Floor: a sorted
//!   deadline list and `thread::sleep`.
//!
//! Syscalls per round trip are counted by `compare`, not here.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramen_benches::echo::*;
use ramen_benches::epoll_floor::echo_floor;
use ramen_benches::timers::*;
use std::hint::black_box;

const CONNS: usize = 100;
const ROUNDS: usize = 1_000;
const TIMERS: usize = 100_000;

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo");
    g.throughput(Throughput::Elements((CONNS * ROUNDS) as u64));
    g.sample_size(10);
    let id = |name| BenchmarkId::new(name, CONNS * ROUNDS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| black_box(echo_ramen(&rt, CONNS, ROUNDS)))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| black_box(echo_tokio(&tokio_rt, CONNS, ROUNDS)))
    });
    let ex = ramen_benches::smol_ex();
    g.bench_function(id("smol"), |b| {
        b.iter(|| black_box(echo_smol(ex, CONNS, ROUNDS)))
    });
    g.bench_function(id("floor"), |b| {
        b.iter(|| black_box(echo_floor(CONNS, ROUNDS)))
    });
    g.finish();
}

fn timers(c: &mut Criterion) {
    use Deadline::AtCreation;
    let mut g = c.benchmark_group("timers");
    g.sample_size(10);
    let ds = durations(TIMERS);
    let id = |name| BenchmarkId::new(name, TIMERS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| timers_ramen(&rt, &ds, AtCreation))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| timers_tokio(&tokio_rt, &ds, AtCreation))
    });
    let ex = ramen_benches::smol_ex();
    g.bench_function(id("smol"), |b| b.iter(|| timers_smol(ex, &ds, AtCreation)));
    g.bench_function(id("floor"), |b| b.iter(|| timers_floor(&ds)));
    g.finish();
}

criterion_group!(benches, echo, timers);
criterion_main!(benches);
