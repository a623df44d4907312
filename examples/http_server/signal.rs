//! SIGINT / SIGTERM as something a task can `.await`: the self-pipe trick.
//!
//! A signal handler may run between any two instructions of the program, so it
//! may only call async-signal-safe functions: no allocation, no locks, no
//! waker. It does one thing: `write` one byte (the signal number) to a pipe.
//! The pipe's read end is an ordinary fd in the reactor (`ramen::io::AsyncFd`),
//! so the waiting task wakes up through epoll like any socket read.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

use ramen::io::AsyncFd;

/// The pipe's write end, for the handler (-1 until installed).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    // `write` may change errno; the interrupted code may be between a failed
    // syscall and its errno check, so put errno back as it was.
    // SAFETY: `__errno_location` returns this thread's errno slot, valid for
    // the thread's lifetime; reading and writing it is what libc does itself.
    let saved = unsafe { *libc::__errno_location() };
    let fd = WRITE_FD.load(Ordering::Relaxed);
    let byte = sig as u8;
    // SAFETY: `write` is async-signal-safe (POSIX, signal-safety(7)); `byte`
    // is a live local for the duration of the call. The pipe is non-blocking,
    // so a full pipe (a storm of signals) drops the byte instead of blocking
    // the handler; one byte already there is enough to wake the reader.
    unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved };
}

/// The read end of the self-pipe, registered with the reactor.
pub struct Signals {
    pipe: AsyncFd<File>,
}

impl Signals {
    /// Installs the SIGINT and SIGTERM handlers. Call inside `ramen::block_on`.
    pub fn install() -> io::Result<Signals> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so fds[0] is an open fd nobody else owns;
        // the File takes ownership and closes it on drop.
        let read_end = unsafe { File::from_raw_fd(fds[0]) };
        // The write end stays open for the life of the process: the handler may
        // run at any moment, and closing it would race with that.
        WRITE_FD.store(fds[1], Ordering::Relaxed);
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: an all-zero `sigaction` is a valid value (empty mask,
            // no flags) that is filled in below before use.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SA_RESTART: blocking syscalls elsewhere (the blocking pool's file
            // reads) are restarted instead of failing with EINTR.
            // SA_RESETHAND: the handler runs once; a second Ctrl-C during the
            // graceful drain gets the default action and ends the process.
            action.sa_flags = libc::SA_RESTART | libc::SA_RESETHAND;
            // SAFETY: `action` is initialized; the handler only does
            // async-signal-safe work (see `on_signal`); a null old-action
            // pointer is allowed.
            if unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Signals {
            pipe: AsyncFd::new(read_end)?,
        })
    }

    /// Waits for the next SIGINT or SIGTERM and returns its number.
    pub async fn recv(&self) -> io::Result<i32> {
        loop {
            let mut guard = self.pipe.readable().await?;
            let mut byte = [0u8; 1];
            match guard.try_io(|f| (&*f).read(&mut byte)) {
                Ok(1) => return Ok(i32::from(byte[0])),
                Ok(_) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
