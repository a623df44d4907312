//! [`TcpSocket`]: a TCP socket configured before it becomes a listener or a
//! stream; and [`TcpListener::bind_reuseport`].
//!
//! **Naive approach:** `TcpListener::bind(addr)` and set options afterwards.
//! **Its problem:** some options only matter *before* `bind`, `listen` or
//! `connect`: `SO_REUSEADDR` / `SO_REUSEPORT` decide whether `bind`
//! succeeds, the listen backlog is fixed by `listen(2)`, and the buffer
//! sizes decide the TCP window offered in the handshake.
//!
//! **What this file does:** tokio's `TcpSocket`: a non-blocking,
//! close-on-exec socket from `socket(2)` (`sys.rs`), raw `setsockopt` /
//! `getsockopt` for each option, then `bind`, and either
//! [`listen`](TcpSocket::listen) (→ [`TcpListener`]) or
//! [`connect`](TcpSocket::connect) (→ [`TcpStream`], the same non-blocking
//! connect as `TcpStream::connect`).
//!
//! # `SO_REUSEPORT`: one port, many listeners
//! With `SO_REUSEPORT` set on every socket *before* `bind`, several sockets
//! (in one process or several, same user) can bind the same address, and the
//! kernel spreads incoming connections across them (Linux hashes the 4-tuple;
//! each listener has its own accept queue). That is how a runtime per core
//! serves one port with nothing shared: see
//! [`TcpListener::bind_reuseport`]. A bind without it to a port someone
//! holds is `AddrInUse`, as always. (The alternative, one acceptor handing
//! accepted fds to workers over a channel, keeps one queue but costs a
//! cross-thread hand-off per connection.)

use std::io;
use std::mem;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{TcpListener, TcpStream, connect_result, context, each_addr, finish_connect, sys};

/// A TCP socket not yet listening or connected; see the module docs.
///
/// ```
/// use ramen::net::TcpSocket;
/// ramen::block_on(async {
///     let s = TcpSocket::new_v4().unwrap();
///     s.set_reuseaddr(true).unwrap();
///     s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
///     let listener = s.listen(128).unwrap();
///     let addr = listener.local_addr().unwrap();
///     let c = TcpSocket::new_v4().unwrap().connect(addr).await.unwrap();
///     assert_eq!(c.peer_addr().unwrap(), addr);
/// });
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    /// Only the fd holder: a std `TcpStream` gives `local_addr` and
    /// `nodelay` for free on an unconnected socket.
    sock: std::net::TcpStream,
}

