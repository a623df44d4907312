//! UDP: [`UdpSocket`].
//!
//! **Naive approach:** `std::net::UdpSocket::recv_from` in a task. **Its
//! problem:** it blocks the thread until a datagram arrives.
//!
//! **What this file does:** the std socket, non-blocking and registered with
//! the reactor; each operation is one `poll_io` loop. Unlike stream reads, a
//! short datagram says nothing about the queue, so readiness is cleared only
//! on `WouldBlock`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use super::{context, each_addr, nonblocking_source, resolve};
use crate::io::fd::IoSource;
use crate::reactor::{READABLE, WRITABLE};

/// A UDP socket.
///
/// ```
/// use ramen::net::UdpSocket;
/// ramen::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
/// });
/// ```
///
/// Belongs to the runtime that created it: used in another runtime (or on a
/// thread with none), its operations fail at once with an error naming the
/// fix instead of hanging (see [`net`](crate::net)).
#[derive(Debug)]
pub struct UdpSocket {
    pub(super) io: IoSource<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (each resolved address in turn). Must be called inside
    /// `ramen::block_on`.
    ///
    /// # Cancellation
    /// Binding does not wait; nothing to cancel.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let socket = each_addr(addr, |a| {
            std::future::ready(
                std::net::UdpSocket::bind(a)
                    .map_err(|e| context(e, format_args!("cannot bind UDP socket to {a}"))),
            )
        })
        .await?;
        UdpSocket::from_std(socket)
    }

    /// Wraps a std socket (made non-blocking here).
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: nonblocking_source(socket)?,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the default peer for [`send`](Self::send) and filters
    /// [`recv`](Self::recv) to it. Does not wait (UDP has no handshake).
    ///
    /// # Cancellation
    /// Nothing to cancel.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |a| {
            std::future::ready(
                self.io
                    .get_ref()
                    .connect(a)
                    .map_err(|e| context(e, format_args!("cannot connect UDP socket to {a}"))),
            )
        })
        .await
    }

    /// Sends one datagram to `target`.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `send_to` sent nothing.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(target)?[0];
        self.io.io(WRITABLE, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram; a datagram longer than `buf` is truncated.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `recv_from` received nothing.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(READABLE, |s| s.recv_from(buf)).await
    }

    /// Sends to the connected peer.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `send` sent nothing.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(WRITABLE, |s| s.send(buf)).await
    }

    /// Receives from the connected peer.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `recv` received nothing.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(READABLE, |s| s.recv(buf)).await
    }
}
