//! Executor benchmarks, every contender in the same run: ramen, tokio
//! `current_thread` (+`LocalSet`), smol (`LocalExecutor` + `async_io::block_on`),
//! futures' `LocalPool`, and a floor (a `VecDeque` of boxed futures polled
//! with a no-op waker: no runtime at all).
//!
//! ```sh
//! cargo bench -p ramen-benches --bench executor
//! cargo bench -p ramen-benches --bench executor -- --warm-up-time 1 --measurement-time 2
//! ```
//! - `spawn_join/*`: spawn 10,000 tasks and await each handle (time per task =
//!   reported time / 10,000; criterion prints it as elements/s).
//! - `yield/*`: 100 tasks × 1,000 `yield_now` (per yield = time / 100,000).
//! - `remote_wake/*`: an OS thread and a task ping-pong 100,000 times; the
//!   thread wakes the task's waker, the task answers with `Thread::unpark`.
//!   `threads` is the same with a second thread instead of a task.
//!
//! The workloads live in `workloads/executor.rs` (shared with `compare`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ramen_benches::executor::*;
use std::hint::black_box;

const TASKS: u64 = 10_000;
const YIELD_TASKS: u64 = 100;
const YIELDS: u64 = 1_000;
const PINGS: u64 = 100_000;

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join");
    g.throughput(Throughput::Elements(TASKS));
    let id = |name| BenchmarkId::new(name, TASKS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| black_box(spawn_join_ramen(&rt, TASKS)))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| black_box(spawn_join_tokio(&tokio_rt, TASKS)))
    });
    let ex = ramen_benches::smol_ex();
    g.bench_function(id("smol"), |b| {
        b.iter(|| black_box(spawn_join_smol(ex, TASKS)))
    });
    g.bench_function(id("localpool"), |b| {
        b.iter(|| black_box(spawn_join_local_pool(TASKS)))
    });
    g.bench_function(id("floor"), |b| {
        b.iter(|| black_box(spawn_join_floor(TASKS)))
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield");
    g.throughput(Throughput::Elements(YIELD_TASKS * YIELDS));
    let id = |name| BenchmarkId::new(name, YIELD_TASKS * YIELDS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| {
        b.iter(|| yield_ramen(&rt, YIELD_TASKS, YIELDS))
    });
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| yield_tokio(&tokio_rt, YIELD_TASKS, YIELDS))
    });
    let ex = ramen_benches::smol_ex();
    g.bench_function(id("smol"), |b| {
        b.iter(|| yield_smol(ex, YIELD_TASKS, YIELDS))
    });
    g.bench_function(id("localpool"), |b| {
        b.iter(|| yield_local_pool(YIELD_TASKS, YIELDS))
    });
    g.bench_function(id("floor"), |b| b.iter(|| yield_floor(YIELD_TASKS, YIELDS)));
    g.finish();
}

fn remote_wake(c: &mut Criterion) {
    let mut g = c.benchmark_group("remote_wake");
    g.throughput(Throughput::Elements(PINGS));
    g.sample_size(10);
    let id = |name| BenchmarkId::new(name, PINGS);
    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(id("ramen"), |b| b.iter(|| remote_wake_ramen(&rt, PINGS)));
    let tokio_rt = ramen_benches::tokio_rt();
    g.bench_function(id("tokio"), |b| {
        b.iter(|| remote_wake_tokio(&tokio_rt, PINGS))
    });
    let ex = ramen_benches::smol_ex();
    g.bench_function(id("smol"), |b| b.iter(|| remote_wake_smol(ex, PINGS)));
    g.bench_function(id("localpool"), |b| {
        b.iter(|| remote_wake_local_pool(PINGS))
    });
    g.bench_function(id("threads"), |b| b.iter(|| remote_wake_threads(PINGS)));
    g.finish();
}

criterion_group!(benches, spawn_join, yield_many, remote_wake);
criterion_main!(benches);
