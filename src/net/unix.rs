//! Unix-domain stream sockets: [`UnixListener`] and [`UnixStream`].
//!
//! **Naive approach:** `std::os::unix::net::UnixStream::connect` in a task.
//! **Its problem:** when the listener's backlog is full it blocks the thread —
//! and if that listener is served by this same runtime, forever.
//!
//! **What this file does:** as `tcp.rs`, over `AF_UNIX`: a non-blocking
//! connect (`net/sys.rs`), reads and writes through the reactor. A Unix
//! connect either completes at once or says the backlog is full (`EAGAIN`);
//! the latter is retried on a short timer since no fd event announces room.

use std::io;
use std::os::unix::net::{self as std_unix, SocketAddr};
use std::path::Path;
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, StreamInner};
use super::{connect_result, connect_stream, context, nonblocking_source, sys};
use crate::io::fd::IoSource;
use crate::reactor::READABLE;

/// A Unix-domain stream server socket.
///
/// The socket file is not removed on drop (as with std); remove it yourself.
///
/// Belongs to the runtime that created it: used in another runtime (or on a
/// thread with none), its operations fail at once with an error naming the
/// fix instead of hanging (see [`net`](crate::net)).
#[derive(Debug)]
pub struct UnixListener {
    io: IoSource<std_unix::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (synchronous, like std's: binding never waits). Must
    /// be called inside `ramen::block_on`.
    ///
    /// # Why this is not `async` when `TcpListener::bind` is
    /// The split is tokio's, kept so code moves between the two unchanged.
    /// [`TcpListener::bind`](super::TcpListener::bind) takes
    /// `impl ToSocketAddrs`, which may mean a host-name lookup, and a lookup
    /// can wait on the network: the signature is `async` so a runtime may do
    /// it off the thread (ramen today uses std's resolver, see
    /// [`net`](crate::net)). A Unix socket path needs no lookup, and
    /// `bind(2)` on it never waits, so there is nothing to `.await`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let l = std_unix::UnixListener::bind(path).map_err(|e| {
            context(
                e,
                format_args!("cannot bind Unix listener to {}", path.display()),
            )
        })?;
        UnixListener::from_std(l)
    }

    /// Wraps a std listener (made non-blocking here).
    pub fn from_std(listener: std_unix::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: nonblocking_source(listener)?,
        })
    }

    /// Waits for a connection.
    ///
    /// # Cancellation
    /// Cancel-safe: a dropped `accept` took no connection from the queue.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.io.io(READABLE, |l| l.accept()).await?;
        Ok((UnixStream::from_std(s)?, addr))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Poll form of [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.io
            .poll_io(READABLE, cx, |l| l.accept())
            .map(|r| r.and_then(|(s, a)| Ok((UnixStream::from_std(s)?, a))))
    }
}

/// A Unix-domain stream connection; implements [`AsyncRead`](crate::io::AsyncRead) and
/// [`AsyncWrite`](crate::io::AsyncWrite). A closed peer reads as `Ok(0)`.
///
/// # Cancellation
/// A read or write future dropped before completing has transferred no bytes;
/// the stream stays usable.
///
/// Belongs to the runtime that created it: used in another runtime (or on a
/// thread with none), its operations fail at once with an error naming the
/// fix instead of hanging (see [`net`](crate::net)).
#[derive(Debug)]
pub struct UnixStream {
    pub(super) io: IoSource<std_unix::UnixStream>,
}

impl UnixStream {
    /// Connects to the listener at `path`.
    ///
    /// # Cancellation
    /// Dropping the future closes the socket; nothing else happens.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let what = || format!("cannot connect to Unix socket {}", path.display());
        let raw = sys::RawAddr::from_path(path).map_err(|e| context(e, what()))?;
        let check =
            |s: &std_unix::UnixStream| connect_result(s.take_error(), s.peer_addr().map(drop));
        let io = connect_stream(&raw, check)
            .await
            .map_err(|e| context(e, what()))?;
        Ok(UnixStream { io })
    }

    /// A connected pair of streams (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std_unix::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Wraps a connected std stream (made non-blocking here).
    pub fn from_std(stream: std_unix::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: nonblocking_source(stream)?,
        })
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Splits into halves for two tasks; see [`TcpStream::into_split`](super::TcpStream::into_split).
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.io.map(StreamInner::Unix))
    }

    /// Borrowed halves; see [`TcpStream::split`](super::TcpStream::split).
    pub fn split(&mut self) -> (super::ReadHalf<'_>, super::WriteHalf<'_>) {
        super::borrowed::split(&self.io)
    }
}

impl_stream_io!(UnixStream);
