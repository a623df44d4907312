//! `examples/mini_redis`: its pure parts (RESP parser, glob matcher, command
//! semantics, more in `mini_redis_commands.rs`) included and tested directly,
//! a fuzz-style test, and the
//! binary itself driven over `std::net` (start it with `cargo test`, which
//! builds the examples).

#![allow(dead_code)]

#[path = "../examples/mini_redis/admin.rs"]
mod admin;
#[path = "../examples/mini_redis/commands.rs"]
mod commands;
#[path = "../examples/mini_redis/db.rs"]
mod db;
#[path = "../examples/mini_redis/glob.rs"]
mod glob;
#[path = "../examples/mini_redis/hashes.rs"]
mod hashes;
#[path = "../examples/mini_redis/keys.rs"]
mod keys;
#[path = "../examples/mini_redis/lists.rs"]
mod lists;
mod mini_redis_support;
#[path = "../examples/mini_redis/pubsub.rs"]
mod pubsub;
#[path = "../examples/mini_redis/resp.rs"]
mod resp;
#[path = "../examples/mini_redis/sets.rs"]
mod sets;
#[path = "../examples/mini_redis/zset.rs"]
mod zset;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use commands::Cmd;
use mini_redis_support::{Server, encode};
use resp::{Args, ProtocolError, parse_command};

// ---- a counting allocator: "rejected before allocating" is measured ----

