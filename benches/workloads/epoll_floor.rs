//! The echo floor: the same 100 connections × round trips as `echo.rs`, as a
//! hand-written single-thread **edge-triggered** epoll state machine over
//! libc. No futures, no wakers, no task allocation: what the kernel costs.
//!
//! Per round trip the minimum is 4 syscalls (client `write`, server `read`,
//! server `write`, client `read`) plus a share of `epoll_wait`. Reads use the
//! "short read means drained" rule, valid for stream sockets under
//! edge-triggering: bytes that arrive later raise a new edge. (It would miss
//! a FIN that arrives in the same edge as the last data — see
//! `src/reactor.rs` — which cannot happen here: no connection closes before
//! its last round trip is read.)

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::echo::MSG;

/// Per-client progress: round trips left, bytes of the current echo received.
struct Client {
    left: usize,
    got: usize,
}

/// `write(2)` of all of `buf`; on loopback with near-empty buffers a 64-byte
/// write is never short, so a short write is reported as a bug, not handled.
fn write_all(fd: RawFd, buf: &[u8]) {
    // SAFETY: `fd` is an open socket owned by the caller's `TcpStream`, and
    // `buf` is valid for `buf.len()` bytes.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    assert_eq!(
        n,
        buf.len() as isize,
        "short write: {}",
        io::Error::last_os_error()
    );
}

/// `read(2)` into `buf`: `Some(n)` (0 = peer closed) or `None` on `EAGAIN`.
fn read(fd: RawFd, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: `fd` is an open socket owned by the caller's `TcpStream`, and
    // `buf` is valid for writes of `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n >= 0 {
        return Some(n as usize);
    }
    let e = io::Error::last_os_error();
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "read: {e}");
    None
}

/// Runs the echo; returns the number of round trips done.
pub fn echo_floor(conns: usize, rounds: usize) -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut socks: Vec<TcpStream> = Vec::with_capacity(2 * conns);
    let mut servers = Vec::with_capacity(conns);
    for _ in 0..conns {
        let c = TcpStream::connect(addr).unwrap();
        let (s, _) = listener.accept().unwrap();
        socks.push(c);
        servers.push(s);
    }
    socks.extend(servers); // 0..conns = clients, conns..2*conns = servers
    // SAFETY: epoll_create1 has no memory preconditions; the result is checked.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(ep >= 0, "epoll_create1: {}", io::Error::last_os_error());
    // SAFETY: `ep` is a fresh fd that nothing else owns; OwnedFd closes it.
    let ep = unsafe { OwnedFd::from_raw_fd(ep) };
    for (i, s) in socks.iter().enumerate() {
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(true).unwrap();
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLET) as u32,
            u64: i as u64,
        };
        // SAFETY: both fds are open; `ev` is a valid epoll_event for the call.
        let r =
            unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
        assert_eq!(r, 0, "epoll_ctl: {}", io::Error::last_os_error());
    }

    let out = [7u8; MSG];
    let mut buf = [0u8; 4096];
    let mut clients: Vec<Client> = (0..conns)
        .map(|_| Client {
            left: rounds,
            got: 0,
        })
        .collect();
    let mut active = 0;
    for (i, c) in clients.iter().enumerate() {
        if c.left > 0 {
            write_all(socks[i].as_raw_fd(), &out);
            active += 1;
        }
    }
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    while active > 0 {
        // SAFETY: `events` is valid for `events.len()` entries; `ep` is open.
        let n = unsafe {
            libc::epoll_wait(ep.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, -1)
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "epoll_wait: {e}");
            continue;
        }
        for ev in &events[..n as usize] {
            let i = ev.u64 as usize;
            let fd = socks[i].as_raw_fd();
            while let Some(got) = read(fd, &mut buf) {
                if got == 0 {
                    break;
                }
                if i >= conns {
                    write_all(fd, &buf[..got]); // server: echo it back
                } else {
                    let c = &mut clients[i];
                    c.got += got;
                    if c.got == MSG {
                        c.got = 0;
                        c.left -= 1;
                        if c.left == 0 {
                            active -= 1;
                        } else {
                            write_all(fd, &out);
                        }
                    }
                }
                if got < buf.len() {
                    break; // short read: drained; the next byte raises a new edge
                }
            }
        }
    }
    conns * rounds
}
