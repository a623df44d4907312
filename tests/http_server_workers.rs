//! `examples/http_server.rs --workers N`: N event loops on N threads behind
//! one port, with both ways of spreading connections (`--accept reuseport`,
//! the default, and `--accept handoff`), and a graceful shutdown that drains
//! every worker. Runs the built example binary (`cargo test` builds it).

#[path = "http_server/client.rs"]
mod client;

use std::time::Duration;

use client::{Server, get};

/// Opens `n` connections (one request each, then closed), SIGTERMs the
/// server, and returns the per-worker request counts it prints.
fn spread(extra: &[&str], workers: usize, n: usize) -> Vec<u64> {
    let mut server = Server::start(extra);
    for _ in 0..n {
        let mut c = server.connect();
        let resp = c.request(&get("/"));
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"hello"[..]));
    }
    server.signal(libc::SIGTERM);
    assert!(server.wait(Duration::from_secs(10)).success());
    let mut per_worker = Vec::new();
    for i in 0..workers {
        let line = server.line(Duration::from_secs(2));
        let prefix = format!("worker {i}: ");
        let rest = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"));
        let requests: u64 = rest.split(' ').next().unwrap().parse().unwrap();
        per_worker.push(requests);
    }
    let summary = server.line(Duration::from_secs(2));
    assert_eq!(
        summary,
        format!("shutdown: {n} requests served on {n} connections"),
        "the totals add up"
    );
    per_worker
}

#[test]
fn four_reuseport_workers_each_serve_some_of_400_connections() {
    let per_worker = spread(&["--workers", "4"], 4, 400);
    assert_eq!(per_worker.iter().sum::<u64>(), 400);
    assert!(per_worker.iter().all(|&n| n >= 1), "{per_worker:?}");
}

#[test]
fn handoff_gives_each_worker_its_turn() {
    let per_worker = spread(&["--workers", "3", "--accept", "handoff"], 3, 99);
    // Round robin from one acceptor: exactly a third each.
    assert_eq!(per_worker, [33, 33, 33]);
}

#[test]
fn a_bad_worker_count_is_a_clear_error() {
    let out = std::process::Command::new(client::example_binary())
        .args(["--workers", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workers: expected 1..=1024"));
}
