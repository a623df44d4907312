//! [`Interest`] and [`Ready`]: "wait for this", "this may be ready"; and the
//! two primitives behind every socket's `ready()` and `try_*` methods.
//!
//! **Naive approach:** only offer `read().await` and `write().await`. **Its
//! problem:** code that owns its buffers, batches syscalls, or drives a
//! protocol state machine wants to *wait* for readiness and then do the
//! syscalls itself, without a future holding the buffer (tokio's
//! `readable()` + `try_read()` pattern).
//!
//! **What this file does:** `IoSource::ready` waits (as one waiter among
//! any number, see `fd.rs`) until any requested direction may be ready and
//! says which; `IoSource::try_io` runs one syscall at once and, on
//! `WouldBlock`, clears the cached readiness — so the next `ready()` really
//! waits for the kernel instead of returning at once forever.

use std::io;
use std::ops::BitOr;
use std::os::fd::AsRawFd;
use std::task::{Poll, ready};

use super::fd::IoSource;
use crate::reactor::{READABLE, WRITABLE};

/// Which directions to wait for: [`Interest::READABLE`],
/// [`Interest::WRITABLE`], or both (`READABLE | WRITABLE`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Interest(u8);

impl Interest {
    /// Wait until the object may be read (or accepted from, or hit EOF).
    pub const READABLE: Interest = Interest(READABLE);
    /// Wait until the object may be written.
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// Both this interest and `other`.
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// Whether it includes readability.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether it includes writability.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

/// The directions that *may* be ready, as returned by `ready()`. A hint, not
/// a promise: the syscall that follows may still say `WouldBlock` (another
/// task drained it, or the wake was spurious); `try_*` then clears it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ready(u8);

impl Ready {
    /// Nothing ready.
    pub const EMPTY: Ready = Ready(0);
    /// May be readable.
    pub const READABLE: Ready = Ready(READABLE);
    /// May be writable.
    pub const WRITABLE: Ready = Ready(WRITABLE);

    /// Whether nothing is ready.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether it may be readable.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether it may be writable.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

/// Removes a `ready()` future's waiters (both directions) when it ends or
/// is dropped.
struct ReadyWaiter<'a, T: AsRawFd> {
    src: &'a IoSource<T>,
    token: u64,
    interest: Interest,
}

impl<T: AsRawFd> Drop for ReadyWaiter<'_, T> {
    fn drop(&mut self) {
        for dir in [READABLE, WRITABLE] {
            if self.interest.0 & dir != 0 {
                self.src.drop_waiter(dir, self.token);
            }
        }
    }
}

impl<T: AsRawFd> IoSource<T> {
    /// Waits until any direction of `interest` may be ready; returns which.
    /// One unit of the cooperative budget when it returns (`coop.rs`).
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let waiter = ReadyWaiter {
            src: self,
            token: self.new_token(),
            interest,
        };
        std::future::poll_fn(|cx| {
            let coop = ready!(crate::coop::poll_proceed(cx));
            let mut found = Ready::EMPTY;
            for dir in [READABLE, WRITABLE] {
                if interest.0 & dir != 0 && self.poll_ready(dir, waiter.token, cx)?.is_ready() {
                    found = found | Ready(dir);
                }
            }
            if found.is_empty() {
                return Poll::Pending;
            }
            coop.made_progress();
            Poll::Ready(Ok(found))
        })
        .await
    }

    /// Runs `op` once, now. `WouldBlock` clears the cached readiness of
    /// `dir` (so the next `ready()` waits for an event) and is returned;
    /// `Interrupted` is retried.
    pub(crate) fn try_io<R>(
        &self,
        dir: u8,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(dir);
                    return Err(e);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }
}

/// `recv(fd, buf, MSG_PEEK)`: the bytes stay queued for the next read.
pub(crate) fn peek(fd: &impl AsRawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole
    // call; `fd` is borrowed (open) for the call; a bad fd gives EBADF.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
