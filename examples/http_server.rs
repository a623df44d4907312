//! # http_server — nginx's model on ramen: one event loop, thousands of connections
//!
//! nginx (study note §6) serves tens of thousands of connections from a few
//! worker processes, each one a single-threaded event loop on epoll/kqueue: a
//! request that waits for the network steps aside, and the loop serves another
//! one. This example is that loop written with ramen: one thread, one task per
//! connection, and every wait (for a request, for the socket to take a
//! response, for a signal) is an `.await` on the reactor. The waiting is
//! hidden: `conn.rs` reads like a blocking server, but no connection ever
//! holds the thread while it waits.
//!
//! ```text
//! cargo run --release --example http_server -- --addr 127.0.0.1:8080 --root ./docs
//! curl -i http://127.0.0.1:8080/            # hello
//! curl -I http://127.0.0.1:8080/README.md   # HEAD of a static file
//! wrk -t1 -c100 -d10s http://127.0.0.1:8080/
//! benches/servers.sh                        # the same wrk run against real nginx
//! ```
//!
//! Options: `--addr HOST:PORT` (default 127.0.0.1:8080; port 0 picks a free
//! one), `--root DIR` (static files; without it only `/` is served),
//! `--idle-secs N` (close a connection that sends nothing for N s, default 10),
//! `--grace-secs N` (on shutdown, wait at most N s for requests in flight,
//! default 10), `--workers N` (N event loops on N threads, as nginx's
//! `worker_processes N`; default 1), `--accept reuseport|handoff` (how
//! connections reach the workers: `http_server/workers.rs`), `--pin` (worker
//! `i` on CPU `i`).
//!
//! What to look for:
//! - one line `listening on ADDR` (the real address), then nothing per request;
//! - `ps -L` shows one thread however many connections are open (plus,
//!   briefly, blocking-pool threads while large files are read); with
//!   `--workers N`, N threads, and at shutdown one `worker i: ...` line each;
//! - Ctrl-C (or SIGTERM): the listener closes, idle keep-alive connections
//!   are closed, requests in flight are finished, and the last line is
//!   `shutdown: N requests served on M connections`, exit status 0;
//! - `benches/servers.sh`: req/s and CPU time per 100k requests beside nginx.
//!
//! What it speaks (RFC 9110 / RFC 9112), as `tests/http_server_conformance.rs`
//! checks on the wire:
//!
//! | behaviour | here | nginx |
//! |---|---|---|
//! | HTTP/1.1 and 1.0, keep-alive, pipelining (answers in order) | yes | yes |
//! | `GET`, `HEAD`; other methods | 405 with `Allow` | per module |
//! | origin-form and absolute-form targets (`GET http://h/p`) | both (the path is served; Host is still required and checked) | both |
//! | missing, repeated or invalid `Host` (`Host: a b`) | 400 | 400 |
//! | request line over 8 KiB / head over 8 KiB or 100 headers | 414 / 431 | 414 / 400 |
//! | body over 64 KiB / chunked body | 413 / 501 (smaller bodies are read and discarded) | configurable / yes |
//! | `Transfer-Encoding` in HTTP/1.0, two different `Content-Length`s, TE and CL together | 400 | 400 |
//! | `HTTP/1.2` (unknown 1.x minor) / `HTTP/2.0` on this text protocol | served as 1.1 / 505 | same |
//! | `Expect: 100-continue` | `100 Continue` once the head is read, or the final status at once (413) | same |
//! | a request started but not finished within `--idle-secs` | 408, then close | 408 |
//! | closing (errors, `Connection: close`, shutdown) | lingering: shut down writes, read and discard up to 5 s, so no reset destroys a response | `lingering_close` |
//! | paths leaving the root (`..`, `%2e%2e`, `%2f`, symlinks out) | 403/404 | 403/404 |
//!
//! Not implemented: chunked request bodies, ranges, conditional requests
//! (`If-Modified-Since`), compression, `OPTIONS *`, trailers.
//!
//! Honest framing: real nginx's workers are *processes* (a crash takes one
//! worker, and the master restarts it; here `--workers` are threads of one
//! process), and it has TLS, HTTP/2 and 3, reverse proxying and load
//! balancing, caching, `sendfile` and zero-copy, rate limiting, access logs,
//! configuration reload without dropping connections, and two decades of
//! hardening against hostile clients. Production traffic belongs on the real
//! nginx. This example exists to show *why* a server is built around waiting,
//! and to measure one ramen event loop against a world-class one.
//!
//! Layout: `http_server/parse.rs` (the request parser) and
//! `http_server/response.rs` (the response writer): pure functions over
//! bytes, unit-tested by `tests/http_server.rs`;
//! `http_server/conn.rs` (one connection), `http_server/workers.rs`
//! (`--workers`), `common/shutdown.rs` (SIGINT
//! and SIGTERM through `ramen::signal`), this file (arguments, accept loop,
//! shutdown).

#[path = "http_server/conn.rs"]
mod conn;
#[path = "common/flags.rs"]
mod flags;
#[path = "http_server/parse.rs"]
mod parse;
#[path = "http_server/response.rs"]
mod response;
#[path = "common/shutdown.rs"]
mod shutdown;
#[path = "http_server/workers.rs"]
mod workers;

