//! The `stream` feature: ramen's receivers, `Interval`, `Lines`, `JoinSet`
//! and `incoming()` as `futures::Stream`s, with `StreamExt` combinators, and
//! dropped `next()` futures losing nothing.
//! (`cargo test --features stream --test stream`)

use ramen::time::Instant;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use ramen::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use ramen::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use ramen::sync::mpsc;
use ramen::time::{sleep, timeout};

#[test]
fn receiver_with_map_filter_buffer_unordered_gives_values_in_order() {
    let out = ramen::block_on(async {
        let (tx, rx) = mpsc::channel(3); // small: the producer waits on the consumer
        let _detached = ramen::spawn(async move {
            for i in 0..40u32 {
                tx.send(i).await.unwrap();
            }
        });
        let polled = Rc::new(Cell::new(0));
        let p = polled.clone();
        let out: Vec<u32> = rx
            .map(|v| v * 3)
            .filter(|v| std::future::ready(v % 2 == 0))
            .map(move |v| {
                let p = p.clone();
                // Each value goes through a ramen task switch before it is
                // ready; they are woken, and so finish, in the order started.
                async move {
                    ramen::yield_now().await;
                    p.set(p.get() + 1);
                    v + 1
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
        assert_eq!(polled.get(), 20);
        out
    });
    let want: Vec<u32> = (0..40)
        .map(|v| v * 3)
        .filter(|v| v % 2 == 0)
        .map(|v| v + 1)
        .collect();
    assert_eq!(out, want);
}

#[test]
fn receiver_stream_with_uneven_delays_keeps_order_under_buffered() {
    let out: Vec<u64> = ramen::block_on(async {
        let (tx, rx) = mpsc::channel(8);
        let _detached = ramen::spawn(async move {
            for i in 0..12u64 {
                tx.send(i).await.unwrap();
            }
        });
        // Later values finish first; `buffered` must still yield in order.
        rx.map(|v| async move {
            sleep(Duration::from_millis(12 - v)).await;
            v * v
        })
        .buffered(6)
        .collect()
        .await
    });
    assert_eq!(out, (0..12u64).map(|v| v * v).collect::<Vec<_>>());
}

#[test]
fn dropping_a_pending_next_loses_no_message() {
    ramen::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        // 1. A next() that is polled (registers the waker), then dropped.
        assert!(timeout(Duration::from_millis(5), rx.next()).await.is_err());
        tx.send(7).await.unwrap();
        assert_eq!(rx.next().await, Some(7));

        // 2. Many next() futures cut short by a timeout while a producer sends
        //    at uneven times: every message arrives once, in order.
        let _detached = ramen::spawn(async move {
            for i in 0..200u32 {
                if i % 7 == 0 {
                    sleep(Duration::from_millis(1)).await;
                }
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        let mut cut_short = 0;
        loop {
            match timeout(Duration::from_micros(300), rx.next()).await {
                Ok(Some(v)) => got.push(v),
                Ok(None) => break,
                Err(_) => cut_short += 1,
            }
        }
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        assert!(cut_short > 0, "no next() was dropped while pending");
    });
}

#[test]
fn interval_yields_its_scheduled_instants() {
    ramen::block_on(async {
        let start = Instant::now();
        let period = Duration::from_millis(10);
        let ticks: Vec<Instant> = ramen::time::interval(period).take(4).collect().await;
        assert!(ticks[0] >= start);
        for pair in ticks.windows(2) {
            assert_eq!(pair[1] - pair[0], period); // the schedule, not the wake-up time
        }
        assert!(start.elapsed() >= period * 3);
    });
}

#[test]
fn lines_stream_yields_lines_and_errors_then_ends() {
    ramen::block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        let _detached = ramen::spawn(async move {
            a.write_all(b"one\r\ntw").await.unwrap();
            sleep(Duration::from_millis(5)).await; // a line split across reads
            a.write_all(b"o\n\xff\xfe\nthree").await.unwrap();
        });
        let items: Vec<_> = BufReader::new(b).lines().collect().await;
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_deref().unwrap(), "one");
        assert_eq!(items[1].as_deref().unwrap(), "two");
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(items[3].as_deref().unwrap(), "three");
    });
}

#[test]
fn join_set_stream_yields_results_in_completion_order() {
    ramen::block_on(async {
        let mut set = ramen::JoinSet::new();
        for ms in [30u64, 5, 15] {
            set.spawn(async move {
                sleep(Duration::from_millis(ms)).await;
                ms
            });
        }
        set.spawn(async { panic!("task fails") });
        assert_eq!(futures::Stream::size_hint(&set), (4, Some(4)));
        let mut ok = Vec::new();
        let mut failed = 0;
        while let Some(res) = set.next().await {
            match res {
                Ok(v) => ok.push(v),
                Err(e) => {
                    assert!(e.is_panic());
                    failed += 1;
                }
            }
        }
        assert_eq!(ok, [5, 15, 30]);
        assert_eq!(failed, 1);
        assert!(set.is_empty());
    });
}

#[test]
fn tcp_incoming_serves_each_connection() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for i in 0..3u8 {
            let _detached = ramen::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(&[i]).await.unwrap();
            });
        }
        let mut seen: Vec<u8> = listener
            .incoming()
            .take(3)
            .then(|s| async move {
                let mut b = [0u8];
                s.unwrap().read_exact(&mut b).await.unwrap();
                b[0]
            })
            .collect()
            .await;
        seen.sort();
        assert_eq!(seen, [0, 1, 2]);
    });
}

#[test]
fn dropped_incoming_next_takes_no_connection_and_unix_incoming_works() {
    let path = std::env::temp_dir().join(format!("ramen-incoming-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    ramen::block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let mut incoming = listener.incoming();
        // Nobody connects yet: the pending next() is dropped by the timeout.
        assert!(
            timeout(Duration::from_millis(5), incoming.next())
                .await
                .is_err()
        );
        let p = path.clone();
        let _detached = ramen::spawn(async move {
            let mut s = UnixStream::connect(&p).await.unwrap();
            s.write_all(b"hi").await.unwrap();
        });
        let mut s = incoming.next().await.unwrap().unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"hi");
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn unbounded_receiver_is_a_stream_in_order() {
    ramen::block_on(async {
        let (tx, rx) = ramen::sync::mpsc::unbounded_channel();
        for i in 0..100 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let got: Vec<i32> = rx.map(|v| v * 2).collect().await;
        assert_eq!(got, (0..100).map(|v| v * 2).collect::<Vec<_>>());
    });
}
