//! `net::TcpSocket` options and `TcpListener::bind_reuseport`.

use std::time::Duration;

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::{TcpListener, TcpSocket, TcpStream};

#[test]
fn options_read_back() {
    ramen::block_on(async {
        let s = TcpSocket::new_v4().unwrap();
        assert!(!s.reuseaddr().unwrap());
        s.set_reuseaddr(true).unwrap();
        assert!(s.reuseaddr().unwrap());
        s.set_reuseport(true).unwrap();
        assert!(s.reuseport().unwrap());
        s.set_reuseport(false).unwrap();
        assert!(!s.reuseport().unwrap());
        s.set_nodelay(true).unwrap();
        assert!(s.nodelay().unwrap());
        s.set_send_buffer_size(64 * 1024).unwrap();
        s.set_recv_buffer_size(32 * 1024).unwrap();
        // Linux doubles the requested value; other kernels keep it.
        let (snd, rcv) = (s.send_buffer_size().unwrap(), s.recv_buffer_size().unwrap());
        assert!(snd == 64 * 1024 || snd == 128 * 1024, "{snd}");
        assert!(rcv == 32 * 1024 || rcv == 64 * 1024, "{rcv}");
        assert_eq!(s.linger().unwrap(), None);
        s.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(3)));
        s.set_linger(None).unwrap();
        assert_eq!(s.linger().unwrap(), None);

        s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = s.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let l = s.listen(16).unwrap();
        assert_eq!(l.local_addr().unwrap(), addr);

        // nodelay set before connect survives into the stream.
        let c = TcpSocket::new_v4().unwrap();
        c.set_nodelay(true).unwrap();
        let mut c = c.connect(addr).await.unwrap();
        assert!(c.nodelay().unwrap());
        let (mut srv, _) = l.accept().await.unwrap();
        c.write_all(b"hi").await.unwrap();
        let mut b = [0u8; 2];
        srv.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"hi");

        let v6 = TcpSocket::new_v6().unwrap();
        if v6.bind("[::1]:0".parse().unwrap()).is_ok() {
            assert!(v6.local_addr().unwrap().is_ipv6());
        }
    });
}

#[test]
fn taken_port_without_reuseport_is_addr_in_use() {
    ramen::block_on(async {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = first.local_addr().unwrap();
        let s = TcpSocket::new_v4().unwrap();
        let e = s.bind(addr).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        assert!(e.to_string().contains(&addr.to_string()), "{e}");
        // A reuseport listener cannot join a port held without the option.
        let e = TcpListener::bind_reuseport(addr).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
    });
}

#[test]
fn connect_refused_names_the_address() {
    ramen::block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = TcpSocket::new_v4()
            .unwrap()
            .connect(addr)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(e.to_string().contains(&addr.to_string()), "{e}");
    });
}

/// Two listeners on one port, each accepting in its own task: the kernel
/// spreads connections, so both get some (bounded number of tries).
#[test]
fn two_reuseport_listeners_both_accept() {
    ramen::block_on(async {
        let a = TcpListener::bind_reuseport("127.0.0.1:0").await.unwrap();
        let addr = a.local_addr().unwrap();
        let b = TcpListener::bind_reuseport(addr).await.unwrap();
        assert_eq!(b.local_addr().unwrap(), addr);
        let (tx, mut rx) = ramen::sync::mpsc::channel::<u8>(2000);
        for (id, l) in [(0u8, a), (1u8, b)] {
            let tx = tx.clone();
            let _detached = ramen::spawn(async move {
                loop {
                    let (mut s, _) = l.accept().await.unwrap();
                    s.write_all(&[id]).await.unwrap();
                    let _ = tx.send(id).await;
                }
            });
        }
        let mut seen = [0u32; 2];
        let mut tries = 0;
        while (seen[0] == 0 || seen[1] == 0) && tries < 1000 {
            tries += 1;
            let mut c = TcpStream::connect(addr).await.unwrap();
            let mut who = [0u8; 1];
            c.read_exact(&mut who).await.unwrap();
            assert_eq!(rx.recv().await, Some(who[0]));
            seen[who[0] as usize] += 1;
        }
        assert!(
            seen[0] > 0 && seen[1] > 0,
            "after {tries} connections: {seen:?}"
        );
    });
}
