//! hyper 1.x on tokio's single-threaded (`current_thread`) runtime: the
//! reference point for `examples/hyper_server.rs` (hyper on ramen) in
//! `benches/servers.sh hyper`. Same service (`GET /` → `hello`), same
//! hyper settings (HTTP/1, `TCP_NODELAY`, a 10 s header timeout through a
//! timer), with hyper-util's `TokioIo`/`TokioTimer` as the glue.
//!
//! ```sh
//! cargo build -p ramen-benches --release --bin hyper_tokio
//! target/release/hyper_tokio --addr 127.0.0.1:0   # prints `listening on ADDR`
//! ```
//! It runs until SIGTERM or SIGINT, then exits 0 (without draining: it is a
//! benchmark peer, not an example). `--threads N` uses tokio's `multi_thread`
//! runtime with N workers instead (`benches/servers.sh multicore`).

use std::time::Duration;

#[path = "../examples/hyper_server/service.rs"]
mod service;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::signal::unix::{SignalKind, signal};

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:8082".to_string();
    let mut threads = 0;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--addr", Some(a)) => addr = a,
            ("--threads", Some(n)) if n.parse::<usize>().is_ok_and(|n| n > 0) => {
                threads = n.parse().unwrap_or(1);
            }
            _ => {
                eprintln!("usage: hyper_tokio [--addr HOST:PORT] [--threads N]");
                std::process::exit(2);
            }
        }
    }
    let rt = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening on {}", listener.local_addr()?);
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        loop {
            let accepted = tokio::select! {
                biased;
                _ = term.recv() => return Ok(()),
                _ = int.recv() => return Ok(()),
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, _)) = accepted else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            // spawn_local is not needed: the connection future is Send here.
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service_fn(service::hello))
                    .await;
            });
        }
    })
}
