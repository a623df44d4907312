//! No fd outlives its runtime: listeners, streams, sockets, files, signal
//! pipes, children's pipes and the poller are all closed. Its own binary, and
//! its tests take `SERIAL`, so no other test opens fds while one counts them.

/// Held by every test here while it counts fds.
#[cfg(target_os = "linux")]
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(target_os = "linux")]
#[test]
fn runtime_closes_every_fd_it_opened() {
    use ramen::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
    use ramen::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
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

#[cfg(target_os = "linux")]
#[test]
fn signals_and_children_close_their_fds() {
    use ramen::io::AsyncReadExt;
    use ramen::process::{Command, Stdio};
    use ramen::signal::{SignalKind, signal};

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Warm-up: the signal self-pipe is process-wide, created with the first
    // handler and never closed (two fds, once).
    ramen::block_on(async {
        drop(signal(SignalKind::user_defined1()).unwrap());
    });
    let before = open_fds();
    {
        let rt = ramen::Runtime::new().unwrap();
        rt.block_on(async {
            let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
            let _second = signal(SignalKind::user_defined1()).unwrap();
            // SAFETY: ramen's SIGUSR1 handler is installed above.
            unsafe { libc::raise(libc::SIGUSR1) };
            assert_eq!(usr1.recv().await, Some(()));
            // A child with three pipes (and a pidfd), read and awaited.
            let mut child = Command::new("sh")
                .args(["-c", "cat; echo err >&2"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdin.take());
            let mut out = Vec::new();
            let mut stdout = child.stdout.take().unwrap();
            stdout.read_to_end(&mut out).await.unwrap();
            assert!(child.wait().await.unwrap().success());
            // `output` (pipes inside), a missing program, a killed-on-drop
            // child, and a child whose waiting task is cancelled with the
            // runtime.
            let out = Command::new("echo").arg("x").output().await.unwrap();
            assert_eq!(out.stdout, b"x\n");
            assert!(Command::new("/nonexistent/ramen").spawn().is_err());
            let killed = Command::new("sleep")
                .arg("10")
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            drop(killed);
            let mut waiting = Command::new("sleep")
                .arg("10")
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let _detached = ramen::spawn(async move { waiting.wait().await });
            ramen::yield_now().await;
        });
        drop(rt);
    }
    assert_eq!(open_fds(), before, "fds leaked by signals or children");
}
