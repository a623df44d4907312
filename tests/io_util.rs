//! BufReader (read_line, lines, UTF-8 errors) and AsyncFd over a pipe and an
//! eventfd.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;

use ramen::io::{AsyncBufReadExt, AsyncFd, AsyncReadExt, AsyncWriteExt, BufReader};
use ramen::net::UnixStream;

#[test]
fn read_line_keeps_newline_and_handles_last_line() {
    ramen::block_on(async {
        let mut r = BufReader::with_capacity(4, &b"first line\nsecond\nno newline"[..]);
        let mut s = String::new();
        assert_eq!(r.read_line(&mut s).await.unwrap(), 11);
        assert_eq!(s, "first line\n");
        assert_eq!(r.read_line(&mut s).await.unwrap(), 7);
        assert_eq!(s, "first line\nsecond\n", "read_line appends");
        s.clear();
        assert_eq!(r.read_line(&mut s).await.unwrap(), 10);
        assert_eq!(s, "no newline");
        s.clear();
        assert_eq!(r.read_line(&mut s).await.unwrap(), 0);
        assert!(s.is_empty());
    });
}

#[test]
fn lines_strip_endings_and_return_the_final_line() {
    ramen::block_on(async {
        let mut lines = BufReader::new(&b"a\r\nbb\n\nccc"[..]).lines();
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            got.push(l);
        }
        assert_eq!(got, ["a", "bb", "", "ccc"]);
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic_and_reading_moves_on() {
    ramen::block_on(async {
        let data: &[u8] = b"ok\n\xff\xfe bad\nafter\n";
        let mut r = BufReader::new(data);
        let mut s = String::from("keep:");
        r.read_line(&mut s).await.unwrap();
        assert_eq!(s, "keep:ok\n");
        let err = r.read_line(&mut s).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(s, "keep:ok\n", "the string is left unchanged");
        r.read_line(&mut s).await.unwrap();
        assert_eq!(s, "keep:ok\nafter\n");

        let mut lines = BufReader::new(data).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ok"));
        assert_eq!(
            lines.next_line().await.unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("after"));

        let mut raw = Vec::new();
        BufReader::new(&data[3..])
            .read_until(b'\n', &mut raw)
            .await
            .unwrap();
        assert_eq!(raw, b"\xff\xfe bad\n", "read_until gives the raw bytes");
    });
}

#[test]
fn lines_over_a_socket_survive_a_timeout() {
    ramen::block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut lines = BufReader::new(a).lines();
        b.write_all(b"partial").await.unwrap();
        let r = ramen::time::timeout(Duration::from_millis(20), lines.next_line()).await;
        assert!(r.is_err(), "no newline yet");
        b.write_all(b" line\nnext\n").await.unwrap();
        assert_eq!(
            lines.next_line().await.unwrap().as_deref(),
            Some("partial line")
        );
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("next"));
    });
}

fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both fds were just created and are owned by nobody else.
    unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
            std::fs::File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

#[test]
fn async_fd_over_a_pipe() {
    ramen::block_on(async {
        let (r, w) = pipe();
        let mut r = AsyncFd::new(r).unwrap();
        let mut w = AsyncFd::new(w).unwrap();
        // More than a pipe buffer (64 KiB): the writer must wait for the reader.
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let d = data.clone();
        let writer = ramen::spawn(async move {
            w.write_all(&d).await.unwrap();
            drop(w); // closes the write end: the reader sees EOF
        });
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!(got, data);
        let file = r.into_inner();
        drop(file);
    });
}

#[test]
fn async_fd_readable_guard_with_try_io() {
    ramen::block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        let reader = ramen::spawn(async move {
            let mut buf = [0u8; 16];
            loop {
                let mut guard = r.readable().await.unwrap();
                match guard.try_io(|mut f| f.read(&mut buf)) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    res => break buf[..res.unwrap()].to_vec(),
                }
            }
        });
        ramen::time::sleep(Duration::from_millis(20)).await;
        assert!(!reader.is_finished());
        w.write_all(b"wake").unwrap();
        assert_eq!(reader.await.unwrap(), b"wake");
    });
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn async_fd_over_an_eventfd() {
    ramen::block_on(async {
        // SAFETY: eventfd takes no pointers; the result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: `fd` is a fresh eventfd owned by nobody else.
        let efd = AsyncFd::new(unsafe { std::fs::File::from(OwnedFd::from_raw_fd(fd)) }).unwrap();
        let efd = std::rc::Rc::new(efd);
        let e2 = efd.clone();
        let waiter = ramen::spawn(async move {
            let mut total = 0u64;
            while total < 6 {
                let mut guard = e2.readable().await.unwrap();
                let mut buf = [0u8; 8];
                match guard.try_io(|mut f| f.read(&mut buf)) {
                    Ok(8) => total += u64::from_ne_bytes(buf),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    other => panic!("eventfd read: {other:?}"),
                }
            }
            total
        });
        for n in 1..=3u64 {
            ramen::time::sleep(Duration::from_millis(5)).await;
            let mut guard = efd.writable().await.unwrap();
            guard.try_io(|mut f| f.write(&n.to_ne_bytes())).unwrap();
        }
        assert_eq!(waiter.await.unwrap(), 6);
    });
}

#[test]
fn dropping_a_pending_readable_leaves_the_fd_usable() {
    ramen::block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        // A new registration starts "maybe ready": the first try finds nothing.
        let mut b = [0u8; 1];
        let mut guard = r.readable().await.unwrap();
        let e = guard.try_io(|mut f| f.read(&mut b)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
        drop(guard);
        let t = ramen::time::timeout(Duration::from_millis(10), r.readable()).await;
        assert!(t.is_err());
        w.write_all(b"x").unwrap();
        let mut guard = r.readable().await.unwrap();
        assert_eq!(guard.try_io(|mut f| f.read(&mut b)).unwrap(), 1);
    });
}

#[test]
fn async_fd_outside_a_runtime_is_an_error() {
    let (r, _w) = pipe();
    let err = AsyncFd::new(r).unwrap_err();
    assert!(err.to_string().contains("ramen::block_on"), "{err}");
}
