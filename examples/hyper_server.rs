//! # hyper_server — hyper 1.x on ramen: the glue a custom runtime writes
//!
//! hyper is runtime-agnostic: it never opens a socket, spawns a task or
//! starts a timer itself. It asks for four small things through the traits
//! in `hyper::rt`, and a runtime that provides them runs hyper. This file is
//! the answer to "how do I run hyper on ramen?": the glue (module `glue`
//! below, about 160 lines, half of them comments) and a server that uses it.
//!
//! | hyper asks for | what for | ramen's answer here |
//! |---|---|---|
//! | `rt::Read` + `rt::Write` | the connection's bytes | [`glue::RamenIo`] around a `ramen::net::TcpStream` |
//! | `rt::Timer` + `rt::Sleep` | `header_read_timeout` (and HTTP/2 keep-alive pings) | [`glue::RamenTimer`] making `ramen::time::Sleep`s |
//! | `rt::Executor` | HTTP/2 spawns a task per stream (HTTP/1 needs none) | [`glue::RamenExecutor`]: `ramen::spawn` (used below for our own connection tasks) |
//!
//! ```text
//! cargo run --release --example hyper_server -- --addr 127.0.0.1:8081
//! curl -i http://127.0.0.1:8081/                 # hello
//! wrk -t1 -c100 -d10s http://127.0.0.1:8081/     # keep-alive
//! ab -k -n 10000 -c 50 http://127.0.0.1:8081/
//! benches/servers.sh hyper                       # beside hyper-on-tokio and nginx
//! ```
//!
//! Options: `--addr HOST:PORT` (default 127.0.0.1:8081; port 0 picks a free
//! one), `--header-secs N` (hyper's `header_read_timeout`: close a connection
//! whose request head is not complete N s after it started, default 10; this
//! is what the `Timer` glue serves), `--grace-secs N` (on shutdown, wait at
//! most N s for requests in flight, default 10).
//!
//! What to look for:
//! - one line `listening on ADDR` (the real address), then nothing per request;
//! - `GET /` (and `HEAD /`) answer `hello`, other paths 404, other methods
//!   405; keep-alive and HTTP/1.1 pipelining work (hyper does both; the
//!   responses come back in request order);
//! - Ctrl-C (or SIGTERM): the listener closes, each connection is told to
//!   shut down gracefully (idle ones close at once, a request in flight is
//!   answered first), and the last line is
//!   `shutdown: N requests served on M connections`, exit status 0.
//!
//! Layout: this file (the glue, arguments, accept loop, shutdown),
//! `hyper_server/service.rs` (the service, shared with the tokio benchmark),
//! `common/shutdown.rs` (SIGINT/SIGTERM through `ramen::signal`, shared
//! with the other servers).
//!
//! Compare with `examples/http_server.rs`, the same server with a
//! hand-written HTTP parser: the accept loop and shutdown are alike, and
//! `benches/servers.sh` measures both.

#[path = "common/flags.rs"]
mod flags;
#[path = "hyper_server/service.rs"]
mod service;
#[path = "common/shutdown.rs"]
mod shutdown;

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Write as _};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use hyper::rt::Executor as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use ramen::net::{TcpListener, TcpStream};
use ramen::sync::Notify;
use ramen::{Either, select};

