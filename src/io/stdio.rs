//! [`stdin`], [`stdout`], [`stderr`]: the process's standard streams, on the blocking pool.
//!
//! **Naive approach:** register fd 0/1/2 with the reactor. **Its problem:**
//! they may be regular files (`cmd > out.txt`), which epoll refuses (see
//! [`fs`](crate::fs)), and setting `O_NONBLOCK` on a tty or pipe changes it
//! for every process sharing it (a shell left non-blocking breaks). Plain
//! `std::io::stdout().write_all` in a task blocks the loop when the reader
//! of a pipe is slow.
//!
//! **What this file does** (as tokio): each handle runs `std::io`'s blocking
//! calls on the blocking pool, with one job in flight and an owned buffer
//! (`io/blocking_buf.rs`), the same idle/busy state machine as
//! [`fs::File`](crate::fs::File):
//!
//! ```text
//!   Idle ──poll_read, buffer empty──► Busy(Read)    (the job reads once into the buffer)
//!   Idle ──poll_write───────────────► Busy(Write)   (copied in; Ok(n) returned at once;
//!                                                     the job writes all and flushes std's handle)
//!   Busy ──job finished, polled─────► Idle          (a write error is returned by the next
//!                                                     write or flush)
//! ```
//!
//! `flush().await` waits for the write in flight. Writes from one handle
//! keep their order; two handles (or `println!`) may interleave between
//! jobs. A read job blocks a pool thread until input arrives; it cannot be
//! interrupted, and at runtime shutdown it is left to finish (see
//! [`spawn_blocking`](crate::spawn_blocking)). Bytes a `Stdin` read ahead
//! and did not hand out are lost when it is dropped.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::blocking_buf::Buf;
use super::traits::{AsyncRead, AsyncWrite};
use crate::{JoinHandle, spawn_blocking};

enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
}

enum State<T> {
    /// No job: the handle and the buffer are here.
    Idle(Option<(T, Buf)>),
    /// A job owns them until it hands them back.
    Busy(JoinHandle<(Op, T, Buf)>),
}

/// One std handle driven from the pool; see the module docs.
struct Blocking<T> {
    state: State<T>,
    /// Remakes the handle if a job was lost (its runtime shut down).
    make: fn() -> T,
    last_write_err: Option<io::Error>,
}

impl<T: Send + 'static> Blocking<T> {
    fn new(make: fn() -> T) -> Self {
        Blocking {
            state: State::Idle(Some((make(), Buf::default()))),
            make,
            last_write_err: None,
        }
    }

    /// Waits for the job in flight and returns to `Idle`, with its result.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<Option<Op>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(None);
        };
        let (op, t, buf) = match ready!(Pin::new(job).poll(cx)) {
            Ok((op, t, buf)) => (Some(op), t, buf),
            Err(_) => (None, (self.make)(), Buf::default()),
        };
        self.state = State::Idle(Some((t, buf)));
        Poll::Ready(op)
    }

    /// Waits for the job in flight; a write error (now or before) is the result.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let State::Busy(_) = self.state {
            match ready!(self.poll_job(cx)) {
                Some(Op::Write(Err(e))) => self.last_write_err = Some(e),
                None => return Poll::Ready(Err(io::Error::other("the stdio job was lost"))),
                Some(_) => {}
            }
        }
        match self.last_write_err.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    fn take_idle(&mut self) -> (T, Buf) {
        match &mut self.state {
            State::Idle(parts) => parts.take().expect("Idle always holds the handle"),
            State::Busy(_) => unreachable!("take_idle with a job in flight"),
        }
    }
}

impl<T: Read + Send + 'static> Blocking<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let State::Idle(Some((_, buf))) = &mut self.state {
                if !buf.is_empty() {
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
            }
            if let State::Busy(_) = self.state {
                match ready!(self.poll_job(cx)) {
                    Some(Op::Read(Err(e))) => return Poll::Ready(Err(e)),
                    Some(Op::Read(Ok(0))) => return Poll::Ready(Ok(0)),
                    None => return Poll::Ready(Err(io::Error::other("the stdio job was lost"))),
                    Some(_) => {}
                }
                continue;
            }
            let (mut t, mut buf) = self.take_idle();
            let want = dst.len();
            self.state = State::Busy(spawn_blocking(move || {
                let r = buf.read_from(want, &mut t);
                (Op::Read(r), t, buf)
            }));
        }
    }
}

impl<T: Write + Send + 'static> Blocking<T> {
    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_idle(cx))?;
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let (mut t, mut buf) = self.take_idle();
        debug_assert!(
            buf.is_empty(),
            "a write handle never holds read-ahead bytes"
        );
        let n = buf.copy_from(src);
        self.state = State::Busy(spawn_blocking(move || {
            let r = buf.write_to(&mut t).and_then(|()| t.flush());
            (Op::Write(r), t, buf)
        }));
        Poll::Ready(Ok(n))
    }
}

macro_rules! stdio_handle {
    ($name:ident, $ctor:ident, $std:ty, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            inner: Blocking<$std>,
        }

        #[doc = concat!("A handle to the process's ", stringify!($ctor), "; see [`", stringify!($name), "`].")]
        ///
        /// # Panics
        /// Its first read or write panics outside a ramen runtime (it needs
        /// the blocking pool).
        pub fn $ctor() -> $name {
            $name {
                inner: Blocking::new(std::io::$ctor),
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("busy", &matches!(self.inner.state, State::Busy(_)))
                    .finish()
            }
        }
    };
}

macro_rules! impl_write {
    ($name:ident) => {
        impl AsyncWrite for $name {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                src: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_write(cx, src)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_idle(cx)
            }
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_idle(cx)
            }
        }
    };
}

stdio_handle!(
    Stdin,
    stdin,
    std::io::Stdin,
    "The standard input; implements [`AsyncRead`] (see the module docs).\n\n\
     # Cancellation\nA dropped read leaves its job running; the next read takes its bytes."
);
stdio_handle!(
    Stdout,
    stdout,
    std::io::Stdout,
    "The standard output; implements [`AsyncWrite`] (see the module docs).\n\n\
     # Cancellation\nA write is never half-started: `Ok(n)` means the bytes are queued; \
     a dropped `flush` leaves the write running."
);
stdio_handle!(
    Stderr,
    stderr,
    std::io::Stderr,
    "The standard error; implements [`AsyncWrite`], as [`Stdout`]."
);
impl_write!(Stdout);
impl_write!(Stderr);

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_read(cx, dst)
    }
}
