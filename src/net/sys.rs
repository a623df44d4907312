//! The few raw socket calls std does not offer: a non-blocking `connect`.
//!
//! **Naive approach:** `std::net::TcpStream::connect`. **Its problem:** it
//! blocks the thread for a whole handshake (or a 2-minute timeout), freezing
//! every task. **What this file does:** creates the socket non-blocking with
//! `libc::socket`, calls `connect`, and treats `EINPROGRESS` as "wait until
//! writable, then read `SO_ERROR`" (done by the callers with the reactor).
//! Everything platform-specific is behind `#[cfg]` so macOS/BSD still build.

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// A `sockaddr` in storage big enough for any family, with its length.
pub(crate) struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    pub(crate) fn from_inet(addr: &SocketAddr) -> RawAddr {
        // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        let len = match addr {
            SocketAddr::V4(a) => {
                // SAFETY: plain old data; all-zero is valid.
                let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                #[cfg(any(
                    target_vendor = "apple",
                    target_os = "freebsd",
                    target_os = "openbsd",
                    target_os = "netbsd",
                    target_os = "dragonfly"
                ))]
                {
                    sin.sin_len = mem::size_of::<libc::sockaddr_in>() as u8;
                }
                // SAFETY: sockaddr_storage is larger than and aligned for
                // every sockaddr type, sockaddr_in included.
                unsafe { std::ptr::write((&raw mut storage).cast::<libc::sockaddr_in>(), sin) };
                mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                // SAFETY: plain old data; all-zero is valid.
                let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_scope_id = a.scope_id();
                #[cfg(any(
                    target_vendor = "apple",
                    target_os = "freebsd",
                    target_os = "openbsd",
                    target_os = "netbsd",
                    target_os = "dragonfly"
                ))]
                {
                    sin6.sin6_len = mem::size_of::<libc::sockaddr_in6>() as u8;
                }
                // SAFETY: as for V4: storage is big and aligned enough.
                unsafe { std::ptr::write((&raw mut storage).cast::<libc::sockaddr_in6>(), sin6) };
                mem::size_of::<libc::sockaddr_in6>()
            }
        };
        RawAddr {
            storage,
            len: len as libc::socklen_t,
        }
    }

    pub(crate) fn from_path(path: &Path) -> io::Result<RawAddr> {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        // SAFETY: plain old data; all-zero is valid.
        let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
        if bytes.len() >= sun.sun_path.len() || bytes.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "unix socket path {} is too long (max {} bytes) or contains NUL",
                    path.display(),
                    sun.sun_path.len() - 1
                ),
            ));
        }
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (dst, &src) in sun.sun_path.iter_mut().zip(bytes) {
            *dst = src as libc::c_char;
        }
        let len = mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
        #[cfg(any(
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        ))]
        {
            sun.sun_len = len as u8;
        }
        // SAFETY: plain old data; all-zero is valid.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        // SAFETY: sockaddr_storage is big and aligned enough for sockaddr_un.
        unsafe { std::ptr::write((&raw mut storage).cast::<libc::sockaddr_un>(), sun) };
        Ok(RawAddr {
            storage,
            len: len as libc::socklen_t,
        })
    }

    fn family(&self) -> libc::c_int {
        libc::c_int::from(self.storage.ss_family)
    }
}

/// A new non-blocking, close-on-exec stream socket for `addr`'s family.
pub(crate) fn stream_socket(addr: &RawAddr) -> io::Result<OwnedFd> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let ty = libc::SOCK_STREAM;
    // SAFETY: `socket` takes no pointers; failure is -1 with errno.
    let fd = unsafe { libc::socket(addr.family(), ty, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by `socket` and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: F_SETFD on a valid fd we own.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        crate::io::fd::set_nonblocking(fd)?;
        #[cfg(target_vendor = "apple")]
        {
            let one: libc::c_int = 1;
            // SAFETY: SO_NOSIGPIPE takes a c_int; the pointer and size match.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_NOSIGPIPE,
                    (&raw const one).cast(),
                    mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
        }
    }
    Ok(owned)
}

/// Starts a connect. `Ok(true)`: connected at once; `Ok(false)`: in progress
/// (wait writable, then check `SO_ERROR`); `Err`: failed now (`WouldBlock`
/// for a Unix socket whose listener's backlog is full).
pub(crate) fn start_connect(fd: &OwnedFd, addr: &RawAddr) -> io::Result<bool> {
    // SAFETY: the pointer and length describe `addr.storage`, which is
    // initialised and lives across the call.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&raw const addr.storage).cast::<libc::sockaddr>(),
            addr.len,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        // EINTR: the connect goes on in the background, like EINPROGRESS.
        Some(libc::EINPROGRESS) | Some(libc::EINTR) => Ok(false),
        _ => Err(e),
    }
}

/// `bind(2)` of a socket to `addr`.
pub(crate) fn bind(fd: &impl AsRawFd, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: the pointer and length describe `addr.storage`, initialised
    // and alive across the call.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr.storage).cast::<libc::sockaddr>(),
            addr.len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
