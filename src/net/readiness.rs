//! Readiness and non-async I/O on sockets, with tokio's names: `ready()`,
//! `readable()`, `writable()`, `try_read`, `try_write`, the vectored forms,
//! `peek`; and `UdpSocket`'s `poll_*` / `try_*` forms.
//!
//! **Naive approach:** `read().await` only. **Its problem:** a future that
//! holds the buffer while it waits — one buffer per idle connection — and
//! no way to batch several syscalls after one wakeup, or to drive a socket
//! from hand-written `poll` code.
//!
//! **What this file does:** "wait, then try": `ready()` waits as one waiter
//! among any number (so several tasks may await `readable()` on one socket);
//! each `try_*` is one syscall now, and its `WouldBlock` clears the cached
//! readiness so the next wait really waits (see `io/interest.rs`), and so,
//! with the epoll backend, does a short stream read (see `io/fd.rs`). The
//! methods are the same for every socket type, so they are written once, as
//! macros, and stamped on each type here.
//!
//! ```
//! use ramen::net::UnixStream;
//! ramen::block_on(async {
//!     let (a, b) = UnixStream::pair().unwrap();
//!     b.try_write(b"ping").unwrap();
//!     let mut buf = [0u8; 16];
//!     let n = loop {
//!         a.readable().await.unwrap();
//!         match a.try_read(&mut buf) {
//!             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
//!             r => break r.unwrap(),
//!         }
//!     };
//!     assert_eq!(&buf[..n], b"ping");
//! });
//! ```

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::{TcpStream, UdpSocket, UnixDatagram, UnixStream};
use crate::io::{Interest, Ready, peek};
use crate::reactor::{READABLE, WRITABLE};

/// `ready`, `readable`, `writable` for a socket type with an `io` field.
macro_rules! impl_ready {
    ($ty:ident) => {
        impl $ty {
            /// Waits until the socket may be ready for any direction of
            /// `interest`, and says which. Any number of tasks may wait at
            /// once. Readiness is a hint: follow it with `try_*` calls and
            /// wait again on `WouldBlock`. Fails at once outside the runtime
            /// that created the socket.
            ///
            /// # Cancellation
            /// Cancel-safe: dropping the future removes its waiter; no data
            /// is consumed.
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                self.io.ready(interest).await
            }

            /// Waits until the socket may be readable; see [`ready`](Self::ready).
            ///
            /// # Cancellation
            /// Cancel-safe, as `ready`.
            pub async fn readable(&self) -> io::Result<()> {
                self.ready(Interest::READABLE).await.map(drop)
            }

            /// Waits until the socket may be writable; see [`ready`](Self::ready).
            ///
            /// # Cancellation
            /// Cancel-safe, as `ready`.
            pub async fn writable(&self) -> io::Result<()> {
                self.ready(Interest::WRITABLE).await.map(drop)
            }
        }
    };
}

/// The non-waiting stream methods and `peek` for a stream type whose
/// `&std stream` implements `Read` and `Write`.
macro_rules! impl_stream_try_io {
    ($ty:ident) => {
        impl $ty {
            /// Reads what is there now, without waiting: `WouldBlock` if
            /// nothing is (then await [`readable`](Self::readable)); `Ok(0)`
            /// at end of stream. A short read may end the cached readiness
            /// (the socket is drained; see `io/fd.rs`), so the next
            /// `readable()` waits for new data.
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                let len = buf.len();
                let r = self.io.try_io(READABLE, |mut s| s.read(buf));
                self.io.read_done(&r, len);
                r
            }

            /// [`try_read`](Self::try_read) into several buffers (`readv`).
            pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
                let len = bufs.iter().map(|b| b.len()).sum();
                let r = self.io.try_io(READABLE, |mut s| s.read_vectored(bufs));
                self.io.read_done(&r, len);
                r
            }

            /// Writes what fits now, without waiting: `WouldBlock` if
            /// nothing does (then await [`writable`](Self::writable)).
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                self.io.try_io(WRITABLE, |mut s| s.write(buf))
            }

            /// [`try_write`](Self::try_write) from several buffers (`writev`).
            pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                self.io.try_io(WRITABLE, |mut s| s.write_vectored(bufs))
            }

            /// Reads without consuming: the same bytes are read again by the
            /// next read. Waits until there is data (or end of stream: `Ok(0)`).
            ///
            /// # Cancellation
            /// Cancel-safe: nothing is consumed either way.
            pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.io.io(READABLE, |s| peek(s, buf)).await
            }

            /// Poll form of [`peek`](Self::peek). Like every `poll_*` method,
            /// only the last task to poll it is woken.
            pub fn poll_peek(
                &self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.io.poll_io(READABLE, cx, |s| peek(s, buf))
            }
        }
    };
}

impl_ready!(TcpStream);
impl_ready!(UnixStream);
impl_ready!(UdpSocket);
impl_ready!(UnixDatagram);
impl_stream_try_io!(TcpStream);
impl_stream_try_io!(UnixStream);

/// `UdpSocket`'s poll and non-waiting forms. The `poll_*` methods share one
/// waiter slot per direction: only the last task to poll is woken (use the
/// `async` forms to wait from several tasks).
impl UdpSocket {
    /// Poll form of [`recv_from`](Self::recv_from).
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(READABLE, cx, |s| s.recv_from(buf))
    }

    /// Poll form of [`send_to`](Self::send_to).
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(WRITABLE, cx, |s| s.send_to(buf, target))
    }

    /// Poll form of [`recv`](Self::recv) (connected sockets).
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(READABLE, cx, |s| s.recv(buf))
    }

    /// Poll form of [`send`](Self::send) (connected sockets).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(WRITABLE, cx, |s| s.send(buf))
    }

    /// Receives a datagram that is there now, without waiting
    /// (`WouldBlock` if none is).
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(READABLE, |s| s.recv_from(buf))
    }

    /// Sends now, without waiting (`WouldBlock` if the send buffer is full).
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(WRITABLE, |s| s.send_to(buf, target))
    }

    /// [`try_recv_from`](Self::try_recv_from) from the connected peer.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(READABLE, |s| s.recv(buf))
    }

    /// [`try_send_to`](Self::try_send_to) to the connected peer.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(WRITABLE, |s| s.send(buf))
    }

    /// Receives the next datagram without removing it from the queue; waits
    /// until there is one.
    ///
    /// # Cancellation
    /// Cancel-safe: nothing is consumed either way.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(READABLE, |s| s.peek_from(buf)).await
    }
}
