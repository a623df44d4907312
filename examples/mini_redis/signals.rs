//! SIGINT/SIGTERM as an awaitable event: the self-pipe trick.
//!
//! A signal handler may only call async-signal-safe functions: no locks, no
//! allocation, no waking of tasks. So the handler writes one byte to a pipe
//! (`write(2)` is async-signal-safe), and a task awaits the pipe's read end,
//! registered with the reactor through `ramen::io::AsyncFd`. The signal
//! becomes one more fd event in the loop, handled in ordinary code.

use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

use ramen::io::{AsyncFd, AsyncReadExt};

/// The pipe's write end, for the handler (`-1` before `install`).
static WRITE_END: AtomicI32 = AtomicI32::new(-1);
/// The last signal number received.
static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// This thread's `errno` slot (the handler must leave errno as it found it).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn errno_slot() -> *mut libc::c_int {
    // SAFETY: always safe to call; returns the calling thread's errno address.
    unsafe { libc::__errno_location() }
}
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn errno_slot() -> *mut libc::c_int {
    // SAFETY: always safe to call (macOS, the BSDs); as above.
    unsafe { libc::__error() }
}

extern "C" fn on_signal(sig: libc::c_int) {
    LAST_SIGNAL.store(sig, Ordering::Relaxed);
    let fd = WRITE_END.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    // SAFETY: `errno_slot` is this thread's errno, valid for the thread's
    // life; saving and restoring it keeps the interrupted code's errno intact.
    let saved = unsafe { *errno_slot() };
    let byte = 1u8;
    // SAFETY: write(2) is async-signal-safe; `fd` is the pipe's write end,
    // never closed while the process runs; the buffer is a live 1-byte local.
    // A full pipe (EAGAIN, the fd is non-blocking) already holds a wake-up.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    // SAFETY: as above.
    unsafe { *errno_slot() = saved };
}

/// The read end of the signal pipe.
pub struct SignalPipe {
    read: AsyncFd<File>,
}

impl SignalPipe {
    /// Creates the pipe and installs the handler for SIGINT and SIGTERM.
    /// Call inside the runtime, once.
    pub fn install() -> io::Result<SignalPipe> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe(2) to fill.
        // (pipe2 would set the flags at once, but macOS lacks it.)
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: fcntl on an fd we just created; F_SETFD/F_SETFL with
            // plain flag values touch nothing else.
            let ok = unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0
                    && libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) == 0
            };
            if !ok {
                return Err(io::Error::last_os_error());
            }
        }
        // SAFETY: `fds[0]` was just created by pipe and is owned by nothing
        // else; the File becomes its only owner. The write end (fds[1]) is
        // deliberately never closed: the handler may run at any time.
        let read = unsafe { File::from_raw_fd(fds[0]) };
        WRITE_END.store(fds[1], Ordering::Relaxed);
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: an all-zero `sigaction` is a valid value (empty mask,
            // no flags); the fields that matter are set below.
            let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SA_RESETHAND: a second Ctrl-C gets the default action (exit).
            sa.sa_flags = libc::SA_RESTART | libc::SA_RESETHAND;
            // SAFETY: `sa` is initialised and its handler only does
            // async-signal-safe work (atomics and write(2)).
            if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(SignalPipe {
            read: AsyncFd::new(read)?,
        })
    }

    /// Waits for SIGINT or SIGTERM; returns the signal number.
    pub async fn wait(mut self) -> io::Result<i32> {
        let mut buf = [0u8; 16];
        loop {
            match self.read.read(&mut buf).await {
                Ok(0) => return Err(io::Error::other("signal pipe closed")),
                Ok(_) => return Ok(LAST_SIGNAL.load(Ordering::Relaxed)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
