//! `examples/http_server.rs`: its parser as pure functions (including a
//! fuzz-style run that must never panic), then the built example binary
//! driven over real sockets by `std::net::TcpStream`.
//!
//! The binary is built by `cargo test` into `target/<profile>/examples/`
//! (run these through `cargo test`, or `cargo build --examples` first). Every
//! server started here is killed by PID when its guard drops.

#[allow(dead_code)] // the example uses all of it; these tests only part
#[path = "../examples/http_server/parse.rs"]
mod parse;

#[allow(dead_code)]
#[path = "../examples/http_server/response.rs"]
mod response;

#[path = "http_server/client.rs"]
mod client;

use std::path::PathBuf;

use parse::{MAX_HEAD, Method, ParseError, Target, parse_request, resolve_target};

const GET: &[u8] = b"GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\n";

fn status_of(buf: &[u8]) -> u16 {
    match parse_request(buf) {
        Ok(Some(_)) => 200,
        Ok(None) => 0,
        Err(e) => e.status(),
    }
}

#[test]
fn parses_a_simple_get() {
    let (req, used) = parse_request(GET).unwrap().unwrap();
    assert_eq!(used, GET.len());
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.target, b"/index.html?x=1");
    assert_eq!((req.minor, req.keep_alive, req.body_len), (1, true, 0));
}

