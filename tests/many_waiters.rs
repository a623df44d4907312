//! Many tasks waiting on one fd in one direction (`src/reactor.rs`,
//! "Waiters"; `src/io/fd.rs`, "Many waiters per direction"): every waiter
//! is woken by an edge, and dropping a waiter loses nothing for the others.
//!
//! With one waker slot per direction these hang (a displaced waiter sleeps
//! forever), so each test runs under a watchdog and fails instead.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ramen::io::AsyncFd;
use ramen::net::{TcpListener, TcpStream, UdpSocket};
use ramen::time::{sleep, timeout};

mod watchdog_support;

/// [`watchdog_support::watchdog`] for this file.
fn watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    watchdog_support::watchdog("a waiter was never woken", f)
}

#[test]
fn fifty_tasks_accept_on_one_listener() {
    let accepted = watchdog(|| {
        ramen::block_on(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptors: Vec<_> = (0..50)
                .map(|_| {
                    let l = listener.clone();
                    ramen::spawn(async move { l.accept().await.map(|(_, peer)| peer) })
                })
                .collect();
            sleep(Duration::from_millis(10)).await; // all 50 are waiting now
            let mut clients = Vec::new();
            for _ in 0..50 {
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            let mut peers = Vec::new();
            for a in acceptors {
                peers.push(a.await.unwrap().unwrap());
            }
            let mut locals: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
            locals.sort();
            peers.sort();
            assert_eq!(peers, locals, "each connection accepted exactly once");
            peers.len()
        })
    });
    assert_eq!(accepted, 50);
}

#[test]
fn eight_tasks_receive_on_one_udp_socket() {
    let got = watchdog(|| {
        ramen::block_on(async {
            let sock = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let to = sock.local_addr().unwrap();
            let receivers: Vec<_> = (0..8)
                .map(|_| {
                    let s = sock.clone();
                    ramen::spawn(async move {
                        let mut buf = [0u8; 8];
                        let (n, _) = s.recv_from(&mut buf).await.unwrap();
                        buf[..n].to_vec()
                    })
                })
                .collect();
            sleep(Duration::from_millis(10)).await;
            let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            // Two batches: one edge for four datagrams, then one edge each.
            for i in 0..4u8 {
                sender.send_to(&[i], to).unwrap();
            }
            sleep(Duration::from_millis(10)).await;
            for i in 4..8u8 {
                sender.send_to(&[i], to).unwrap();
                sleep(Duration::from_millis(2)).await;
            }
            let mut got = Vec::new();
            for r in receivers {
                got.extend(r.await.unwrap());
            }
            got.sort();
            got
        })
    });
    assert_eq!(got, (0..8u8).collect::<Vec<_>>());
}

#[test]
fn dropped_waiters_lose_no_datagram_for_the_others() {
    const TOTAL: u32 = 2000;
    const RECEIVERS: usize = 4;
    let (received, stopped, dropped) = watchdog(|| {
        ramen::block_on(async {
            let sock = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let to = sock.local_addr().unwrap();
            let received = Rc::new(Cell::new(0u32));
            let dropped = Rc::new(Cell::new(0u32));
            let done = Rc::new(Cell::new(false));
            // UDP drops what a full receive buffer cannot hold: the sender
            // keeps at most 64 datagrams in flight, so a slow (loaded, or
            // valgrind) runtime loses none and the count stays exact.
            let acked = Arc::new(AtomicU32::new(0));
            // Receivers: each takes datagrams until it gets a "stop" (a
            // datagram of length 1), then exits — so each of the RECEIVERS
            // stops needs a *different* receiver to be woken.
            let receivers: Vec<_> = (0..RECEIVERS)
                .map(|_| {
                    let (s, got, acked) = (sock.clone(), received.clone(), acked.clone());
                    ramen::spawn(async move {
                        let mut buf = [0u8; 8];
                        loop {
                            let (n, _) = s.recv_from(&mut buf).await.unwrap();
                            if n == 1 {
                                return;
                            }
                            got.set(got.get() + 1);
                            acked.fetch_add(1, Ordering::Release);
                        }
                    })
                })
                .collect();
            // Droppers: wait on the same direction and are cut off by short
            // timeouts, often right after an edge woke them.
            let droppers: Vec<_> = (0..6u64)
                .map(|i| {
                    let (s, gone, done) = (sock.clone(), dropped.clone(), done.clone());
                    ramen::spawn(async move {
                        while !done.get() {
                            let cut = Duration::from_micros(50 + 150 * i);
                            match timeout(cut, s.readable()).await {
                                Err(_) => gone.set(gone.get() + 1),
                                Ok(r) => {
                                    r.unwrap();
                                    sleep(Duration::from_micros(200)).await;
                                }
                            }
                        }
                    })
                })
                .collect();
            let in_flight = acked.clone();
            let sender = std::thread::spawn(move || {
                let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                for i in 0..TOTAL {
                    while i - in_flight.load(Ordering::Acquire) >= 64 {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    s.send_to(&i.to_le_bytes(), to).unwrap();
                    if i % 16 == 15 {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                }
                s
            });
            while received.get() < TOTAL {
                sleep(Duration::from_millis(5)).await;
            }
            let s = sender.join().unwrap();
            for _ in 0..RECEIVERS {
                s.send_to(&[0], to).unwrap();
                std::thread::sleep(Duration::from_micros(500));
            }
            let mut stopped = 0;
            for r in receivers {
                r.await.unwrap();
                stopped += 1;
            }
            done.set(true);
            for d in droppers {
                d.await.unwrap();
            }
            (received.get(), stopped, dropped.get())
        })
    });
    assert_eq!(received, TOTAL);
    assert_eq!(stopped, RECEIVERS);
    assert!(
        dropped > 0,
        "no waiter was dropped: the test tested nothing"
    );
}

#[test]
fn two_tasks_await_readable_on_one_async_fd() {
    let woken = watchdog(|| {
        ramen::block_on(async {
            let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
            let fd = Rc::new(AsyncFd::new(r).unwrap());
            // Drain the initial "maybe ready" so both really wait for an edge.
            {
                let mut guard = fd.readable().await.unwrap();
                let mut buf = [0u8; 8];
                let r = guard.try_io(|s| std::io::Read::read(&mut &*s, &mut buf));
                assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            }
            let woken = Rc::new(Cell::new(0));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let (fd, woken) = (fd.clone(), woken.clone());
                    ramen::spawn(async move {
                        let guard = fd.readable().await.unwrap();
                        woken.set(woken.get() + 1);
                        guard.retain_ready();
                    })
                })
                .collect();
            sleep(Duration::from_millis(10)).await;
            assert_eq!(woken.get(), 0);
            std::io::Write::write_all(&mut w, b"x").unwrap();
            for t in tasks {
                t.await.unwrap();
            }
            woken.get()
        })
    });
    assert_eq!(woken, 2);
}
