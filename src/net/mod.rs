//! Networking: [`TcpListener`], [`TcpStream`], [`UdpSocket`], [`UnixListener`],
//! [`UnixStream`], [`UnixDatagram`].
//!
//! **Naive approach:** std's sockets inside tasks. **Its problem:** `accept`,
//! `read` and `connect` block the one thread every task shares.
//!
//! **What this module does:** the same types with the same shapes, built on
//! the reactor registration in `io/fd.rs`: every operation tries the syscall
//! on a non-blocking socket and, on `WouldBlock`, parks the task until the
//! reactor reports the socket may be ready.
//!
//! | file | what it is |
//! |---|---|
//! | `tcp.rs` | [`TcpListener`], [`TcpStream`] |
//! | `udp.rs` | [`UdpSocket`] |
//! | `unix.rs` | [`UnixListener`], [`UnixStream`] |
//! | `unix_datagram.rs` | [`UnixDatagram`] |
//! | `readiness.rs` | `ready()`, `readable()`, `writable()`, `try_read`/`try_write`, `peek`; `UdpSocket`'s `poll_*`/`try_*` |
//! | `split.rs` | [`OwnedReadHalf`], [`OwnedWriteHalf`]: one stream, two tasks |
//! | `borrowed.rs` | [`ReadHalf`], [`WriteHalf`]: `split(&mut self)`, one stream, both directions in one task |
//! | `tcp_socket.rs` | [`TcpSocket`]: socket options before `bind`/`listen`/`connect`; `TcpListener::bind_reuseport` |
//! | `sys.rs` | the raw `socket`/`connect` calls std lacks (non-blocking connect) |
//!
//! Every socket belongs to the runtime that created it (its fd is
//! registered in that runtime's reactor): used in another runtime, or on a
//! thread with none — say after its runtime was dropped — each operation
//! fails at once with an `io::Error` naming the fix, instead of waiting for
//! an event nobody collects (`io/fd.rs`, "One runtime per object").
//!
//! Name resolution (`impl ToSocketAddrs`) uses std's resolver, which blocks
//! for host names; pass a `SocketAddr` or an IP literal to stay non-blocking.

/// `AsyncRead` + `AsyncWrite` for a stream whose `io` field is an
/// `IoSource` of a std stream socket. TCP and Unix streams behave exactly
/// alike (read until `WouldBlock`, write what fits, shut the write side down),
/// so they share this one definition.
macro_rules! impl_stream_io {
    ($stream:ty) => {
        impl $crate::io::AsyncRead for $stream {
            fn poll_read(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                self.io
                    .poll_read_stream(cx, buf, |mut s, b| ::std::io::Read::read(&mut s, b))
            }
        }

        impl $crate::io::AsyncWrite for $stream {
            fn poll_write(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
                buf: &[u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                if buf.is_empty() {
                    return ::std::task::Poll::Ready(Ok(0));
                }
                self.io.poll_io($crate::reactor::WRITABLE, cx, |mut s| {
                    ::std::io::Write::write(&mut s, buf)
                })
            }

            fn poll_flush(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: ::std::pin::Pin<&mut Self>,
                _cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                ::std::task::Poll::Ready(self.io.get_ref().shutdown(::std::net::Shutdown::Write))
            }
        }
    };
}

mod borrowed;
mod readiness;
mod split;
mod sys;
mod tcp;
mod tcp_socket;
mod udp;
mod unix;
mod unix_datagram;

pub use borrowed::{ReadHalf, WriteHalf};
pub use split::{OwnedReadHalf, OwnedWriteHalf};
pub use tcp::{TcpListener, TcpStream};
pub use tcp_socket::TcpSocket;
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
pub use unix_datagram::UnixDatagram;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::io::fd::IoSource;
use crate::reactor::WRITABLE;

/// Resolves `addr` with std, with the address in the error.
fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "address resolved to no socket addresses",
        ));
    }
    Ok(addrs)
}

/// Runs `attempt` on each address `addr` resolves to, in the resolver's
/// order, until one succeeds; if none does, returns the last attempt's error
/// (each attempt names its address in its own error). The one loop behind
/// every `bind`/`connect` that takes `impl ToSocketAddrs`.
async fn each_addr<T, F>(
    addr: impl ToSocketAddrs,
    mut attempt: impl FnMut(SocketAddr) -> F,
) -> io::Result<T>
where
    F: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for a in resolve(addr)? {
        match attempt(a).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("resolve returns at least one address"))
}

/// Sets a std socket non-blocking and registers it with this thread's
/// runtime: what every `from_std` does.
fn nonblocking_source<T: AsRawFd>(socket: T) -> io::Result<IoSource<T>> {
    crate::io::fd::set_nonblocking(socket.as_raw_fd())?;
    IoSource::new(socket)
}

/// Adds what was being done, and to what, to an error (keeping its kind).
fn context(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Connects a new non-blocking stream socket to `addr` and registers it.
///
/// `check` reads `SO_ERROR` and whether the socket is connected yet:
/// `Err(WouldBlock)` means "still in progress".
async fn connect_stream<T: AsRawFd + From<OwnedFd>>(
    addr: &sys::RawAddr,
    check: impl Fn(&T) -> io::Result<()>,
) -> io::Result<IoSource<T>> {
    let mut backoff_ms = 1;
    let fd = loop {
        let fd = sys::stream_socket(addr)?;
        match sys::start_connect(&fd, addr) {
            Ok(_) => break fd,
            // A Unix listener's backlog is full: there is no fd event to wait
            // for, so retry on a short, growing timer (never a busy loop).
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                drop(fd);
                crate::time::sleep(std::time::Duration::from_millis(backoff_ms)).await;
                backoff_ms = (backoff_ms * 2).min(50);
            }
            Err(e) => return Err(e),
        }
    };
    finish_connect(T::from(fd), check).await
}

/// Registers a socket whose non-blocking `connect` has started and waits for
/// the handshake to end: writable (or an error/hangup) means it finished, and
/// `check` tells how. A spurious wake finds `ENOTCONN` and waits again.
async fn finish_connect<T: AsRawFd>(
    socket: T,
    check: impl Fn(&T) -> io::Result<()>,
) -> io::Result<IoSource<T>> {
    let io = IoSource::new(socket)?;
    io.io(WRITABLE, |s| check(s)).await?;
    Ok(io)
}

/// `Err(WouldBlock)` for "not connected yet", else `SO_ERROR` as a result.
fn connect_result(
    take_error: io::Result<Option<io::Error>>,
    peer: io::Result<()>,
) -> io::Result<()> {
    if let Some(e) = take_error? {
        return Err(e);
    }
    match peer {
        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
            Err(io::Error::from(io::ErrorKind::WouldBlock))
        }
        r => r,
    }
}