/// The glue: everything hyper needs from a runtime, for ramen.
mod glue {
    use std::future::Future;
    use std::io;
    use std::mem::{ManuallyDrop, MaybeUninit};
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};
    use std::thread::{self, ThreadId};
    use std::time::{Duration, Instant};

    use hyper::rt::ReadBufCursor;
    use ramen::io::{AsyncRead, AsyncWrite};

    /// Largest read handed to the socket at once (see `poll_read`).
    const MAX_READ: usize = 16 * 1024;

    /// A ramen stream as hyper's `Read`/`Write`. hyper 1.x has its own I/O
    /// traits (neither tokio's nor futures-io's), so every runtime wraps its
    /// streams once, here.
    pub struct RamenIo<T>(pub T);

    impl<T: AsyncRead + Unpin> hyper::rt::Read for RamenIo<T> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            mut buf: ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            // hyper lends the unfilled tail of its read buffer, which may be
            // uninitialised memory; ramen's `poll_read` takes `&mut [u8]`,
            // which must be initialised. So: take at most MAX_READ bytes of
            // the tail, zero them (a memset, cheap next to the syscall), and
            // read into them.
            let len = buf.remaining().min(MAX_READ);
            // SAFETY: we only write to these bytes (zeroes, then the read);
            // nothing that was initialised is made uninitialised again.
            let slots = unsafe { &mut buf.as_mut()[..len] };
            slots.fill(MaybeUninit::new(0));
            // SAFETY: every element of `slots` was just initialised, and
            // `MaybeUninit<u8>` has the size and alignment of `u8`.
            let bytes = unsafe { &mut *(slots as *mut [MaybeUninit<u8>] as *mut [u8]) };
            // Pending here means ramen parked our waker in the reactor.
            let n = ready!(Pin::new(&mut self.0).poll_read(cx, bytes))?;
            // SAFETY: the first `n <= len` bytes are initialised (zeroed,
            // then filled by the read). Advancing by 0 tells hyper: EOF.
            unsafe { buf.advance(n) };
            Poll::Ready(Ok(()))
        }
    }

    /// Writes map one to one: hyper's `Write` has tokio's names, which are
    /// also ramen's (`poll_shutdown` = shut our write side down).
    impl<T: AsyncWrite + Unpin> hyper::rt::Write for RamenIo<T> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }
        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }

    /// `hyper::rt::Executor`: "run this future in the background". ramen's
    /// tasks need not be `Send` (one thread), so neither does `F`.
    #[derive(Clone, Copy, Debug)]
    pub struct RamenExecutor;

    impl<F> hyper::rt::Executor<F> for RamenExecutor
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        fn execute(&self, fut: F) {
            drop(ramen::spawn(fut)); // dropping the JoinHandle detaches the task
        }
    }

    /// `hyper::rt::Timer`: makes sleeps. hyper keeps the timer in an `Arc`
    /// and wants it `Send + Sync`; a unit struct is.
    #[derive(Clone, Copy, Debug)]
    pub struct RamenTimer;

    impl hyper::rt::Timer for RamenTimer {
        fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
            self.sleep_until(Instant::now() + duration)
        }
        fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
            Box::pin(RamenSleep::new(deadline))
        }
        /// Moves an existing sleep (hyper does this for every request's
        /// header timeout) instead of allocating a new one, when it is ours.
        fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, deadline: Instant) {
            match sleep.as_mut().downcast_mut_pin::<RamenSleep>() {
                Some(mine) => mine.get_mut().reset(deadline),
                None => *sleep = self.sleep_until(deadline),
            }
        }
    }

    /// A `ramen::time::Sleep` that hyper accepts. hyper requires every
    /// `Sleep` to be `Send + Sync` (its multi-threaded runtimes may move
    /// them); ramen's is neither, because it points into this thread's
    /// timer wheel through an `Rc`. So the sleep remembers its thread and
    /// refuses to be used anywhere else: polling elsewhere panics, dropping
    /// elsewhere leaks it (never touching the `Rc`). In practice neither
    /// happens: the sleep lives inside a connection future that owns a
    /// `TcpStream`, which is not `Send`, so it never leaves the thread.
    pub struct RamenSleep {
        owner: ThreadId,
        inner: ManuallyDrop<ramen::time::Sleep>,
    }

    // SAFETY: the only thread-bound state is the `Rc` inside `inner`. It is
    // reached only through `poll` and `reset` (both check `owner` first and
    // panic on another thread) and `drop` (which leaks instead on another
    // thread), so moving a `RamenSleep` to another thread cannot touch the
    // `Rc` from there.
    unsafe impl Send for RamenSleep {}
    // SAFETY: `&RamenSleep` gives access to nothing (no `&self` methods).
    unsafe impl Sync for RamenSleep {}

    impl RamenSleep {
        fn new(deadline: Instant) -> RamenSleep {
            RamenSleep {
                owner: thread::current().id(),
                // hyper speaks std's `Instant`; ramen's is its own (paused-aware).
                inner: ManuallyDrop::new(ramen::time::sleep_until(deadline)),
            }
        }
        fn on_owner_thread(&mut self) -> &mut ramen::time::Sleep {
            assert_eq!(
                thread::current().id(),
                self.owner,
                "a ramen sleep was used off the thread that created it"
            );
            &mut self.inner
        }
        fn reset(&mut self, deadline: Instant) {
            Pin::new(self.on_owner_thread()).reset(deadline);
        }
    }

    impl Future for RamenSleep {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(self.on_owner_thread()).poll(cx)
        }
    }

    impl hyper::rt::Sleep for RamenSleep {}

    impl Drop for RamenSleep {
        fn drop(&mut self) {
            if thread::current().id() == self.owner {
                // SAFETY: `inner` is dropped exactly once, here, and never
                // used after.
                unsafe { ManuallyDrop::drop(&mut self.inner) }
            }
        }
    }
}

use glue::{RamenExecutor, RamenIo, RamenTimer};

const USAGE: &str = "usage: hyper_server [--addr HOST:PORT] [--header-secs N] [--grace-secs N]";

