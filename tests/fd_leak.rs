//! No fd outlives its runtime: listeners, streams, sockets and the poller are
//! all closed. One test in its own binary, so no other test opens fds
//! meanwhile.

#[cfg(target_os = "linux")]
#[test]
fn runtime_closes_every_fd_it_opened() {
    use ramen::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
    use ramen::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }
    let path = std::env::temp_dir().join(format!("ramen-leak-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let before = open_fds();
    {
        let rt = ramen::Runtime::new().unwrap();
        let p = path.clone();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut c = TcpStream::connect(addr).await.unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            c.write_all(b"x").await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            let (_r, _w) = c.into_split();
            let second = TcpStream::connect(addr).await; // queued, never accepted
            assert!(second.is_ok());
            let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            u.send_to(b"y", u.local_addr().unwrap()).await.unwrap();
            let ul = UnixListener::bind(&p).unwrap();
            let _uc = UnixStream::connect(&p).await.unwrap();
            let _us = ul.accept().await.unwrap();
            let _pair = UnixStream::pair().unwrap();
            let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
            let _fd = AsyncFd::new(a).unwrap();
            // A task left waiting on a socket is cancelled when the runtime drops.
            let (mut x, y) = UnixStream::pair().unwrap();
            let _detached = ramen::spawn(async move {
                let _y = y;
                let mut b = [0u8; 1];
                let _ = x.read(&mut b).await;
            });
            ramen::yield_now().await;
            drop(TcpStream::connect("127.0.0.1:1").await); // refused: its socket closes too
        });
        drop(rt);
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        open_fds(),
        before,
        "fds leaked by the runtime or its sockets"
    );
}