impl TcpSocket {
    /// A new IPv4 socket (non-blocking, close-on-exec).
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::for_family(&"0.0.0.0:0".parse().expect("valid literal"))
    }

    /// A new IPv6 socket (non-blocking, close-on-exec).
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::for_family(&"[::]:0".parse().expect("valid literal"))
    }

    fn for_family(addr: &SocketAddr) -> io::Result<TcpSocket> {
        let fd = sys::stream_socket(&sys::RawAddr::from_inet(addr))?;
        Ok(TcpSocket {
            sock: std::net::TcpStream::from(fd),
        })
    }

    /// Wraps a std socket that is not yet connected (made non-blocking).
    pub fn from_std_stream(stream: std::net::TcpStream) -> io::Result<TcpSocket> {
        stream.set_nonblocking(true)?;
        Ok(TcpSocket { sock: stream })
    }

    /// Sets `SO_REUSEADDR`: bind a port whose old connections linger in
    /// `TIME_WAIT` (std's `TcpListener::bind` sets it on Unix).
    pub fn set_reuseaddr(&self, on: bool) -> io::Result<()> {
        set_opt(
            &self.sock,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            libc::c_int::from(on),
        )
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        get_opt::<libc::c_int>(&self.sock, libc::SOL_SOCKET, libc::SO_REUSEADDR).map(|v| v != 0)
    }

    /// Sets `SO_REUSEPORT`: several sockets may bind one address and the
    /// kernel spreads connections across them (module docs).
    pub fn set_reuseport(&self, on: bool) -> io::Result<()> {
        set_opt(
            &self.sock,
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            libc::c_int::from(on),
        )
    }

    /// Whether `SO_REUSEPORT` is set.
    pub fn reuseport(&self) -> io::Result<bool> {
        get_opt::<libc::c_int>(&self.sock, libc::SOL_SOCKET, libc::SO_REUSEPORT).map(|v| v != 0)
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes); kept by the
    /// connected stream.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.sock.set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.sock.nodelay()
    }

    /// Sets `SO_SNDBUF`. Linux doubles the value (bookkeeping room), so the
    /// getter reads back twice what was set.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        set_opt(
            &self.sock,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            buf_size(size)?,
        )
    }

    /// `SO_SNDBUF` as the kernel reports it.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        get_opt::<libc::c_int>(&self.sock, libc::SOL_SOCKET, libc::SO_SNDBUF).map(|v| v as u32)
    }

    /// Sets `SO_RCVBUF` (before `connect`/`listen` to affect the window
    /// offered in the handshake); doubled by Linux as `SO_SNDBUF`.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        set_opt(
            &self.sock,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            buf_size(size)?,
        )
    }

    /// `SO_RCVBUF` as the kernel reports it.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        get_opt::<libc::c_int>(&self.sock, libc::SOL_SOCKET, libc::SO_RCVBUF).map(|v| v as u32)
    }

    /// Sets `SO_LINGER`: `Some(d)` makes `close` wait up to `d` (whole
    /// seconds) for unsent data; `Some(0)` resets the connection on close.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        let secs = linger.map_or(0, |d| d.as_secs());
        let l = libc::linger {
            l_onoff: libc::c_int::from(linger.is_some()),
            l_linger: libc::c_int::try_from(secs).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "linger time too large")
            })?,
        };
        set_opt(&self.sock, libc::SOL_SOCKET, libc::SO_LINGER, l)
    }

    /// `SO_LINGER`: `None` if off.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        let l = get_opt::<libc::linger>(&self.sock, libc::SOL_SOCKET, libc::SO_LINGER)?;
        Ok((l.l_onoff != 0).then(|| Duration::from_secs(l.l_linger.max(0) as u64)))
    }

    /// Binds to `addr`; a taken address is `AddrInUse` naming it.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::bind(&self.sock, &sys::RawAddr::from_inet(&addr))
            .map_err(|e| context(e, format_args!("cannot bind TCP socket to {addr}")))
    }

    /// The bound address (with the real port after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.local_addr()
    }

    /// Starts listening with a queue of `backlog` pending connections
    /// (capped by the kernel's `somaxconn`). Must be called inside a ramen
    /// runtime (the listener registers with its reactor).
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
        // SAFETY: `listen` takes no pointers; the fd is owned by `self.sock`.
        if unsafe { libc::listen(self.sock.as_raw_fd(), backlog) } < 0 {
            return Err(io::Error::last_os_error());
        }
        TcpListener::from_std(std::net::TcpListener::from(OwnedFd::from(self.sock)))
    }

    /// Connects to `addr` (non-blocking: other tasks run during the
    /// handshake). A refused connection is `ConnectionRefused` naming it.
    ///
    /// # Cancellation
    /// Dropping the future closes the socket; nothing else happens.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let what = || format!("cannot connect to {addr}");
        let fd = OwnedFd::from(self.sock);
        sys::start_connect(&fd, &sys::RawAddr::from_inet(&addr)).map_err(|e| context(e, what()))?;
        let check =
            |s: &std::net::TcpStream| connect_result(s.take_error(), s.peer_addr().map(drop));
        let io = finish_connect(std::net::TcpStream::from(fd), check)
            .await
            .map_err(|e| context(e, what()))?;
        Ok(TcpStream { io })
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl TcpListener {
    /// Binds with `SO_REUSEADDR` and `SO_REUSEPORT` set first, so several
    /// listeners (one per runtime, say) can bind the same address and the
    /// kernel spreads connections across them. Each resolved address is
    /// tried in turn; backlog 1024. A port bound by a socket *without*
    /// `SO_REUSEPORT` gives `AddrInUse`.
    ///
    /// # Cancellation
    /// Binding does not wait; dropping the future binds nothing.
    pub async fn bind_reuseport(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addr, |a| {
            std::future::ready((|| {
                let s = TcpSocket::for_family(&a)?;
                s.set_reuseaddr(true)?;
                s.set_reuseport(true)?;
                s.bind(a)?;
                s.listen(1024)
            })())
        })
        .await
    }
}

fn buf_size(size: u32) -> io::Result<libc::c_int> {
    libc::c_int::try_from(size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer size too large"))
}

fn set_opt<T>(fd: &impl AsRawFd, level: libc::c_int, name: libc::c_int, val: T) -> io::Result<()> {
    // SAFETY: the pointer and size describe `val`, alive across the call;
    // each caller passes the type its option expects (c_int or linger).
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&raw const val).cast(),
            mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn get_opt<T: Copy>(fd: &impl AsRawFd, level: libc::c_int, name: libc::c_int) -> io::Result<T> {
    let mut val = mem::MaybeUninit::<T>::zeroed();
    let mut len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `val`, which has
    // room for a `T`; the caller names the option's own type.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            val.as_mut_ptr().cast(),
            &raw mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised, then filled by the kernel; `T` is a plain
    // C integer or struct for which every bit pattern is valid.
    Ok(unsafe { val.assume_init() })
}
