//! TCP: echo under load, bulk transfer, many idle connections, half-close,
//! errors with context, cancel-safe reads, split halves.

use std::time::Duration;

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::{TcpListener, TcpStream};
use ramen::time::timeout;

/// Raises the soft fd limit towards `want` (tests open thousands of sockets).
fn raise_fd_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    let target = (want as libc::rlim_t).min(lim.rlim_max);
    if lim.rlim_cur < target {
        lim.rlim_cur = target;
        // SAFETY: `lim` is a valid rlimit with cur <= max.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

/// Accepts forever, echoing every connection until the peer closes.
fn spawn_echo_server(listener: TcpListener) {
    let _server = ramen::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.expect("accept");
            let _conn = ramen::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = s.read(&mut buf).await.expect("server read");
                    if n == 0 {
                        break;
                    }
                    s.write_all(&buf[..n]).await.expect("server write");
                }
            });
        }
    });
}

#[test]
fn echo_500_clients_100_round_trips() {
    raise_fd_limit(4096);
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        spawn_echo_server(listener);
        let clients: Vec<_> = (0..500u32)
            .map(|id| {
                ramen::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.expect("connect");
                    s.set_nodelay(true).unwrap();
                    let mut back = [0u8; 64];
                    for round in 0..100u32 {
                        let mut msg = [0u8; 64];
                        for (i, b) in msg.iter_mut().enumerate() {
                            *b = (id as usize * 31 + round as usize * 7 + i) as u8;
                        }
                        s.write_all(&msg).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg, "client {id} round {round}");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

#[test]
fn sixty_four_mib_through_one_stream() {
    const TOTAL: usize = 64 * 1024 * 1024;
    fn byte_at(i: usize) -> u8 {
        (i.wrapping_mul(2_654_435_761) >> 13) as u8
    }
    let (sent, got) = ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = ramen::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut sum = 0u64;
            let mut chunk = vec![0u8; 256 * 1024];
            let mut off = 0;
            while off < TOTAL {
                for (j, b) in chunk.iter_mut().enumerate() {
                    *b = byte_at(off + j);
                    sum = sum.wrapping_mul(31).wrapping_add(*b as u64);
                }
                s.write_all(&chunk).await.unwrap();
                off += chunk.len();
            }
            s.shutdown().await.unwrap();
            sum
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let mut buf = vec![0u8; 100_000]; // not a divisor: exercises odd splits
        let (mut sum, mut total) = (0u64, 0usize);
        loop {
            let n = c.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            for (j, &b) in buf[..n].iter().enumerate() {
                assert_eq!(b, byte_at(total + j), "byte {}", total + j);
                sum = sum.wrapping_mul(31).wrapping_add(b as u64);
            }
            total += n;
        }
        assert_eq!(total, TOTAL);
        (writer.await.unwrap(), sum)
    });
    assert_eq!(sent, got);
}

#[test]
fn two_thousand_idle_connections() {
    raise_fd_limit(8192);
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ramen::spawn(async move {
            let mut closed = Vec::new();
            for _ in 0..2000 {
                let (mut s, _) = listener.accept().await.unwrap();
                closed.push(ramen::spawn(async move {
                    let mut b = [0u8; 16];
                    s.read(&mut b).await.unwrap() // waits idle until the client closes
                }));
            }
            closed
        });
        let mut clients = Vec::new();
        for _ in 0..2000 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let closed = server.await.unwrap();
        ramen::time::sleep(Duration::from_millis(50)).await;
        assert!(
            closed.iter().all(|h| !h.is_finished()),
            "idle reads stay pending"
        );
        drop(clients);
        for h in closed {
            assert_eq!(h.await.unwrap(), 0, "a closed peer reads as Ok(0)");
        }
    });
}

#[test]
fn half_close_then_write_back() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ramen::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap(); // ends at the client's FIN
            s.write_all(b"bye").await.unwrap();
            got
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        c.shutdown().await.unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"bye");
        assert_eq!(server.await.unwrap(), b"hello");
    });
}

/// Data and FIN arriving in one readiness edge: the short read of the data
/// must not hide the end of stream. Run on each reactor backend (the epoll
/// one trusts short reads, which is safe only because it keeps "read
/// closed"; see `src/reactor.rs`).
#[test]
fn data_then_close_in_one_edge_is_seen() {
    let mut backends = vec![ramen::ReactorBackend::Polling];
    if cfg!(target_os = "linux") {
        backends.push(ramen::ReactorBackend::Epoll);
    }
    for backend in backends {
        let rt = ramen::Runtime::builder()
            .reactor_backend(backend)
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            for _ in 0..50 {
                let mut c = TcpStream::connect(addr).await.unwrap();
                let (mut s, _) = listener.accept().await.unwrap();
                let reader = ramen::spawn(async move {
                    let mut got = Vec::new();
                    c.read_to_end(&mut got).await.map(|_| got)
                });
                ramen::yield_now().await; // the reader is now waiting
                s.write_all(b"x").await.unwrap();
                drop(s);
                let got = timeout(Duration::from_secs(10), reader)
                    .await
                    .unwrap_or_else(|_| panic!("{backend:?}: EOF after a short read was lost"))
                    .unwrap()
                    .unwrap();
                assert_eq!(got, b"x");
            }
        });
    }
}

#[test]
fn refused_connect_names_the_address() {
    ramen::block_on(async {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    });
}

#[test]
fn address_in_use_names_the_address() {
    ramen::block_on(async {
        let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = a.local_addr().unwrap();
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    });
}

#[test]
fn timed_out_read_loses_nothing() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        for _ in 0..3 {
            let r = timeout(Duration::from_millis(20), c.read(&mut buf)).await;
            assert!(r.is_err(), "nothing was sent yet");
        }
        s.write_all(b"after the timeouts").await.unwrap();
        drop(s);
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"after the timeouts");
    });
}

#[test]
fn split_halves_work_from_two_tasks() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        spawn_echo_server(listener);
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        // The reader waits first (READABLE slot) while the writer writes.
        let reader = ramen::spawn(async move {
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            got
        });
        let writer = ramen::spawn(async move {
            for i in 0..100u8 {
                w.write_all(&[i; 1000]).await.unwrap();
            }
            drop(w); // shuts the write side down; the echo server then closes
        });
        writer.await.unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), 100_000);
        assert!(
            got.chunks(1000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
    });
}

#[test]
fn accept_and_peer_addresses_agree() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (s, from) = listener.accept().await.unwrap();
        assert_eq!(from, c.local_addr().unwrap());
        assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
        assert_eq!(c.peer_addr().unwrap(), listener.local_addr().unwrap());
        c.set_nodelay(true).unwrap();
        assert!(c.nodelay().unwrap());
    });
}

#[test]
fn creating_a_socket_outside_a_runtime_is_an_error() {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std_l).unwrap_err();
    assert!(err.to_string().contains("ramen::block_on"), "{err}");
}
