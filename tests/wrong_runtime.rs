//! An I/O object used outside the runtime that created it fails at once
//! with an error naming the fix (`src/io/fd.rs`, "One runtime per object"),
//! instead of waiting forever on a reactor nobody waits on.
//!
//! On the old code these hung: each runs under a watchdog and fails instead.

use ramen::io::AsyncFd;
use ramen::net::{TcpListener, UdpSocket};

mod watchdog_support;

/// [`watchdog_support::watchdog`] for this file.
fn watchdog<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    watchdog_support::watchdog("an I/O object waited in a runtime that is not its own", f)
}

fn assert_names_the_fix(e: &std::io::Error) {
    let msg = e.to_string();
    assert!(
        msg.contains("belongs to the runtime that created it"),
        "{msg}"
    );
    assert!(msg.contains("from_std"), "{msg}");
}

#[test]
fn a_listener_from_a_dropped_runtime_fails_at_once_in_a_new_one() {
    let err = watchdog(|| {
        let first = ramen::Runtime::new().unwrap();
        let listener = first.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
        drop(first);
        let second = ramen::Runtime::new().unwrap();
        second.block_on(async move {
            // No client: with a live reactor this would wait; here it must not.
            listener.accept().await.map(drop).unwrap_err()
        })
    });
    assert_names_the_fix(&err);
    assert!(err.to_string().contains("TcpListener"), "{err}");
}

#[test]
fn the_same_runtime_reused_across_block_on_calls_works() {
    let rt = ramen::Runtime::new().unwrap();
    let (a, b) = rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (a, b)
    });
    let got = rt.block_on(async move {
        a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 4];
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(got, b"hi");
}

#[test]
fn a_socket_polled_outside_any_runtime_fails_at_once() {
    let err = watchdog(|| {
        let rt = ramen::Runtime::new().unwrap();
        let sock = rt.block_on(async { UdpSocket::bind("127.0.0.1:0").await.unwrap() });
        // Another executor on a plain thread: no ramen runtime here.
        futures::executor::block_on(async {
            let mut buf = [0u8; 4];
            sock.recv_from(&mut buf).await.unwrap_err()
        })
    });
    assert_names_the_fix(&err);
    assert!(
        err.to_string().contains("outside any ramen runtime"),
        "{err}"
    );
}

#[test]
fn an_async_fd_awaited_in_another_runtime_fails_at_once() {
    let err = watchdog(|| {
        let (r, _w) = std::os::unix::net::UnixStream::pair().unwrap();
        let first = ramen::Runtime::new().unwrap();
        let fd = first.block_on(async { AsyncFd::new(r).unwrap() });
        let second = ramen::Runtime::new().unwrap();
        second.block_on(async {
            loop {
                // The first poll may find the initial "maybe ready": clear
                // it so the next one would wait.
                match fd.readable().await {
                    Ok(guard) => guard.clear_ready(),
                    Err(e) => break e,
                }
            }
        })
    });
    assert_names_the_fix(&err);
}