use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use ramen::net::TcpListener;
use ramen::{Either, select};

use conn::Server;

const USAGE: &str = "usage: http_server [--addr HOST:PORT] [--root DIR] [--idle-secs N] \
                     [--grace-secs N] [--workers N] [--accept reuseport|handoff] [--pin]";

struct Args {
    addr: String,
    root: Option<PathBuf>,
    idle: Duration,
    grace: Duration,
    /// Event loops, one per thread (`workers.rs`); 1 = this thread only.
    workers: usize,
    /// How connections reach the workers (`workers.rs`).
    accept: workers::Accept,
    /// Pin worker `i` to CPU `i`.
    pin: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        addr: "127.0.0.1:8080".to_string(),
        root: None,
        idle: Duration::from_secs(10),
        grace: Duration::from_secs(10),
        workers: 1,
        accept: workers::Accept::ReusePort,
        pin: false,
    };
    flags::parse("http_server", USAGE, &["--pin"], |flag, value| {
        let secs = || flags::positive(flag, &value).map(Duration::from_secs);
        match flag {
            "--pin" => args.pin = true,
            "--addr" => args.addr = value.clone(),
            "--root" => args.root = Some(PathBuf::from(&value)),
            "--idle-secs" => args.idle = secs()?,
            "--grace-secs" => args.grace = secs()?,
            "--workers" => match value.parse::<usize>() {
                Ok(n) if (1..=1024).contains(&n) => args.workers = n,
                _ => return Err(format!("--workers: expected 1..=1024, got {value:?}")),
            },
            "--accept" => match value.as_str() {
                "reuseport" => args.accept = workers::Accept::ReusePort,
                "handoff" => args.accept = workers::Accept::Handoff,
                _ => {
                    return Err(format!(
                        "--accept: expected reuseport or handoff, got {value:?}"
                    ));
                }
            },
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args
}

fn fail(msg: &str) -> ! {
    flags::fail("http_server", USAGE, msg)
}

fn main() {
    let args = parse_args();
    // Canonical, so a resolved file path can be checked with `starts_with`.
    let root = args.root.as_ref().map(|r| {
        r.canonicalize()
            .unwrap_or_else(|e| fail(&format!("--root {}: {e}", r.display())))
    });
    if args.workers > 1 {
        match workers::run(&args, root) {
            Ok(per_worker) => {
                let (mut requests, mut connections) = (0, 0);
                for (i, (r, c)) in per_worker.iter().enumerate() {
                    println!("worker {i}: {r} requests on {c} connections");
                    (requests, connections) = (requests + r, connections + c);
                }
                println!("shutdown: {requests} requests served on {connections} connections")
            }
            Err(e) => {
                eprintln!("http_server: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let server = Rc::new(Server::new(root, args.idle));
    if let Err(e) = ramen::block_on(run(&args, server.clone())) {
        eprintln!("http_server: {e}");
        std::process::exit(1);
    }
    println!(
        "shutdown: {} requests served on {} connections",
        server.requests.get(),
        server.connections.get()
    );
}

async fn run(args: &Args, server: Rc<Server>) -> io::Result<()> {
    let signals = shutdown::Shutdown::listen()?;
    let listener = TcpListener::bind(args.addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    // Serve until a signal arrives. The signal is polled first (`select` is
    // biased), so a flood of connections cannot delay the shutdown.
    let sig = match select(signals.first(), accept_loop(&listener, &server)).await {
        Either::Left(sig) => sig,
        Either::Right(never) => match never {},
    };
    let name = if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    eprintln!("http_server: {name}: closing the listener and idle connections");

    // 1. Stop accepting: close the listening socket (new connects are refused).
    drop(listener);
    drain(&server, args.grace).await;
    // Leaving `block_on` drops (closes) whatever is left.
    Ok(())
}

/// After the listener is closed: connections answer what they have read
/// with `Connection: close` and close; those waiting for a request close
/// now; the requests in flight get at most `grace`.
async fn drain(server: &Server, grace: Duration) {
    server.shutting_down.set(true);
    server.shutdown.notify_waiters();
    let drained = ramen::time::timeout(grace, async {
        while server.open.get() > 0 {
            server.all_closed.notified().await;
        }
    })
    .await;
    if drained.is_err() {
        eprintln!(
            "http_server: {} connections still busy after {grace:?}; closing them",
            server.open.get(),
        );
    }
}

/// Accepts forever, one task per connection.
async fn accept_loop(listener: &TcpListener, server: &Rc<Server>) -> std::convert::Infallible {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                // Detached: the task owns the connection and ends with it.
                drop(ramen::spawn(conn::serve(server.clone(), stream)));
            }
            // Out of fds or memory: accepting again at once would fail again
            // (and spin). Back off briefly; connections closing will free fds.
            Err(e) if is_resource_error(&e) => {
                eprintln!("http_server: accept: {e}; pausing 50 ms");
                ramen::time::sleep(Duration::from_millis(50)).await;
            }
            // A connection that died in the backlog (ECONNABORTED) and the like.
            Err(_) => {}
        }
    }
}

fn is_resource_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}
