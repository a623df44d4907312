//! Executor benchmarks: ramen vs tokio current_thread (+LocalSet) vs smol's
//! LocalExecutor, in the same run.
//!
//! ```sh
//! cargo bench -p ramen-benches --bench executor
//! ```
//! - `spawn_join/*`: spawn 10,000 tasks and await each handle (time per task =
//!   reported time / 10,000).
//! - `yield/*`: 100 tasks × 1,000 `yield_now` (time per yield = time / 100,000).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const TASKS: u64 = 10_000;
const YIELD_TASKS: u64 = 100;
const YIELDS: u64 = 1_000;

fn spawn_join(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_join");
    g.throughput(Throughput::Elements(TASKS));

    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("ramen", TASKS), |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS).map(|i| ramen::spawn(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                black_box(sum)
            })
        })
    });

    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    g.bench_function(BenchmarkId::new("tokio", TASKS), |b| {
        b.iter(|| {
            let local = tokio::task::LocalSet::new();
            local.block_on(&tokio_rt, async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| tokio::task::spawn_local(async move { i }))
                    .collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await.unwrap();
                }
                black_box(sum)
            })
        })
    });

    let ex = async_executor::LocalExecutor::new();
    g.bench_function(BenchmarkId::new("smol", TASKS), |b| {
        b.iter(|| {
            futures_lite::future::block_on(ex.run(async {
                let handles: Vec<_> = (0..TASKS).map(|i| ex.spawn(async move { i })).collect();
                let mut sum = 0;
                for h in handles {
                    sum += h.await;
                }
                black_box(sum)
            }))
        })
    });
    g.finish();
}

fn yield_many(c: &mut Criterion) {
    let mut g = c.benchmark_group("yield");
    g.throughput(Throughput::Elements(YIELD_TASKS * YIELDS));

    let rt = ramen::Runtime::new().unwrap();
    g.bench_function(BenchmarkId::new("ramen", YIELD_TASKS * YIELDS), |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        ramen::spawn(async {
                            for _ in 0..YIELDS {
                                ramen::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });

    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    g.bench_function(BenchmarkId::new("tokio", YIELD_TASKS * YIELDS), |b| {
        b.iter(|| {
            let local = tokio::task::LocalSet::new();
            local.block_on(&tokio_rt, async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::task::spawn_local(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });

    let ex = async_executor::LocalExecutor::new();
    g.bench_function(BenchmarkId::new("smol", YIELD_TASKS * YIELDS), |b| {
        b.iter(|| {
            futures_lite::future::block_on(ex.run(async {
                let handles: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        ex.spawn(async {
                            for _ in 0..YIELDS {
                                futures_lite::future::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await;
                }
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, spawn_join, yield_many);
criterion_main!(benches);