#[test]
fn keep_alive_defaults_follow_the_version() {
    let r = |s: &[u8]| parse_request(s).unwrap().unwrap().0.keep_alive;
    assert!(!r(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(r(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert!(!r(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    ));
    assert!(!r(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: x, CLOSE\r\n\r\n"
    ));
    // Bare LF line ends are accepted (RFC 9112 §2.2).
    assert!(r(b"HEAD / HTTP/1.1\nHost: h\n\n"));
}

#[test]
fn every_truncation_of_a_request_is_incomplete_not_an_error() {
    let body = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    for req in [GET, &body[..]] {
        for cut in 0..req.len() {
            assert_eq!(parse_request(&req[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse_request(req).unwrap().is_some());
    }
}

#[test]
fn pipelined_requests_are_taken_one_at_a_time_in_order() {
    let mut buf = GET.to_vec();
    buf.extend_from_slice(b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
    buf.extend_from_slice(b"HEAD /c HTTP/1.1\r\nHost: h\r\n\r\nGET /d HT");
    let mut rest = &buf[..];
    let mut seen = Vec::new();
    while let Some((req, used)) = parse_request(rest).unwrap() {
        seen.push((req.method, String::from_utf8(req.target.to_vec()).unwrap()));
        rest = &rest[used..];
    }
    assert_eq!(
        seen,
        [
            (Method::Get, "/index.html?x=1".to_string()),
            (Method::Other, "/b".to_string()),
            (Method::Head, "/c".to_string())
        ]
    );
    assert_eq!(rest, b"GET /d HT");
}

#[test]
fn oversized_heads_are_431() {
    let mut big = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
    big.resize(MAX_HEAD + 10, b'a');
    assert_eq!(parse_request(&big), Err(ParseError::HeadTooLarge)); // no end yet
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(parse_request(&big), Err(ParseError::HeadTooLarge));
    let mut many = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_eq!(status_of(&many), 431);
}

#[test]
fn bodies_over_the_limit_are_413_and_chunked_is_501() {
    let req = |h: &str| format!("POST / HTTP/1.1\r\nHost: h\r\n{h}\r\n\r\n").into_bytes();
    assert_eq!(status_of(&req("Content-Length: 10000000")), 413);
    assert_eq!(
        status_of(&req("Content-Length: 99999999999999999999999")),
        413
    );
    assert_eq!(status_of(&req("Transfer-Encoding: chunked")), 501);
    assert_eq!(
        status_of(&req("Transfer-Encoding: chunked\r\nContent-Length: 3")),
        400
    );
}

#[test]
fn malformed_requests_are_400_and_unknown_versions_505() {
    let bad: &[&[u8]] = &[
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",                               // no Host
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",         // two Hosts
        b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",                   // double space
        b"GET / HTTP/1.1 x\r\nHost: h\r\n\r\n",                  // extra part
        b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n",             // not an http URI
        b"GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n",                 // authority-form
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",                  // invalid Host (RFC 9112 3.2)
        b"GET / HTTP/1.1\r\nHost: h:8x\r\n\r\n",                 // bad port
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", // TE in 1.0
        b"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",         // obs-fold
        b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",                   // space before colon
        b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",              // bare CR
        b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",         // no colon
        b"GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n",                // control byte
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"G\xc3\xa9T / HTTP/1.1\r\nHost: h\r\n\r\n", // non-token method
        b"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",    // non-ASCII target
        b"GET / HTTPS/1.1\r\nHost: h\r\n\r\n",
    ];
    for b in bad {
        assert_eq!(status_of(b), 400, "{:?}", String::from_utf8_lossy(b));
    }
    assert_eq!(status_of(b"GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
    assert_eq!(status_of(b"GET / HTTP/0.9\r\nHost: h\r\n\r\n"), 505);
}

#[test]
fn absolute_form_targets_are_served_by_their_path() {
    let target = |b: &[u8]| {
        let (req, _) = parse_request(b).unwrap().unwrap();
        String::from_utf8(req.target.to_vec()).unwrap()
    };
    assert_eq!(target(b"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n"), "/");
    assert_eq!(
        target(b"GET HTTP://h:8080 HTTP/1.1\r\nHost: x\r\n\r\n"),
        "/"
    );
    assert_eq!(
        target(b"GET http://h/a/b?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
        "/a/b?q=1"
    );
    assert_eq!(
        target(b"GET http://[::1]:80/x HTTP/1.1\r\nHost: h\r\n\r\n"),
        "/x"
    );
}

#[test]
fn an_unknown_http_1_minor_version_is_served_as_1_1() {
    let (req, _) = parse_request(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!((req.minor, req.keep_alive), (1, true));
}

#[test]
fn a_request_line_over_the_head_limit_is_414_and_long_headers_431() {
    let mut long = b"GET /".to_vec();
    long.resize(10 * 1024, b'a');
    assert_eq!(status_of(&long), 414); // no line end yet
    long.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(status_of(&long), 414);
}

#[test]
fn expect_100_continue_is_seen_once_the_head_is_complete() {
    use parse::pending_body;
    let head = b"POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    assert_eq!(pending_body(&head[..20]), None); // head incomplete
    assert!(pending_body(head).unwrap().expects_continue);
    let mut whole = head.to_vec();
    whole.extend_from_slice(b"abc");
    assert_eq!(pending_body(&whole), None); // complete: nothing pending
    let plain = b"POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    assert!(!pending_body(plain).unwrap().expects_continue);
    let http10 = b"POST /u HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    assert!(!pending_body(http10).unwrap().expects_continue);
}

#[test]
fn path_traversal_is_refused() {
    for t in [
        &b"/../etc/passwd"[..],
        b"/a/../../etc/passwd",
        b"/%2e%2e/etc/passwd",
        b"/%2E%2e/%2e%2E/etc/passwd",
        b"/..%2fetc%2fpasswd",
        b"/a%2fb",
        b"/a%5cb",
        b"/a%00b",
        b"/bad%zzescape",
        b"/trailing%2",
    ] {
        assert_eq!(
            resolve_target(t),
            Err(403),
            "{}",
            String::from_utf8_lossy(t)
        );
    }
    assert_eq!(resolve_target(b"/"), Ok(Target::Hello));
    assert_eq!(resolve_target(b"/?q=/../x"), Ok(Target::Hello));
    let file = |p: &str| Ok(Target::File(PathBuf::from(p)));
    assert_eq!(resolve_target(b"/a/./b.txt?x"), file("a/b.txt"));
    assert_eq!(resolve_target(b"/hello%20world"), file("hello world"));
    // `//etc/passwd` stays relative: empty segments are skipped, never joined.
    assert_eq!(resolve_target(b"//etc/passwd"), file("etc/passwd"));
    assert_eq!(resolve_target(b"/..."), file("..."));
}

#[test]
fn responses_have_the_right_length_and_head_has_no_body() {
    let date = response::http_date(784_111_777);
    assert_eq!(&date, b"Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(&response::http_date(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(
        &response::http_date(951_782_400),
        b"Tue, 29 Feb 2000 00:00:00 GMT"
    );
    let mut out = Vec::new();
    response::write_simple(&mut out, 200, b"hello", false, true, 1, &date);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("\r\nContent-Length: 5\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello"), "{text}");
    let mut out = Vec::new();
    response::write_simple(&mut out, 200, b"hello", true, false, 1, &date);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Content-Length: 5\r\nConnection: close\r\n\r\n"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\n"), "HEAD has no body: {text}");
}

/// xorshift64: a tiny deterministic RNG, so a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn fuzz_random_and_mutated_input_never_panics() {
    let seeds: &[&[u8]] = &[
        GET,
        b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n",
        b"HEAD /%2e%2e/a%2fb HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ];
    let alphabet = b"GETPOSHAD /%.:\r\n\t0123456789abcdefHTP-Content-Lngth\x00\xff";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = [0usize; 3];
    for i in 0..20_000 {
        let input: Vec<u8> = if i % 4 == 0 {
            (0..rng.below(300))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        } else {
            let mut v = seeds[rng.below(seeds.len())].to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(v.len() + 1);
                match rng.below(4) {
                    0 if at < v.len() => v[at] = rng.next() as u8,
                    1 if at < v.len() => drop(v.remove(at)),
                    2 => v.insert(at, alphabet[rng.below(alphabet.len())]),
                    _ => v.truncate(at),
                }
            }
            v
        };
        // Parse like the server does: request after request until stuck.
        let mut rest = &input[..];
        loop {
            match parse_request(rest) {
                Ok(Some((req, used))) => {
                    assert!(used > 0 && used <= rest.len());
                    let _ = resolve_target(req.target);
                    rest = &rest[used..];
                    outcomes[0] += 1;
                }
                Ok(None) => {
                    outcomes[1] += 1;
                    break;
                }
                Err(e) => {
                    assert!([400, 413, 414, 431, 501, 505].contains(&e.status()));
                    outcomes[2] += 1;
                    break;
                }
            }
        }
        let _ = resolve_target(&input);
    }
    // The mutations must reach all three outcomes, or the fuzzing is not fuzzing.
    assert!(outcomes.iter().all(|&n| n > 100), "{outcomes:?}");
}

// ---------------------------------------------------------------------------
// The example binary, over real sockets
// ---------------------------------------------------------------------------

use client::{Server, TempRoot, get};
use std::io::Read;
use std::time::{Duration, Instant};

#[test]
fn get_root_answers_hello_with_its_length() {
    let server = Server::start(&[]);
    let resp = server.connect().request(&get("/"));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello");
    assert_eq!(resp.header("content-length"), Some("5"));
    let head = server
        .connect()
        .request(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("5"))
    );
    let post = server
        .connect()
        .request(b"POST / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(post.status, 405);
}

#[test]
fn keep_alive_and_pipelining_answer_in_order_on_one_connection() {
    let root = TempRoot::new("pipe");
    let server = Server::start(&["--root", root.path()]);
    let mut c = server.connect();
    assert_eq!(c.request(&get("/")).body, b"hello");
    assert_eq!(c.request(&get("/a.txt")).body, b"file a\n"); // same connection
    // Three requests in one write; the answers come back in request order.
    let mut three = get("/a.txt");
    three.extend_from_slice(&get("/sub/b.html"));
    three.extend_from_slice(&get("/"));
    c.send(&three);
    assert_eq!(c.response(false).body, b"file a\n");
    let b = c.response(false);
    assert_eq!(
        (b.body.as_slice(), b.header("content-type")),
        (&b"<p>b</p>\n"[..], Some("text/html; charset=utf-8"))
    );
    assert_eq!(c.response(false).body, b"hello");
    // HTTP/1.0 without keep-alive: answered, then closed.
    let r = c.request(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.is_closed());
}

#[test]
fn traversal_is_refused_and_errors_have_their_codes() {
    let root = TempRoot::new("errors");
    let server = Server::start(&["--root", root.path()]);
    for path in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/sub/..%2f..%2fetc/passwd",
        "/escape",
        "//etc/passwd",
        "/missing",
    ] {
        let status = server.connect().request(&get(path)).status;
        assert!(status == 403 || status == 404, "{path}: {status}");
    }
    let cases: &[(&[u8], u16)] = &[
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400), // no Host
        (
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 999999999\r\n\r\n",
            413,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
            501,
        ),
    ];
    for (raw, want) in cases {
        let mut c = server.connect();
        assert_eq!(
            c.request(raw).status,
            *want,
            "{}",
            String::from_utf8_lossy(raw)
        );
        assert!(c.is_closed(), "the connection closes after a {want}");
    }
    let mut huge = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    huge.resize(20_000, b'x');
    huge.extend_from_slice(b"\r\n\r\n");
    let mut c = server.connect();
    c.send(&huge);
    assert_eq!(c.response(false).status, 431);
}

#[test]
fn an_idle_connection_is_closed_after_idle_secs() {
    let server = Server::start(&["--idle-secs", "1"]);
    let mut c = server.connect();
    assert_eq!(c.request(&get("/")).status, 200);
    let started = Instant::now();
    assert!(
        c.is_closed(),
        "an idle connection must be closed by the server"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    // A request trickling in a byte every 200 ms gets `idle` as a whole,
    // not `idle` per byte (slowloris): a 408 after about `idle`, then close.
    let mut slow = server.connect();
    let started = Instant::now();
    let mut writer = slow.reader.get_ref().try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for b in b"GET / HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 40].iter())
        {
            if std::io::Write::write_all(&mut writer, &[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    assert_eq!(slow.response(false).status, 408);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the 408 came after {:?}",
        started.elapsed()
    );
    trickle.join().unwrap();
}

/// Raises this process's soft fd limit (the server child inherits it).
fn raise_nofile(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        // SAFETY: `lim` is initialized; only the soft limit, up to the hard one.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

#[test]
fn a_thousand_concurrent_connections_on_one_thread() {
    raise_nofile(4096);
    let server = Server::start(&[]);
    // All 1,000 are open at once before any request is sent.
    let mut clients: Vec<_> = (0..1000).map(|_| server.connect()).collect();
    for c in &mut clients {
        c.send(&get("/"));
    }
    for c in &mut clients {
        assert_eq!(c.response(false).body, b"hello");
    }
    // One thread serves them all: /proc/PID/status says so.
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let threads = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    assert_eq!(threads.split_whitespace().nth(1), Some("1"), "{threads}");
}

#[test]
fn sigterm_closes_idle_connections_and_exits_zero() {
    let mut server = Server::start(&[]);
    let mut idle: Vec<_> = (0..20).map(|_| server.connect()).collect();
    for c in &mut idle {
        assert_eq!(c.request(&get("/")).status, 200); // now idle keep-alive
    }
    let started = Instant::now();
    server.signal(libc::SIGTERM);
    let status = server.wait(Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(idle.iter_mut().all(|c| c.is_closed()));
    let summary = server.line(Duration::from_secs(1));
    assert!(
        summary.starts_with("shutdown: 20 requests served on 20 connections"),
        "{summary}"
    );
}

#[test]
fn sigterm_finishes_a_response_in_flight() {
    let root = TempRoot::new("inflight");
    let big: Vec<u8> = (0..16 << 20).map(|i: u32| (i % 251) as u8).collect();
    root.write("big.bin", &big);
    let mut server = Server::start(&["--root", root.path()]);
    let mut c = server.connect();
    c.send(&get("/big.bin"));
    // Read only the first bytes: the rest is stuck in the server's writes.
    let mut first = [0u8; 64];
    c.reader.read_exact(&mut first).unwrap();
    server.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a response in flight"
    );
    // New connections are refused once the listener is closed.
    assert!(std::net::TcpStream::connect(&server.addr).is_err());
    let mut rest = Vec::new();
    c.reader.read_to_end(&mut rest).unwrap(); // the rest, then EOF
    let whole = [&first[..], &rest].concat();
    let body_at = whole.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(whole[body_at..] == big[..], "the whole file arrived");
    assert!(server.wait(Duration::from_secs(5)).success());
}

#[test]
fn a_second_signal_during_the_drain_exits_at_once() {
    let root = TempRoot::new("second");
    root.write("big.bin", &vec![7u8; 16 << 20]);
    let mut server = Server::start(&["--root", root.path(), "--grace-secs", "30"]);
    let mut c = server.connect();
    c.send(&get("/big.bin"));
    let mut first = [0u8; 64];
    c.reader.read_exact(&mut first).unwrap(); // a response stuck in flight
    server.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    assert!(server.child.try_wait().unwrap().is_none(), "draining");
    let started = Instant::now();
    server.signal(libc::SIGINT); // the impatient second Ctrl-C
    let status = server.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
