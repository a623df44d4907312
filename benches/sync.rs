//! Channel benchmarks on one thread, every contender in the same run: ramen's
//! `sync`, tokio's `sync` on `current_thread` (+`LocalSet`), and futures'
//! `channel` on `LocalPool`. (smol has no channel of its own, and
//! `async-channel` is not in the dependency tree: no smol row.)
//!
//! ```sh
//! cargo bench -p ramen-benches --bench sync
//! cargo bench -p ramen-benches --bench sync -- --warm-up-time 1 --measurement-time 2
//! ```
//! - `mpsc/*`: 1,000,000 `u64`s from a producer task to a consumer task,
//!   bounded channel of capacity 128.
//! - `reqrep/*`: 100,000 request/reply round trips: the request goes over an
//!   mpsc channel carrying a oneshot sender, the reply comes back through it.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramen_benches::channels::*;
use std::hint::black_box;

const MSGS: u64 = 1_000_000;
const CAP: usize = 128;
const REQS: u64 = 100_000;

fn mpsc(c: &mut Criterion) {
    let mut g = c.benchmark_group("mpsc");
    g.throughput(Throughput::Elements(MSGS));
    g.sample_size(10);
    let id = |name| BenchmarkId::new(name, MSGS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| black_box(mpsc_ramen(&rt, MSGS, CAP)))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| black_box(mpsc_tokio(&tokio_rt, MSGS, CAP)))
    });
    g.bench_function(id("localpool"), |b| {
        b.iter(|| black_box(mpsc_local_pool(MSGS, CAP)))
    });
    g.finish();
}

fn reqrep(c: &mut Criterion) {
    let mut g = c.benchmark_group("reqrep");
    g.throughput(Throughput::Elements(REQS));
    g.sample_size(10);
    let id = |name| BenchmarkId::new(name, REQS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| black_box(reqrep_ramen(&rt, REQS)))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| black_box(reqrep_tokio(&tokio_rt, REQS)))
    });
    g.bench_function(id("localpool"), |b| {
        b.iter(|| black_box(reqrep_local_pool(REQS)))
    });
    g.finish();
}

criterion_group!(benches, mpsc, reqrep);
criterion_main!(benches);