struct Counting;
thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}
// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + l.size()));
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `System.alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes this thread allocates while running `f`.
fn allocated_by(f: impl FnOnce()) -> usize {
    let before = ALLOCATED.with(Cell::get);
    f();
    ALLOCATED.with(Cell::get) - before
}

// ---- parser ----

fn parse(buf: &[u8]) -> Result<Option<(Vec<String>, usize)>, ProtocolError> {
    let mut args = Args::default();
    Ok(parse_command(buf, &mut args)?.map(|n| {
        let v = (0..args.len())
            .map(|i| String::from_utf8_lossy(args.get(buf, i)).into_owned())
            .collect();
        (v, n)
    }))
}

fn err(buf: &[u8]) -> String {
    parse(buf).expect_err("should be a protocol error").0
}

#[test]
fn parses_an_array_of_bulk_strings() {
    let buf = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
    assert_eq!(
        parse(buf).unwrap(),
        Some((vec!["SET".into(), "k".into(), "".into()], buf.len()))
    );
}

#[test]
fn every_truncation_is_incomplete_not_an_error() {
    let buf = b"*2\r\n$4\r\nECHO\r\n$12\r\nhello\r\nworld\r\n";
    for cut in 0..buf.len() {
        assert_eq!(parse(&buf[..cut]), Ok(None), "prefix of {cut} bytes");
    }
    let (args, used) = parse(buf).unwrap().unwrap();
    assert_eq!((args[1].as_str(), used), ("hello\r\nworld", buf.len()));
}

#[test]
fn pipelined_frames_parse_one_after_another() {
    let mut buf = encode(&["SET", "a", "1"]);
    buf.extend(encode(&["GET", "a"]));
    buf.extend(b"PING\r\n*1\r\n$4\r\nPI");
    let mut pos = 0;
    let mut seen = Vec::new();
    while let Some((args, used)) = parse(&buf[pos..]).unwrap() {
        seen.push(args.join(" "));
        pos += used;
    }
    assert_eq!(seen, ["SET a 1", "GET a", "PING"]);
    assert_eq!(
        &buf[pos..],
        b"*1\r\n$4\r\nPI",
        "the incomplete tail is left for later"
    );
}

#[test]
fn inline_commands() {
    assert_eq!(parse(b"PING\r\n").unwrap(), Some((vec!["PING".into()], 6)));
    assert_eq!(parse(b"set  k\tv\n").unwrap().unwrap().0, ["set", "k", "v"]);
    assert_eq!(
        parse(b"\r\n").unwrap(),
        Some((vec![], 2)),
        "empty line: skipped"
    );
    assert_eq!(parse(b"GET k").unwrap(), None, "no newline yet");
    assert_eq!(
        err(&vec![b'a'; resp::MAX_INLINE + 1]),
        "too big inline request"
    );
}

#[test]
fn malformed_input_is_a_protocol_error() {
    assert_eq!(err(b"*x\r\n"), "invalid multibulk length");
    assert_eq!(err(b"*1\r\n:1\r\n"), "expected '$', got ':'");
    assert_eq!(err(b"*1\r\n$-1\r\n"), "invalid bulk length");
    assert_eq!(err(b"*1\r\n$abc\r\n"), "invalid bulk length");
    assert_eq!(
        err(b"*1\r\n$3\r\nabcXY"),
        "bulk string not followed by CRLF"
    );
    assert_eq!(err(b"*1\r\n$+3\r\nabc\r\n"), "invalid bulk length");
    assert_eq!(
        err(&[b"*".as_slice(), &[b'1'; 40]].concat()),
        "too big mbulk count string"
    );
    assert_eq!(
        err(&[b"*1\r\n$".as_slice(), &[b'1'; 40]].concat()),
        "too big bulk count string"
    );
    // `*0` and `*-1` are no-ops, as in redis.
    assert_eq!(parse(b"*0\r\n").unwrap(), Some((vec![], 4)));
    assert_eq!(parse(b"*-1\r\n").unwrap(), Some((vec![], 5)));
}

#[test]
fn huge_declared_lengths_are_rejected_without_allocating() {
    let mut args = Args::default();
    let _ = parse_command(b"*1\r\n$1\r\na\r\n", &mut args); // warm the Vec
    let too_many = format!("*{}\r\n", resp::MAX_ARRAY + 1);
    let too_long = format!("*1\r\n${}\r\n", resp::MAX_BULK + 1);
    let overflow = b"*1\r\n$99999999999999999999\r\n".to_vec();
    for bad in [
        too_many.as_bytes(),
        too_long.as_bytes(),
        &overflow,
        b"*9223372036854775807\r\n",
    ] {
        let bytes = allocated_by(|| assert!(parse_command(bad, &mut args).is_err()));
        assert!(
            bytes < 256,
            "{bytes} bytes allocated to reject {:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // The largest legal declarations are accepted as "incomplete", still
    // without reserving anything for them.
    let max_array = format!("*{}\r\n$1\r\na\r\n", resp::MAX_ARRAY);
    let max_bulk = format!("*1\r\n${}\r\nabc", resp::MAX_BULK);
    for ok in [max_array, max_bulk] {
        let bytes = allocated_by(|| assert_eq!(parse_command(ok.as_bytes(), &mut args), Ok(None)));
        assert!(
            bytes < 4096,
            "{bytes} bytes allocated for an incomplete frame"
        );
    }
}

// ---- glob ----

#[test]
fn glob_matcher() {
    let cases: &[(&str, &str, bool)] = &[
        ("*", "", true),
        ("*", "anything", true),
        ("h?llo", "hello", true),
        ("h?llo", "hllo", false),
        ("h*llo", "heeeello", true),
        ("h*llo", "hello!", false),
        ("h[ae]llo", "hallo", true),
        ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true),
        ("h[^e]llo", "hello", false),
        ("h[a-c]llo", "hbllo", true),
        ("h[a-c]llo", "hdllo", false),
        ("h\\*llo", "h*llo", true),
        ("h\\*llo", "hello", false),
        ("[\\]]", "]", true),
        ("user:*:name", "user:42:name", true),
        ("*a*a*a*a*a*b", &"a".repeat(60), false),
        ("a*", "", false),
        ("[abc", "[abc", true),
        ("trailing\\", "trailing\\", true),
        ("", "", true),
        ("", "a", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "axxbyyca", false),
        ("*b", "ab", true),
        ("a*", "a", true),
        ("**", "x", true),
        ("?*", "", false),
        ("*?", "x", true),
        ("*ab*ab*", "abab", true),
        ("*ab*ab*", "aba", false),
        ("*aa", "aaa", true),
        ("ab*ba", "aba", false),
    ];
    for &(p, t, want) in cases {
        assert_eq!(
            glob::matches(p.as_bytes(), t.as_bytes()),
            want,
            "{p:?} vs {t:?}"
        );
    }
}

/// A slow, obviously right matcher (recursion over `*`), to check the fast one.
fn reference_glob(p: &[u8], t: &[u8]) -> bool {
    match (p.first(), t.first()) {
        (None, _) => t.is_empty(),
        (Some(b'*'), _) => {
            reference_glob(&p[1..], t) || (!t.is_empty() && reference_glob(p, &t[1..]))
        }
        (Some(b'?'), Some(_)) => reference_glob(&p[1..], &t[1..]),
        (Some(&c), Some(&d)) if c == d => reference_glob(&p[1..], &t[1..]),
        _ => false,
    }
}

#[test]
fn glob_agrees_with_a_reference_matcher_and_is_not_quadratic_in_practice() {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..20_000 {
        let p: Vec<u8> = (0..next() % 8)
            .map(|_| b"ab*?"[next() as usize % 4])
            .collect();
        let t: Vec<u8> = (0..next() % 10)
            .map(|_| b"ab"[next() as usize % 2])
            .collect();
        assert_eq!(
            glob::matches(&p, &t),
            reference_glob(&p, &t),
            "{:?} vs {:?}",
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&t)
        );
    }
    // The shape that froze the old matcher (every star retried at every
    // position), at a size a debug build does in well under a second with
    // the segment search: 200 KB of `a` against `*a…a*b` segments.
    let text = vec![b'a'; 200_000];
    let mut pattern = b"*".to_vec();
    for _ in 0..50 {
        pattern.extend_from_slice(&[b'a'; 40]);
        pattern.push(b'*');
    }
    pattern.push(b'b');
    assert!(!glob::matches(&pattern, &text));
    pattern.pop();
    assert!(glob::matches(&pattern, &text));
}

// ---- fuzz: random and mutated input never panics ----

#[test]
fn fuzz_random_and_mutated_input_never_panics() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let seeds: Vec<Vec<u8>> = [
        &["SET", "k", "v", "EX", "10"][..],
        &["GET", "k"],
        &["INCRBY", "n", "5"],
        &["MSET", "a", "1", "b", "2"],
        &["KEYS", "[a-z]*"],
        &["EXPIRE", "k", "3"],
        &["SET", "k", "v", "PX", "1", "NX", "GET"],
        &["CONFIG", "GET", "*"],
    ]
    .iter()
    .map(|a| encode(a))
    .chain([b"PING\r\nECHO x\r\n".to_vec()])
    .collect();
    let alphabet = b"*$:+-\r\n0123456789-abcXYZ []^\\?";
    let mut db = db::Db::new();
    let mut now = Instant::now();
    let mut args = Args::default();
    for round in 0..20_000 {
        let mut buf = seeds[next() as usize % seeds.len()].clone();
        if round % 4 == 0 {
            buf = (0..next() % 64)
                .map(|_| alphabet[next() as usize % alphabet.len()])
                .collect();
        }
        for _ in 0..next() % 6 {
            let i = next() as usize % (buf.len() + 1);
            match next() % 3 {
                0 if i < buf.len() => buf[i] = alphabet[next() as usize % alphabet.len()],
                1 if i < buf.len() => {
                    buf.remove(i);
                }
                _ => buf.insert(i, next() as u8),
            }
        }
        let mut pos = 0;
        while let Ok(Some(used)) = parse_command(&buf[pos..], &mut args) {
            let mut out = Vec::new();
            if !args.is_empty() {
                commands::execute(
                    &mut db,
                    Cmd {
                        args: &args,
                        buf: &buf[pos..],
                    },
                    now,
                    &mut out,
                );
            }
            // Whatever came in, what goes out is well-formed RESP.
            let mut replies = &out[..];
            while !replies.is_empty() {
                mini_redis_support::read_reply(&mut replies).expect("a whole reply");
            }
            assert!(used > 0, "progress");
            pos += used;
        }
        now += Duration::from_millis(next() % 3);
    }
}

// ---- the binary, over std::net ----

#[test]
fn server_answers_pipelined_requests_in_order() {
    let server = Server::start();
    let mut c = server.client();
    let mut batch = Vec::new();
    for i in 0..200 {
        batch.extend(encode(&["SET", &format!("k{i}"), &i.to_string()]));
        batch.extend(encode(&["INCR", &format!("k{i}")]));
    }
    batch.extend(b"PING\r\n"); // an inline command in the same pipeline
    c.w.write_all(&batch).unwrap();
    for i in 0..200 {
        assert_eq!(c.reply(), "+OK");
        assert_eq!(c.reply(), format!(":{}", i + 1));
    }
    assert_eq!(c.reply(), "+PONG");
    assert_eq!(c.cmd(&["DBSIZE"]), ":200");
}

#[test]
fn server_closes_only_the_malformed_connection() {
    let server = Server::start();
    let mut good = server.client();
    assert_eq!(good.cmd(&["SET", "k", "v"]), "+OK");
    for bad in [
        &b"*1\r\n$x\r\n"[..],
        b"*2\r\n:1\r\n",
        b"*99999999\r\n",
        b"*1\r\n$99999999999\r\n",
    ] {
        let mut c = server.client();
        c.w.write_all(bad).unwrap();
        let reply = c.reply();
        assert!(reply.starts_with("-ERR Protocol error: "), "{reply}");
        assert_eq!(c.try_reply(), None, "then the connection is closed");
        assert_eq!(good.cmd(&["GET", "k"]), "$v", "the other client carries on");
    }
    let mut c = server.client();
    assert!(c.cmd(&["NOPE"]).starts_with("-ERR unknown command"));
    assert_eq!(
        c.cmd(&["PING"]),
        "+PONG",
        "an unknown command keeps the connection"
    );
}

#[test]
fn server_publish_reaches_50_subscribers() {
    let server = Server::start();
    let mut subs: Vec<_> = (0..50).map(|_| server.client()).collect();
    for s in &mut subs {
        assert_eq!(s.cmd(&["SUBSCRIBE", "news"]), "[$subscribe, $news, :1]");
    }
    let mut publisher = server.client();
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "hello"]), ":50");
    assert_eq!(publisher.cmd(&["PUBLISH", "other", "x"]), ":0");
    for s in &mut subs {
        assert_eq!(s.reply(), "[$message, $news, $hello]");
    }
    let s = &mut subs[0];
    assert!(s.cmd(&["GET", "k"]).starts_with("-ERR Can't execute 'get'"));
    assert_eq!(s.cmd(&["UNSUBSCRIBE"]), "[$unsubscribe, $news, :0]");
    assert_eq!(s.cmd(&["GET", "k"]), "$nil", "out of pub/sub mode");
    assert_eq!(publisher.cmd(&["PUBLISH", "news", "again"]), ":49");
}

#[test]
fn server_disconnects_a_subscriber_that_does_not_read() {
    let server = Server::start();
    let mut slow = server.client();
    assert_eq!(
        slow.cmd(&["SUBSCRIBE", "firehose"]),
        "[$subscribe, $firehose, :1]"
    );
    let mut publisher = server.client();
    let payload = "x".repeat(16 << 10);
    // Kernel socket buffers (a few MiB) fill, then the 1024-message queue:
    // the publisher is never blocked and sees the receiver count drop to 0.
    let mut dropped_after = None;
    for i in 0..20_000 {
        if publisher.cmd(&["PUBLISH", "firehose", &payload]) == ":0" {
            dropped_after = Some(i);
            break;
        }
    }
    assert!(
        dropped_after.is_some(),
        "the slow subscriber was never dropped"
    );
    // It receives what was queued, then end of stream.
    slow.w
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut sink = Vec::new();
    slow.r
        .read_to_end(&mut sink)
        .expect("the slow subscriber's connection ends");
    assert_eq!(publisher.cmd(&["PING"]), "+PONG");
}

#[test]
fn server_exits_0_on_sigterm() {
    let mut server = Server::start();
    let mut c = server.client();
    assert_eq!(c.cmd(&["PING"]), "+PONG");
    let pid = server.child.id() as libc::pid_t;
    // SAFETY: kill(2) on the PID of a child this test started and has not
    // reaped yet, so the PID cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "mini_redis did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0), "{status:?}");
}
