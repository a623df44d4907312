//! No fd outlives its runtime: listeners, streams, sockets, files and the
//! poller are all closed. One test in its own binary, so no other test opens fds
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
            // Files: open and close many; a File dropped right after a write
            // keeps its fd only until its pool job ends (flushed here first).
            let fp = std::env::temp_dir().join(format!("ramen-leak-{}.txt", std::process::id()));
            for i in 0..100u32 {
                let mut f = ramen::fs::File::create(&fp).await.unwrap();
                f.write_u32(i).await.unwrap();
                f.flush().await.unwrap();
                let mut r = ramen::fs::File::open(&fp).await.unwrap();
                assert_eq!(r.read_u32().await.unwrap(), i);
            }
            let mut d = ramen::fs::read_dir(std::env::temp_dir()).await.unwrap();
            let _ = d.next_entry().await.unwrap();
            drop(d);
            ramen::fs::remove_file(&fp).await.unwrap();
            let _sock = ramen::net::TcpSocket::new_v4().unwrap();
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
        // Waits for the blocking-pool threads the file jobs used to exit.
        assert!(rt.shutdown_timeout(std::time::Duration::from_secs(10)));
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        open_fds(),
        before,
        "fds leaked by the runtime or its sockets"
    );
}
