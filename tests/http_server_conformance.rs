//! `examples/http_server.rs` on the wire: RFC 9110/9112 behaviours a client
//! relies on, each as bytes in and the exact response out, against the built
//! example binary (run through `cargo test`, which builds the examples).
//!
//! - an `absolute-form` target is served by its path, an invalid `Host` is 400;
//! - `Expect: 100-continue` gets `100 Continue` before the body is sent, or
//!   the final status at once when the body would be refused;
//! - a request that never completes gets `408` before the connection closes;
//! - every close is lingering: an error answered while the client is still
//!   sending, or after a large response, reaches the client whole (no reset).

#[path = "http_server/client.rs"]
mod client;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use client::{Client, Server, TempRoot};

/// Reads until the peer closes (or `limit` passes); an error such as a
/// connection reset is returned with what arrived before it.
fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<std::io::Error>) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Some(e)),
        }
    }
}

fn status_line(bytes: &[u8]) -> String {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[test]
fn absolute_form_is_served_and_an_invalid_host_is_400() {
    let server = Server::start(&[]);
    let abs = server
        .connect()
        .request(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!((abs.status, abs.body.as_slice()), (200, &b"hello"[..]));
    let bad_host = server
        .connect()
        .request(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
    assert_eq!(bad_host.status, 400);
    let http12 = server
        .connect()
        .request(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n");
    assert_eq!(
        (http12.status, http12.body.as_slice()),
        (200, &b"hello"[..])
    );
    let te10 = server
        .connect()
        .request(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_eq!(te10.status, 400);
    let mut long = b"GET /".to_vec();
    long.resize(10 * 1024, b'a');
    long.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(server.connect().request(&long).status, 414);
}

#[test]
fn expect_100_continue_gets_the_interim_response_before_the_body() {
    let server = Server::start(&[]);
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n",
    )
    .unwrap();
    let started = Instant::now();
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut got = vec![0u8; interim.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, interim, "{}", String::from_utf8_lossy(&got));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "100 Continue took {:?}",
        started.elapsed()
    );
    s.write_all(&[b'x'; 2048]).unwrap();
    let mut c = Client::from_stream(s);
    let resp = c.response(false);
    assert_eq!(resp.status, 405); // POST / is not allowed; but it was answered
    // A body over the limit gets its final status at once, never 100.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
    )
    .unwrap();
    let (bytes, _) = read_to_close(&mut s, Duration::from_secs(10));
    assert_eq!(status_line(&bytes), "HTTP/1.1 413 Content Too Large");
}

#[test]
fn a_request_that_never_completes_gets_408() {
    let server = Server::start(&["--idle-secs", "1"]);
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n")
        .unwrap();
    let (bytes, err) = read_to_close(&mut s, Duration::from_secs(10));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(status_line(&bytes), "HTTP/1.1 408 Request Timeout");
    // Between requests, an idle connection closes quietly.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    let (bytes, _) = read_to_close(&mut idle, Duration::from_secs(10));
    assert!(bytes.is_empty(), "{}", String::from_utf8_lossy(&bytes));
}

#[test]
fn a_413_reaches_a_client_that_is_still_sending() {
    let server = Server::start(&[]);
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n")
        .unwrap();
    // Keep sending body bytes the server will never use, as python's
    // http.client does, and only then read the answer. A server that closes
    // without draining makes these writes fail (EPIPE / reset): the client
    // gives up before it ever reads the 413.
    let chunk = [b'x'; 16 * 1024];
    for i in 0..32 {
        if let Err(e) = s.write_all(&chunk) {
            panic!("write {i} of the body failed: {e}: the server did not linger");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let (bytes, err) = read_to_close(&mut s, Duration::from_secs(15));
    assert_eq!(status_line(&bytes), "HTTP/1.1 413 Content Too Large");
    assert!(err.is_none(), "the 413 arrived, then {err:?}");
}

#[test]
fn a_large_response_then_a_malformed_request_arrive_whole() {
    const SIZE: usize = 16 * 1024 * 1024;
    let root = TempRoot::new("linger");
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    root.write("big.bin", &content);
    let server = Server::start(&["--root", root.path()]);
    let mut s = TcpStream::connect(&server.addr).unwrap();
    let mut req = b"GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\nGARBAGE\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'j', 256 * 1024)); // still unread at the close
    let mut writer = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&req);
    });
    let (bytes, err) = read_to_close(&mut s, Duration::from_secs(60));
    sender.join().unwrap();
    assert!(err.is_none(), "after {} bytes: {err:?}", bytes.len());
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(status_line(&bytes), "HTTP/1.1 200 OK");
    let body = &bytes[head_end..head_end + SIZE];
    assert!(body == content.as_slice(), "the file arrived damaged");
    let rest = &bytes[head_end + SIZE..];
    assert_eq!(status_line(rest), "HTTP/1.1 400 Bad Request");
}
