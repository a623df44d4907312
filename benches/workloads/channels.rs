//! Channel workloads, one thread, two tasks:
//! - `mpsc_*(n, cap)`: a producer task sends `n` `u64`s through a bounded
//!   channel of capacity `cap` to a consumer task that sums them.
//! - `reqrep_*(n)`: a client task sends `n` requests over an mpsc channel,
//!   each carrying a oneshot sender; a server task answers each through it.
//!
//! Contenders: ramen's `sync`, tokio's `sync` on `current_thread`, and
//! futures' `channel` on `LocalPool`. smol has no channel of its own
//! (`async-channel` is not in this workspace's dependency tree), so no row.

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures::{SinkExt, StreamExt};

/// ramen: `n` messages through `ramen::sync::mpsc::channel(cap)`.
pub fn mpsc_ramen(rt: &ramen::Runtime, n: u64, cap: usize) -> u64 {
    rt.block_on(async {
        let (tx, mut rx) = ramen::sync::mpsc::channel(cap);
        let producer = ramen::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = ramen::spawn(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            sum
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    })
}

/// tokio: `n` messages through `tokio::sync::mpsc::channel(cap)`.
pub fn mpsc_tokio(rt: &tokio::runtime::Runtime, n: u64, cap: usize) -> u64 {
    crate::tokio_local(rt, async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(cap);
        let producer = tokio::task::spawn_local(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = tokio::task::spawn_local(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            sum
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    })
}

/// futures `LocalPool`: `n` messages through `futures::channel::mpsc::channel`.
/// (Its capacity is `cap` plus one slot per sender, so `cap - 1` is passed.)
pub fn mpsc_local_pool(n: u64, cap: usize) -> u64 {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let (mut tx, mut rx) = futures::channel::mpsc::channel(cap - 1);
    spawner
        .spawn_local(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        })
        .unwrap();
    let consumer = spawner
        .spawn_local_with_handle(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.next().await {
                sum = sum.wrapping_add(v);
            }
            sum
        })
        .unwrap();
    pool.run_until(consumer)
}

/// ramen: `n` request/reply round trips (mpsc request carrying a oneshot).
pub fn reqrep_ramen(rt: &ramen::Runtime, n: u64) -> u64 {
    use ramen::sync::{mpsc, oneshot};
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(16);
        let server = ramen::spawn(async move {
            while let Some((req, reply)) = rx.recv().await {
                let _ = reply.send(req + 1);
            }
        });
        let client = ramen::spawn(async move {
            let mut sum = 0u64;
            for i in 0..n {
                let (otx, orx) = oneshot::channel();
                tx.send((i, otx)).await.unwrap();
                sum = sum.wrapping_add(orx.await.unwrap());
            }
            sum
        });
        let sum = client.await.unwrap();
        server.await.unwrap();
        sum
    })
}

/// tokio: `n` request/reply round trips (mpsc request carrying a oneshot).
pub fn reqrep_tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    use tokio::sync::{mpsc, oneshot};
    crate::tokio_local(rt, async {
        let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(16);
        let server = tokio::task::spawn_local(async move {
            while let Some((req, reply)) = rx.recv().await {
                let _ = reply.send(req + 1);
            }
        });
        let client = tokio::task::spawn_local(async move {
            let mut sum = 0u64;
            for i in 0..n {
                let (otx, orx) = oneshot::channel();
                tx.send((i, otx)).await.unwrap();
                sum = sum.wrapping_add(orx.await.unwrap());
            }
            sum
        });
        let sum = client.await.unwrap();
        server.await.unwrap();
        sum
    })
}

