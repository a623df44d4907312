//! TCP: [`TcpListener`] and [`TcpStream`].
//!
//! **Naive approach:** `std::net::TcpListener::accept` in a task. **Its
//! problem:** it blocks the thread until a client arrives; no other task runs.
//!
//! **What this file does:** the std socket, set non-blocking and registered
//! with the reactor (`io/fd.rs`); `accept` and reads wait on READABLE, writes
//! and `connect` on WRITABLE. `connect` is a real non-blocking connect
//! (`net/sys.rs`), and a stream can be split for two tasks (`split.rs`).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, StreamInner};
use super::{connect_result, connect_stream, context, each_addr, nonblocking_source, sys};
use crate::io::fd::IoSource;
use crate::reactor::READABLE;

/// A TCP server socket.
///
/// ```
/// use ramen::io::{AsyncReadExt, AsyncWriteExt};
/// use ramen::net::{TcpListener, TcpStream};
/// ramen::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     ramen::spawn(async move {
///         let (mut s, _) = listener.accept().await.unwrap();
///         s.write_all(b"hello").await.unwrap();
///     });
///     let mut c = TcpStream::connect(addr).await.unwrap();
///     let mut buf = Vec::new();
///     c.read_to_end(&mut buf).await.unwrap();
///     assert_eq!(buf, b"hello");
/// });
/// ```
///
/// Belongs to the runtime that created it: used in another runtime (or on a
/// thread with none), its operations fail at once with an error naming the
/// fix instead of hanging (see [`net`](crate::net)).
#[derive(Debug)]
pub struct TcpListener {
    io: IoSource<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (each resolved address is tried in turn). An address
    /// already taken gives an `AddrInUse` error naming it. Must be called
    /// inside `ramen::block_on`.
    ///
    /// # Cancellation
    /// Binding does not wait; dropping the future before it is polled binds
    /// nothing.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let listener = each_addr(addr, |a| {
            std::future::ready(
                std::net::TcpListener::bind(a)
                    .map_err(|e| context(e, format_args!("cannot bind TCP listener to {a}"))),
            )
        })
        .await?;
        TcpListener::from_std(listener)
    }

    /// Wraps a std listener (made non-blocking here).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: nonblocking_source(listener)?,
        })
    }

    /// Waits for a connection.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `accept` took no connection from the queue.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.io.io(READABLE, |l| l.accept()).await?;
        Ok((TcpStream::from_std(s)?, addr))
    }

    /// Poll form of [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(READABLE, cx, |l| l.accept())
            .map(|r| r.and_then(|(s, a)| Ok((TcpStream::from_std(s)?, a))))
    }

    /// The bound address (with the real port after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

/// A TCP connection; implements [`AsyncRead`](crate::io::AsyncRead) and [`AsyncWrite`](crate::io::AsyncWrite).
///
/// A closed peer reads as `Ok(0)`. `poll_shutdown` shuts the write side
/// (the peer reads end of stream and can still write back).
///
/// # Cancellation
/// A read or write future dropped before completing has transferred no
/// bytes; the stream stays usable (see `time::timeout`).
///
/// Belongs to the runtime that created it: used in another runtime (or on a
/// thread with none), its operations fail at once with an error naming the
/// fix instead of hanging (see [`net`](crate::net)).
#[derive(Debug)]
pub struct TcpStream {
    pub(super) io: IoSource<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn (a
    /// non-blocking connect: other tasks run during the handshake). A refused
    /// connection gives `ConnectionRefused` naming the address.
    ///
    /// # Cancellation
    /// Dropping the future closes the half-open socket; nothing else happens.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let io = each_addr(addr, |a| async move {
            let raw = sys::RawAddr::from_inet(&a);
            let check =
                |s: &std::net::TcpStream| connect_result(s.take_error(), s.peer_addr().map(drop));
            connect_stream(&raw, check)
                .await
                .map_err(|e| context(e, format_args!("cannot connect to {a}")))
        })
        .await?;
        Ok(TcpStream { io })
    }

    /// Wraps a connected std stream (made non-blocking here).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: nonblocking_source(stream)?,
        })
    }

    /// Deregisters the stream from this runtime's reactor and returns the
    /// std stream (still non-blocking), e.g. to hand a connection to another
    /// runtime, which takes it with [`TcpStream::from_std`].
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner())
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Splits into a read half and a write half that two tasks can use at
    /// once (they share the registration; reads and writes wait in separate
    /// waker slots). Dropping the write half shuts the write side down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.io.map(StreamInner::Tcp))
    }

    /// Borrowed halves for reading and writing at once within one task
    /// (e.g. both directions in a `join!`); no allocation, and the stream is
    /// usable again once they are dropped. See [`ReadHalf`](super::ReadHalf).
    pub fn split(&mut self) -> (super::ReadHalf<'_>, super::WriteHalf<'_>) {
        super::borrowed::split(&self.io)
    }
}

impl_stream_io!(TcpStream);
