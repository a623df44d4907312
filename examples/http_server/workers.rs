//! `--workers N`: nginx's answer to "more than one core" — N event loops,
//! one per thread (`ramen::workers`), each with its own connections, timers
//! and reactor, sharing nothing but the listening port.
//!
//! How a new connection reaches a worker (`--accept`):
//! - **`reuseport`** (the default): every worker binds its own listener on the
//!   same port with `SO_REUSEPORT` (`TcpListener::bind_reuseport`), and the
//!   kernel spreads incoming connections across them by a hash of the
//!   addresses. Each worker accepts from its own queue: no thread ever
//!   touches another's sockets, and no wake crosses threads.
//! - **`handoff`**: worker 0 alone accepts and hands each connection (as a
//!   std `TcpStream`, i.e. its fd) to the next worker in turn over a
//!   `ramen::sync::mpsc` channel; the receiving worker registers it with its
//!   own reactor. One acceptor is simpler to reason about (and is what a
//!   server does when `SO_REUSEPORT` is missing), but every connection costs
//!   a cross-thread wake, and worker 0 does more work than the others.
//!
//! `benches/servers.sh multicore` measures both beside nginx; `reuseport`
//! is the default because it measured better (the numbers are in the
//! README's server section).
//!
//! Shutdown: worker 0 listens for SIGINT/SIGTERM and stops the group
//! ([`ramen::StopHandle`]); every worker then closes its listener and drains
//! its own connections, as the single-loop server does, and the process
//! prints the totals of all workers.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Mutex;

use ramen::net::{TcpListener, TcpStream};
use ramen::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use ramen::sync::watch;
use ramen::{Either, Worker, select};

use crate::conn::{self, Server};
use crate::{Args, accept_loop, drain, shutdown};

/// How connections reach the workers (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    ReusePort,
    Handoff,
}

/// What each worker hands back: requests served, connections accepted.
type Served = (u64, u64);

/// Runs `args.workers` event loops until a signal; returns what each served.
pub fn run(args: &Args, root: Option<PathBuf>) -> io::Result<Vec<Served>> {
    // Worker 0 binds first (the port may be 0) and tells the others where.
    let (addr_tx, addr_rx) = watch::channel::<Option<SocketAddr>>(None);
    // Handoff mode: one channel per worker for the connections it is given.
    let mut handoff_tx = Vec::new();
    let mut handoff_rx = Vec::new();
    for _ in 0..args.workers {
        let (tx, rx) = unbounded_channel::<std::net::TcpStream>();
        handoff_tx.push(tx);
        handoff_rx.push(Mutex::new(Some(rx)));
    }
    let group = ramen::workers(args.workers).pin_to_cores(args.pin);
    let results = group
        .run(|worker| {
            let root = root.clone();
            let addr_rx = addr_rx.clone();
            let inbox = handoff_rx[worker.index()]
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            let (addr_tx, handoff_tx) = (&addr_tx, &handoff_tx);
            async move {
                let stop = worker.stop_handle();
                let served =
                    serve_worker(worker, args, root, addr_tx, addr_rx, inbox, handoff_tx).await;
                if served.is_err() {
                    stop.stop(); // one worker failing (say, bind) stops the group
                }
                served
            }
        })
        .map_err(|e| io::Error::other(e.to_string()))?;
    results.into_iter().collect()
}

/// One worker: listen (or receive handed-off connections), serve until the
/// group stops, drain.
async fn serve_worker(
    mut worker: Worker,
    args: &Args,
    root: Option<PathBuf>,
    addr_tx: &watch::Sender<Option<SocketAddr>>,
    mut addr_rx: watch::Receiver<Option<SocketAddr>>,
    inbox: Option<UnboundedReceiver<std::net::TcpStream>>,
    handoff: &[UnboundedSender<std::net::TcpStream>],
) -> io::Result<Served> {
    let server = Rc::new(Server::new(root, args.idle));
    let first = worker.index() == 0;
    if first {
        // Before `listening on`: from then on a signal stops the group.
        let signals = shutdown::Shutdown::listen()?;
        let stop = worker.stop_handle();
        drop(ramen::spawn(async move {
            let sig = signals.first().await;
            eprintln!("http_server: signal {sig}: stopping every worker");
            stop.stop();
        }));
    }
    let listener = match (args.accept, first) {
        (Accept::ReusePort, true) => {
            let l = TcpListener::bind_reuseport(args.addr.as_str()).await?;
            announce(&l, addr_tx)?;
            Some(l)
        }
        (Accept::ReusePort, false) => {
            let addr = wait_for_addr(&mut addr_rx).await?;
            Some(TcpListener::bind_reuseport(addr).await?)
        }
        (Accept::Handoff, true) => {
            let l = TcpListener::bind(args.addr.as_str()).await?;
            announce(&l, addr_tx)?;
            Some(l)
        }
        (Accept::Handoff, false) => None,
    };
    let stopped = worker.stopped();
    match (&listener, args.accept) {
        (Some(l), Accept::ReusePort) => {
            let Either::Left(()) = select(stopped, accept_loop(l, &server)).await;
        }
        (Some(l), Accept::Handoff) => {
            let Either::Left(()) = select(stopped, hand_out(l, &server, handoff)).await;
        }
        (None, _) => {
            let inbox = inbox.expect("each worker takes its own inbox once");
            let Either::Left(()) = select(stopped, take_handed(inbox, &server)).await;
        }
    }
    drop(listener);
    drain(&server, args.grace).await;
    Ok((server.requests.get(), server.connections.get()))
}

/// Prints `listening on ADDR` (once, by worker 0) and tells the others.
fn announce(l: &TcpListener, addr_tx: &watch::Sender<Option<SocketAddr>>) -> io::Result<()> {
    let addr = l.local_addr()?;
    addr_tx.send_replace(Some(addr));
    println!("listening on {addr}");
    io::stdout().flush()
}

async fn wait_for_addr(rx: &mut watch::Receiver<Option<SocketAddr>>) -> io::Result<SocketAddr> {
    match rx.wait_for(Option::is_some).await {
        Ok(addr) => Ok(addr.expect("waited for Some")),
        Err(_) => Err(io::Error::other("worker 0 ended before it could listen")),
    }
}

/// Handoff acceptor (worker 0): accept, and give connection `i` to worker
/// `i % n`; its own share it serves itself.
async fn hand_out(
    listener: &TcpListener,
    server: &Rc<Server>,
    workers: &[UnboundedSender<std::net::TcpStream>],
) -> std::convert::Infallible {
    let mut next = 0;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            ramen::yield_now().await; // errors: the same back-off as accept_loop, simply
            continue;
        };
        let to = next % workers.len();
        next += 1;
        if to == 0 {
            drop(ramen::spawn(conn::serve(server.clone(), stream)));
        } else if let Ok(std) = stream.into_std() {
            // A worker that already stopped drops the connection (closes it).
            let _ = workers[to].send(std);
        }
    }
}

/// Handoff receiver (workers 1..n): register each connection with this
/// worker's reactor and serve it.
async fn take_handed(
    mut inbox: UnboundedReceiver<std::net::TcpStream>,
    server: &Rc<Server>,
) -> std::convert::Infallible {
    loop {
        match inbox.recv().await {
            Some(std) => {
                if let Ok(stream) = TcpStream::from_std(std) {
                    drop(ramen::spawn(conn::serve(server.clone(), stream)));
                }
            }
            // Worker 0 is gone: nothing more will come; wait for the stop.
            None => std::future::pending::<()>().await,
        }
    }
}