/// futures `LocalPool`: `n` request/reply round trips with futures' channels.
pub fn reqrep_local_pool(n: u64) -> u64 {
    use futures::channel::{mpsc, oneshot};
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let (mut tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(15);
    spawner
        .spawn_local(async move {
            while let Some((req, reply)) = rx.next().await {
                let _ = reply.send(req + 1);
            }
        })
        .unwrap();
    let client = spawner
        .spawn_local_with_handle(async move {
            let mut sum = 0u64;
            for i in 0..n {
                let (otx, orx) = oneshot::channel();
                tx.send((i, otx)).await.unwrap();
                sum = sum.wrapping_add(orx.await.unwrap());
            }
            sum
        })
        .unwrap();
    let sum = pool.run_until(client);
    pool.run();
    sum
}

/// ramen: `n` messages through `unbounded_channel` (the sender never waits).
pub fn unbounded_ramen(rt: &ramen::Runtime, n: u64) -> u64 {
    rt.block_on(async {
        let (tx, mut rx) = ramen::sync::mpsc::unbounded_channel();
        let producer = ramen::spawn(async move {
            for i in 0..n {
                tx.send(i).unwrap();
            }
        });
        let consumer = ramen::spawn(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            sum
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    })
}

/// tokio: `n` messages through `tokio::sync::mpsc::unbounded_channel`.
pub fn unbounded_tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    crate::tokio_local(rt, async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let producer = tokio::task::spawn_local(async move {
            for i in 0..n {
                tx.send(i).unwrap();
            }
        });
        let consumer = tokio::task::spawn_local(async move {
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum = sum.wrapping_add(v);
            }
            sum
        });
        producer.await.unwrap();
        consumer.await.unwrap()
    })
}

/// Broadcast fan-out shape shared by both contenders: one sender task sends
/// `n` values through a ring of `BCAST_CAP`, yielding every `BCAST_BATCH`
/// sends so the receivers keep up; `BCAST_RX` receiver tasks each sum what
/// they get (a lag counts its skipped values, so the sum stays checkable).
pub const BCAST_RX: usize = 16;
const BCAST_CAP: usize = 256;
const BCAST_BATCH: u64 = 64;

/// ramen: `n` values from one sender to 16 receivers through `sync::broadcast`.
pub fn broadcast_ramen(rt: &ramen::Runtime, n: u64) -> u64 {
    use ramen::sync::broadcast::{self, RecvError};
    rt.block_on(async {
        let (tx, rx) = broadcast::channel::<u64>(BCAST_CAP);
        let receivers: Vec<_> = (0..BCAST_RX)
            .map(|_| {
                let mut rx = rx.resubscribe();
                ramen::spawn(async move {
                    let mut sum = 0u64;
                    loop {
                        match rx.recv().await {
                            Ok(v) => sum = sum.wrapping_add(v),
                            Err(RecvError::Lagged(k)) => sum = sum.wrapping_add(k << 32),
                            Err(RecvError::Closed) => return sum,
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        let sender = ramen::spawn(async move {
            for i in 0..n {
                tx.send(i).unwrap();
                if i % BCAST_BATCH == BCAST_BATCH - 1 {
                    ramen::yield_now().await;
                }
            }
        });
        sender.await.unwrap();
        let mut total = 0u64;
        for r in receivers {
            total = total.wrapping_add(r.await.unwrap());
        }
        total
    })
}

/// tokio: the same fan-out through `tokio::sync::broadcast`.
pub fn broadcast_tokio(rt: &tokio::runtime::Runtime, n: u64) -> u64 {
    use tokio::sync::broadcast::{self, error::RecvError};
    crate::tokio_local(rt, async {
        let (tx, rx) = broadcast::channel::<u64>(BCAST_CAP);
        let receivers: Vec<_> = (0..BCAST_RX)
            .map(|_| {
                let mut rx = rx.resubscribe();
                tokio::task::spawn_local(async move {
                    let mut sum = 0u64;
                    loop {
                        match rx.recv().await {
                            Ok(v) => sum = sum.wrapping_add(v),
                            Err(RecvError::Lagged(k)) => sum = sum.wrapping_add(k << 32),
                            Err(RecvError::Closed) => return sum,
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        let sender = tokio::task::spawn_local(async move {
            for i in 0..n {
                tx.send(i).unwrap();
                if i % BCAST_BATCH == BCAST_BATCH - 1 {
                    tokio::task::yield_now().await;
                }
            }
        });
        sender.await.unwrap();
        let mut total = 0u64;
        for r in receivers {
            total = total.wrapping_add(r.await.unwrap());
        }
        total
    })
}