struct Args {
    addr: String,
    header: Duration,
    grace: Duration,
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:8081".to_string(),
        header: Duration::from_secs(10),
        grace: Duration::from_secs(10),
    };
    flags::parse("hyper_server", USAGE, &[], |flag, value| {
        let secs = || match value.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
            _ => Err(format!("{flag}: expected a positive number, got {value:?}")),
        };
        match flag {
            "--addr" => args.addr = value.clone(),
            "--header-secs" => args.header = secs()?,
            "--grace-secs" => args.grace = secs()?,
            _ => return Err(format!("unknown option {flag}")),
        }
        Ok(())
    });
    args
}

/// What every connection task shares (one thread: `Cell`s suffice).
#[derive(Default)]
struct State {
    header_timeout: Duration,
    requests: Cell<u64>,
    connections: Cell<u64>,
    open: Cell<usize>,
    shutting_down: Cell<bool>,
    shutdown: Notify,
    closed: Notify,
}

impl State {
    /// Waits until no connection is open.
    async fn all_closed(&self) {
        while self.open.get() > 0 {
            self.closed.notified().await;
        }
    }
}

fn main() {
    let args = parse_args();
    let state = Rc::new(State {
        header_timeout: args.header,
        ..State::default()
    });
    if let Err(e) = ramen::block_on(run(&args, state.clone())) {
        eprintln!("hyper_server: {e}");
        std::process::exit(1);
    }
    println!(
        "shutdown: {} requests served on {} connections",
        state.requests.get(),
        state.connections.get()
    );
}

/// SIGINT/SIGTERM as a future: the one place that knows how signals arrive
/// (`ramen::signal`, through `examples/common/shutdown.rs`). Installs the
/// handlers now, so a signal right after `listening on` is not lost; a
/// second signal during the drain exits at once.
fn shutdown_signal() -> io::Result<impl Future<Output = io::Result<&'static str>>> {
    let signals = shutdown::Shutdown::listen()?;
    Ok(async move {
        let sig = signals.first().await;
        Ok(if sig == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        })
    })
}

async fn run(args: &Args, state: Rc<State>) -> io::Result<()> {
    let signal = shutdown_signal()?;
    let listener = TcpListener::bind(args.addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    // Serve until a signal; `select` polls the signal first (biased).
    let name = match select(signal, accept_loop(&listener, &state)).await {
        Either::Left(sig) => sig?,
        Either::Right(never) => match never {},
    };
    eprintln!("hyper_server: {name}: closing the listener, shutting connections down");
    drop(listener);
    state.shutting_down.set(true);
    state.shutdown.notify_waiters();
    if ramen::time::timeout(args.grace, state.all_closed())
        .await
        .is_err()
    {
        let busy = state.open.get();
        eprintln!(
            "hyper_server: {busy} connections still busy after {:?}; closing them",
            args.grace
        );
    }
    Ok(()) // leaving `block_on` drops (closes) whatever is left
}

async fn accept_loop(listener: &TcpListener, state: &Rc<State>) -> Infallible {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => RamenExecutor.execute(serve(stream, state.clone())),
            // Out of fds or memory: back off instead of spinning on errors.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                eprintln!("hyper_server: accept: {e}; pausing 50 ms");
                ramen::time::sleep(Duration::from_millis(50)).await;
            }
            Err(_) => {} // a connection that died in the backlog
        }
    }
}

/// One connection: hyper's HTTP/1 state machine over `RamenIo`, stopped
/// gracefully when the server shuts down.
async fn serve(stream: TcpStream, state: Rc<State>) {
    state.open.set(state.open.get() + 1);
    state.connections.set(state.connections.get() + 1);
    let _ = stream.set_nodelay(true); // responses are small: do not wait for Nagle
    let counter = state.clone();
    let service = service_fn(move |req| {
        counter.requests.set(counter.requests.get() + 1);
        service::hello(req)
    });
    let conn = http1::Builder::new()
        .timer(RamenTimer)
        .header_read_timeout(state.header_timeout)
        .serve_connection(RamenIo(stream), service);
    let mut conn = pin!(conn);
    // No task runs between this check and `select`'s first poll of
    // `notified()` (one thread), so a shutdown cannot slip in between.
    let result = if state.shutting_down.get() {
        conn.as_mut().graceful_shutdown();
        conn.await
    } else {
        match select(conn.as_mut(), state.shutdown.notified()).await {
            Either::Left(done) => done,
            Either::Right(()) => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        }
    };
    if let Err(e) = result {
        // A client that vanished mid-request and the like: not the server's fault.
        if !e.is_incomplete_message() {
            eprintln!("hyper_server: connection: {e}");
        }
    }
    state.open.set(state.open.get() - 1);
    if state.open.get() == 0 {
        state.closed.notify_waiters();
    }
}
