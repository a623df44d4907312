//! UDP round trips and Unix-domain streams (connect, pair, split).

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::{UdpSocket, UnixListener, UnixStream};

#[test]
fn udp_send_to_recv_from_round_trip() {
    ramen::block_on(async {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        let echo = ramen::spawn(async move {
            let mut buf = [0u8; 1500];
            for _ in 0..10 {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 1500];
        for i in 0..10u8 {
            let msg = [i; 100];
            client.send_to(&msg, server_addr).await.unwrap();
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, server_addr);
            assert_eq!(&buf[..n], &msg);
        }
        echo.await.unwrap();
    });
}

#[test]
fn udp_connected_send_recv() {
    ramen::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        // b waits first, then a sends.
        let reader = ramen::spawn(async move {
            let mut buf = [0u8; 32];
            let n = b.recv(&mut buf).await.unwrap();
            b.send(&buf[..n]).await.unwrap();
            buf[..n].to_vec()
        });
        ramen::yield_now().await;
        a.send(b"datagram").await.unwrap();
        let mut buf = [0u8; 32];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"datagram");
        assert_eq!(reader.await.unwrap(), b"datagram");
    });
}

fn socket_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("ramen-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn unix_stream_round_trip() {
    let path = socket_path("rt");
    let p = path.clone();
    ramen::block_on(async move {
        let listener = UnixListener::bind(&p).unwrap();
        let server = ramen::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
            buf.len()
        });
        let c = UnixStream::connect(&p).await.unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        // Write and read concurrently: 300 kB is more than the socket buffers.
        let (mut r, mut w) = c.into_split();
        let d = data.clone();
        let writer = ramen::spawn(async move {
            w.write_all(&d).await.unwrap();
            w.shutdown().await.unwrap();
        });
        let mut back = Vec::new();
        r.read_to_end(&mut back).await.unwrap();
        writer.await.unwrap();
        assert_eq!(server.await.unwrap(), data.len());
        assert_eq!(back, data);
    });
    let _ = std::fs::remove_file(path);
}

#[test]
fn unix_connect_to_missing_path_names_it() {
    ramen::block_on(async {
        let path = socket_path("missing");
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    });
}

#[test]
fn unix_pair_both_ways_and_eof() {
    ramen::block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let t = ramen::spawn(async move {
            let mut buf = [0u8; 5];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(b"pong!").await.unwrap();
            let mut rest = Vec::new();
            b.read_to_end(&mut rest).await.unwrap();
            (buf, rest)
        });
        a.write_all(b"ping!").await.unwrap();
        let mut buf = [0u8; 5];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong!");
        drop(a);
        let (got, rest) = t.await.unwrap();
        assert_eq!(&got, b"ping!");
        assert!(rest.is_empty(), "a closed peer reads as Ok(0)");
    });
}

#[test]
fn read_exact_reports_unexpected_eof_with_counts() {
    ramen::block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"abc").await.unwrap();
        drop(a);
        let mut buf = [0u8; 10];
        let err = b.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("3 of 10"), "{err}");
    });
}
