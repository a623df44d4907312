//! Readiness and non-async I/O on sockets (`src/net/readiness.rs`,
//! `src/io/interest.rs`) and `UnixDatagram` (`src/net/unix_datagram.rs`).

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};

use ramen::io::{AsyncFd, Interest, Readiness, Ready};
use ramen::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};

/// The stream checks, stamped on both stream types.
macro_rules! stream_checks {
    ($a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        let mut buf = [0u8; 16];
        // Nothing sent yet: try_read does not wait.
        assert_eq!(
            a.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        // A fresh connection is writable (and not readable).
        let r = a
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert!(r.is_writable() && !r.is_readable(), "{r:?}");
        b.writable().await.unwrap();
        assert_eq!(b.try_write(b"hello").unwrap(), 5);
        // readable() then try_read, the tokio loop.
        let n = loop {
            a.readable().await.unwrap();
            match a.try_read(&mut buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                r => break r.unwrap(),
            }
        };
        assert_eq!(&buf[..n], b"hello");
        // Vectored, both ways.
        let parts = [IoSlice::new(b"ab"), IoSlice::new(b"cde")];
        assert_eq!(b.try_write_vectored(&parts).unwrap(), 5);
        // peek leaves the bytes in place, twice; poll_peek too.
        let mut p = [0u8; 5];
        assert_eq!(a.peek(&mut p).await.unwrap(), 5);
        assert_eq!(&p, b"abcde");
        let mut q = [0u8; 5];
        let n = poll_fn(|cx| a.poll_peek(cx, &mut q)).await.unwrap();
        assert_eq!(&q[..n], b"abcde");
        let (mut x, mut y) = ([0u8; 3], [0u8; 8]);
        let mut bufs = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)];
        assert_eq!(a.try_read_vectored(&mut bufs).unwrap(), 5);
        assert_eq!((&x, &y[..2]), (b"abc", &b"de"[..]));
        // Drained: WouldBlock again, and readiness was cleared by it, so
        // `readable()` now waits — until the peer writes.
        assert_eq!(
            a.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        let wait = ramen::time::timeout(std::time::Duration::from_millis(20), a.readable());
        assert!(
            wait.await.is_err(),
            "readable() returned with nothing to read"
        );
        drop(b);
        a.readable().await.unwrap();
        assert_eq!(a.try_read(&mut buf).unwrap(), 0, "end of stream");
    }};
}

#[test]
fn tcp_stream_readiness_and_try_io() {
    ramen::block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        stream_checks!(c, s);
    });
}

#[test]
fn unix_stream_readiness_and_try_io() {
    ramen::block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        stream_checks!(a, b);
    });
}

#[test]
fn udp_poll_and_try_forms() {
    ramen::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let mut buf = [0u8; 16];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.writable().await.unwrap();
        assert_eq!(a.try_send_to(b"one", b_addr).unwrap(), 3);
        let sent = poll_fn(|cx| a.poll_send_to(cx, b"two", b_addr)).await;
        assert_eq!(sent.unwrap(), 3);
        // peek_from leaves the datagram queued.
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        b.readable().await.unwrap();
        let (n, from) = b.try_recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
        let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"two"[..], a_addr));
        // Connected forms.
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.try_send(b"three").unwrap(), 5);
        assert_eq!(poll_fn(|cx| a.poll_send(cx, b"four")).await.unwrap(), 4);
        let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"three");
        b.readable().await.unwrap();
        let n = b.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"four");
        assert_eq!(
            b.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}

#[test]
fn unix_datagram_all_forms() {
    let dir = std::env::temp_dir().join(format!("ramen-udgram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pa, pb) = (dir.join("a.sock"), dir.join("b.sock"));
    let _ = (std::fs::remove_file(&pa), std::fs::remove_file(&pb));
    ramen::block_on(async {
        // pair
        let (x, y) = UnixDatagram::pair().unwrap();
        x.send(b"pair").await.unwrap();
        let mut buf = [0u8; 16];
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pair");
        // bind + send_to + recv_from (with the sender's address)
        let a = UnixDatagram::bind(&pa).unwrap();
        let b = UnixDatagram::bind(&pb).unwrap();
        assert_eq!(a.local_addr().unwrap().as_pathname(), Some(pa.as_path()));
        a.send_to(b"hi", &pb).await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from.as_pathname()),
            (&b"hi"[..], Some(pa.as_path()))
        );
        // connect + peer_addr + send/recv
        b.connect(&pa).unwrap();
        assert_eq!(b.peer_addr().unwrap().as_pathname(), Some(pa.as_path()));
        b.send(b"back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
        // unbound sender, from_std receiver
        let u = UnixDatagram::unbound().unwrap();
        let (s1, s2) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let s2 = UnixDatagram::from_std(s2).unwrap();
        s1.send(b"std").unwrap();
        s2.readable().await.unwrap();
        let n = s2.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"std");
        assert_eq!(
            s2.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        u.send_to(b"anon", &pa).await.unwrap();
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from.as_pathname()), (&b"anon"[..], None));
        // A connect to nothing names the path.
        let e = u.connect(dir.join("missing.sock")).unwrap_err();
        assert!(e.to_string().contains("missing.sock"), "{e}");
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unix_datagram_send_waits_while_the_peer_queue_is_full() {
    ramen::block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        // Fill the peer's queue without waiting.
        let mut sent = 0u32;
        loop {
            match a.try_send(b"fill1234") {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(sent > 0);
        // The next send waits; draining the queue makes room (the kernel
        // reports writable once most of it is free) and it completes.
        let reader = async {
            ramen::time::sleep(std::time::Duration::from_millis(10)).await;
            let mut buf = [0u8; 64];
            for _ in 0..sent {
                assert_eq!(b.recv(&mut buf).await.unwrap(), 8);
            }
            let n = b.recv(&mut buf).await.unwrap();
            buf[..n].to_vec()
        };
        let (sent_last, got) = ramen::join!(a.send(b"last"), reader);
        assert_eq!((sent_last.unwrap(), &got[..]), (4, &b"last"[..]));
    });
}

/// `ramen::io::Ready` and `Interest` combine as sets.
#[test]
fn interest_and_ready_sets() {
    let both = Interest::READABLE | Interest::WRITABLE;
    assert!(both.is_readable() && both.is_writable());
    assert!(!Interest::READABLE.is_writable());
    assert_eq!(Interest::READABLE.add(Interest::WRITABLE), both);
    let r = Ready::READABLE | Ready::WRITABLE;
    assert!(r.is_readable() && r.is_writable() && !r.is_empty());
    assert!(Ready::EMPTY.is_empty());
}

#[test]
fn async_fd_writable_returns_a_readiness() {
    ramen::block_on(async {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = AsyncFd::new(a).unwrap();
        let fut: Readiness<'_, _> = fd.writable();
        fut.await.unwrap().retain_ready();
    });
}
