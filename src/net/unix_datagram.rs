//! Unix-domain datagram sockets: [`UnixDatagram`].
//!
//! **Naive approach:** `std::os::unix::net::UnixDatagram::recv` in a task.
//! **Its problem:** it blocks the thread until a datagram arrives; and a
//! `send` to a peer whose queue is full blocks too (unlike UDP, a local
//! datagram socket has flow control).
//!
//! **What this file does:** the std socket, non-blocking and registered with
//! the reactor, as `udp.rs`: each operation is one `io` loop (receives wait
//! on READABLE, sends on WRITABLE — a full peer queue makes a send *wait*,
//! not fail). Readiness and `try_*` forms are in `readiness.rs`.

use std::io;
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;

use super::{context, nonblocking_source};
use crate::io::fd::IoSource;
use crate::reactor::{READABLE, WRITABLE};

/// A Unix-domain datagram socket.
///
/// ```
/// use ramen::net::UnixDatagram;
/// ramen::block_on(async {
///     let (a, b) = UnixDatagram::pair().unwrap();
///     a.send(b"ping").await.unwrap();
///     let mut buf = [0u8; 16];
///     let n = b.recv(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
/// });
/// ```
///
/// Belongs to the runtime that created it: polled in another one (or with
/// none), its operations fail at once with an error saying so.
///
/// The socket file of a bound socket is not removed on drop (as with std).
#[derive(Debug)]
pub struct UnixDatagram {
    pub(super) io: IoSource<std_unix::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds to `path` (synchronous, like std's). Must be called inside
    /// `ramen::block_on`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        let s = std_unix::UnixDatagram::bind(path).map_err(|e| {
            context(
                e,
                format_args!("cannot bind Unix datagram socket to {}", path.display()),
            )
        })?;
        UnixDatagram::from_std(s)
    }

    /// A socket bound to no address: it can send (`send_to`, or `send`
    /// after `connect`), but nobody can address a reply to it.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std_unix::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std_unix::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket (made non-blocking here).
    pub fn from_std(socket: std_unix::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: nonblocking_source(socket)?,
        })
    }

    /// Sets the default peer for [`send`](Self::send) and filters
    /// [`recv`](Self::recv) to it (synchronous: no handshake).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.io.get_ref().connect(path).map_err(|e| {
            context(
                e,
                format_args!("cannot connect Unix datagram socket to {}", path.display()),
            )
        })
    }

    /// Sends one datagram to the connected peer; waits while the peer's
    /// queue is full.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `send` sent nothing.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(WRITABLE, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer; a longer datagram is
    /// truncated to `buf`.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `recv` received nothing.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(READABLE, |s| s.recv(buf)).await
    }

    /// Sends one datagram to the socket bound at `path`.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `send_to` sent nothing.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.io(WRITABLE, |s| s.send_to(buf, path)).await
    }

    /// Receives one datagram and the address it came from.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `recv_from` received nothing.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(READABLE, |s| s.recv_from(buf)).await
    }

    /// Sends to the connected peer now, without waiting (`WouldBlock` while
    /// its queue is full).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(WRITABLE, |s| s.send(buf))
    }

    /// Receives a datagram that is there now, without waiting (`WouldBlock`
    /// if none is).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(READABLE, |s| s.recv(buf))
    }

    /// The bound address (unnamed for an unbound socket).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}
