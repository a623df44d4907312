//! `examples/hyper_server.rs` (hyper 1.x on ramen) over real sockets, from a
//! plain `std::net::TcpStream` client: exact bodies, keep-alive, HTTP/1.1
//! pipelining, and a clean exit on SIGTERM. The real-client runs (curl, wrk,
//! `ab -k`) are in `tests/hyper_server_clients.rs`.

#[path = "http_server/client.rs"]
mod client;

use std::time::{Duration, Instant};

use client::{Server, get};

fn start() -> Server {
    Server::start_example("hyper_server", &[])
}

#[test]
fn get_root_answers_hello_and_other_requests_their_codes() {
    let server = start();
    let mut c = server.connect();
    let resp = c.request(&get("/"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello");
    assert_eq!(resp.header("content-length"), Some("5"));
    let missing = c.request(&get("/missing"));
    assert_eq!(
        (missing.status, missing.body.as_slice()),
        (404, &b"not found\n"[..])
    );
    let head = c.request(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("5"))
    );
    let post = c.request(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(post.status, 405);
    // All four on one connection: keep-alive held throughout.
    assert_eq!(c.request(&get("/")).body, b"hello");
}

#[test]
fn keep_alive_and_pipelining_answer_in_order_on_one_connection() {
    let server = start();
    let mut c = server.connect();
    for _ in 0..3 {
        assert_eq!(c.request(&get("/")).body, b"hello"); // same connection
    }
    // Five requests in one write; the answers come back in request order.
    let paths = ["/", "/a", "/", "/b", "/"];
    let mut burst = Vec::new();
    for p in paths {
        burst.extend_from_slice(&get(p));
    }
    c.send(&burst);
    for p in paths {
        let r = c.response(false);
        let want: (u16, &[u8]) = if p == "/" {
            (200, b"hello")
        } else {
            (404, b"not found\n")
        };
        assert_eq!((r.status, r.body.as_slice()), want, "answer to {p}");
    }
    // A request split across writes is still one request.
    c.send(b"GET / HT");
    std::thread::sleep(Duration::from_millis(20));
    c.send(b"TP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.response(false).body, b"hello");
    // `Connection: close`: answered, then closed by the server.
    let r = c.request(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(r.body, b"hello");
    assert!(c.is_closed());
}

#[test]
fn an_incomplete_head_is_closed_after_header_secs() {
    // hyper's header_read_timeout runs on the example's `Timer` glue
    // (ramen sleeps): this is the test that the glue's timers fire.
    let server = Server::start_example("hyper_server", &["--header-secs", "1"]);
    let mut c = server.connect();
    let started = Instant::now();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\n"); // no blank line: never complete
    assert!(c.is_closed(), "the connection stayed open");
    let waited = started.elapsed();
    // Never early; the upper bound only guards against "never" (the
    // client's read timeout is 20 s).
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    // Other connections are unaffected.
    assert_eq!(server.connect().request(&get("/")).body, b"hello");
}

#[test]
fn sigterm_closes_idle_connections_and_exits_zero() {
    let mut server = start();
    let mut idle: Vec<_> = (0..5).map(|_| server.connect()).collect();
    for c in &mut idle {
        assert_eq!(c.request(&get("/")).body, b"hello"); // now idle keep-alive
    }
    server.signal(libc::SIGTERM);
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "{status}");
    assert!(idle.iter_mut().all(|c| c.is_closed()));
    let summary = server.line(Duration::from_secs(1));
    assert_eq!(summary, "shutdown: 5 requests served on 5 connections");
}
