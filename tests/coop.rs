//! The per-task cooperative budget (`src/coop.rs`): a task that only meets
//! ready resources still yields, so a `timeout` around it fires and other
//! tasks run; `task::unconstrained` turns it off.
//!
//! Without the budget these loops never return `Pending`: each test runs on
//! its own thread under a watchdog, so a regression fails instead of hanging.

use std::cell::Cell;
use std::future::Future;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::io::AsyncReadExt;
use ramen::sync::{Semaphore, mpsc, oneshot};
use ramen::time::{sleep, timeout};

mod watchdog_support;

/// [`watchdog_support::watchdog`] for this file.
fn watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    watchdog_support::watchdog("a loop over ready resources never yielded", f)
}

#[test]
fn timeout_around_an_always_full_channel_fires() {
    let (received, waited) = watchdog(|| {
        ramen::block_on(async {
            let (tx, mut rx) = mpsc::channel(16);
            for i in 0..16u64 {
                tx.try_send(i).unwrap();
            }
            let received = Cell::new(0u64);
            let start = Instant::now();
            // Every message goes straight back: recv and send are always ready.
            let r = timeout(Duration::from_millis(50), async {
                loop {
                    let v = rx.recv().await.unwrap();
                    received.set(received.get() + 1);
                    tx.send(v).await.unwrap();
                }
            })
            .await;
            assert!(r.is_err(), "the loop never ends by itself");
            (received.get(), start.elapsed())
        })
    });
    assert!(waited >= Duration::from_millis(50), "{waited:?}");
    // The loop did run (far more than one budget's worth).
    assert!(received > 128, "{received}");
}

#[test]
fn timeout_around_a_stream_that_always_has_data_fires() {
    let (read, waited) = watchdog(|| {
        ramen::block_on(async {
            let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
            let mut a = ramen::net::UnixStream::from_std(a).unwrap();
            // A peer thread keeps the socket buffer full.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stop2 = stop.clone();
            let writer = std::thread::spawn(move || {
                let chunk = [7u8; 4096];
                while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    if b.write_all(&chunk).is_err() {
                        break;
                    }
                }
            });
            // Let the buffer fill first.
            std::thread::sleep(Duration::from_millis(20));
            let read = Cell::new(0usize);
            let start = Instant::now();
            let r = timeout(Duration::from_millis(50), async {
                let mut buf = [0u8; 16];
                loop {
                    let n = a.read(&mut buf).await.unwrap();
                    read.set(read.get() + n);
                }
            })
            .await;
            assert!(r.is_err());
            let waited = start.elapsed();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            drop(a); // unblocks the writer with EPIPE
            writer.join().unwrap();
            (read.get(), waited)
        })
    });
    assert!(waited >= Duration::from_millis(50), "{waited:?}");
    assert!(read > 128 * 16, "{read}");
}

/// Drains 1024 ready messages (through `drain`) while a ticker task counts
/// its turns; returns (ticks during the drain, messages received).
fn ticks_during_a_drain(unconstrained: bool) -> (u32, u32) {
    watchdog(move || {
        ramen::block_on(async move {
            let ticks = Rc::new(Cell::new(0u32));
            let t = ticks.clone();
            let ticker = ramen::spawn(async move {
                loop {
                    t.set(t.get() + 1);
                    ramen::yield_now().await;
                }
            });
            ramen::yield_now().await; // the ticker has started
            let (tx, mut rx) = mpsc::channel(1024);
            for i in 0..1024u32 {
                tx.try_send(i).unwrap();
            }
            drop(tx);
            let before = ticks.get();
            // Never Pending for its own reason: 1024 ready receives.
            let drain = async {
                let mut n = 0;
                while rx.recv().await.is_some() {
                    n += 1;
                }
                n
            };
            let messages = if unconstrained {
                ramen::task::unconstrained(drain).await
            } else {
                drain.await
            };
            ticker.abort();
            (ticks.get() - before, messages)
        })
    })
}

#[test]
fn budget_yields_let_another_task_run_in_the_middle_of_a_drain() {
    let (ticks_during, messages) = ticks_during_a_drain(false);
    assert_eq!(messages, 1024);
    // 1024 receives at 128 per poll: the drain yields about 8 times, and
    // the ticker ran each time.
    assert!(
        (4..=16).contains(&ticks_during),
        "ticker ran {ticks_during} times during the drain"
    );
}

#[test]
fn unconstrained_never_yields_for_the_budget() {
    let (ticks_during, messages) = ticks_during_a_drain(true);
    assert_eq!(messages, 1024);
    assert_eq!(ticks_during, 0, "unconstrained code yielded to the budget");
}

#[test]
fn waiting_refunds_the_unit_so_many_pending_resources_do_not_spin() {
    // One task waits on 500 pending receivers at once: each poll of each
    // returns Pending for its own reason, so the task must not be charged
    // (a charged wait would exhaust the budget and wake the task in a loop).
    let polls = watchdog(|| {
        ramen::block_on(async {
            let polls = Rc::new(Cell::new(0u32));
            let mut senders = Vec::new();
            let mut futs = Vec::new();
            for _ in 0..500 {
                let (tx, rx) = oneshot::channel::<u32>();
                senders.push(tx);
                futs.push(Some(rx));
            }
            let p = polls.clone();
            let waiter = ramen::spawn(async move {
                std::future::poll_fn(|cx| {
                    p.set(p.get() + 1);
                    let mut done = true;
                    for slot in futs.iter_mut() {
                        let Some(f) = slot else { continue };
                        if std::pin::Pin::new(f).poll(cx).is_pending() {
                            done = false;
                        } else {
                            *slot = None; // a finished future is not polled again
                        }
                    }
                    if done {
                        std::task::Poll::Ready(())
                    } else {
                        std::task::Poll::Pending
                    }
                })
                .await
            });
            sleep(Duration::from_millis(30)).await;
            let polled_while_waiting = polls.get();
            for tx in senders {
                tx.send(1).unwrap();
            }
            waiter.await.unwrap();
            polled_while_waiting
        })
    });
    assert_eq!(polls, 1, "a task that only waits was polled {polls} times");
}

#[test]
fn a_ready_semaphore_in_a_loop_still_yields() {
    watchdog(|| {
        ramen::block_on(async {
            let sem = Semaphore::new(1);
            let r = timeout(Duration::from_millis(30), async {
                loop {
                    drop(sem.acquire().await.unwrap());
                }
            })
            .await;
            assert!(r.is_err());
        })
    });
}

#[test]
fn polls_outside_a_runtime_are_unconstrained() {
    // blocking_recv drives the channel on a plain thread: no budget, so a
    // long run of ready receives never yields (which would spin there).
    let (tx, mut rx) = mpsc::channel(1000);
    for i in 0..1000u32 {
        tx.try_send(i).unwrap();
    }
    drop(tx);
    let mut n = 0;
    while rx.blocking_recv().is_some() {
        n += 1;
    }
    assert_eq!(n, 1000);
    // And after a block_on the thread is unconstrained again.
    ramen::block_on(async {});
    let (tx, mut rx) = mpsc::channel(1000);
    for i in 0..1000u32 {
        tx.try_send(i).unwrap();
    }
    drop(tx);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    for _ in 0..1000 {
        assert!(rx.poll_recv(&mut cx).is_ready());
    }
}
