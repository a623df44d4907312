//! `examples/mini_redis` driven by the real `redis-cli` and `redis-benchmark`
//! (Debian package `redis-tools`). Ignored by default; CI installs the tools
//! and runs `cargo test --test mini_redis_clients -- --include-ignored`.
//! Every child process is bounded by a timeout and killed by its PID.

mod mini_redis_support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mini_redis_support::{Server, encode};

/// Runs `cmd` with `stdin` as its input; fails the test after `limit`.
fn run(mut cmd: Command, stdin: &[u8], limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?} (is redis-tools installed?): {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = tx.send(());
        out
    });
    if rx.recv_timeout(limit).is_err() {
        // SAFETY: kill(2) on the PID of our own child, which the waiter thread
        // has not reaped yet (it would have signalled us).
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        panic!("{cmd:?} ran longer than {limit:?}");
    }
    writer.join().unwrap();
    waiter.join().unwrap().unwrap()
}

/// `redis-cli -p PORT args...`, its stdout trimmed.
fn cli(server: &Server, args: &[&str]) -> String {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &server.port()]).args(args);
    let out = run(cmd, b"", Duration::from_secs(20));
    assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[test]
#[ignore = "needs redis-cli (redis-tools)"]
fn redis_cli_round_trips() {
    let server = Server::start();
    assert_eq!(cli(&server, &["PING"]), "PONG");
    assert_eq!(cli(&server, &["SET", "greeting", "hello world"]), "OK");
    assert_eq!(cli(&server, &["GET", "greeting"]), "hello world");
    assert_eq!(cli(&server, &["INCR", "counter"]), "1");
    assert_eq!(cli(&server, &["INCRBY", "counter", "41"]), "42");
    assert_eq!(cli(&server, &["EXPIRE", "counter", "100"]), "1");
    assert_eq!(cli(&server, &["TTL", "counter"]), "100");
    assert_eq!(
        cli(&server, &["SET", "user:1", "a", "PX", "100000", "NX"]),
        "OK"
    );
    let mut keys: Vec<_> = cli(&server, &["KEYS", "*"])
        .lines()
        .map(String::from)
        .collect();
    keys.sort();
    assert_eq!(keys, ["counter", "greeting", "user:1"]);
    assert_eq!(cli(&server, &["DBSIZE"]), "3");
    assert_eq!(cli(&server, &["MGET", "greeting", "nope"]), "hello world"); // nil prints as an empty line
    assert!(cli(&server, &["INCR", "greeting"]).contains("not an integer"));
    assert!(cli(&server, &["INFO"]).contains("redis_version"));
    assert_eq!(cli(&server, &["FLUSHDB"]), "OK");
    assert_eq!(cli(&server, &["DBSIZE"]), "0");
}

#[test]
#[ignore = "needs redis-cli (redis-tools)"]
fn redis_cli_pipe_mode_and_piped_commands() {
    let server = Server::start();
    let mut mass = Vec::new();
    for i in 0..5000 {
        mass.extend(encode(&["SET", &format!("key:{i}"), &i.to_string()]));
    }
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &server.port(), "--pipe"]);
    let out = run(cmd, &mass, Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("errors: 0, replies: 5000"), "{text}");
    assert_eq!(cli(&server, &["DBSIZE"]), "5000");

    // Plain commands, one per line, on redis-cli's standard input.
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-p", &server.port()]);
    let out = run(
        cmd,
        b"SET a 1\nINCR a\nGET key:4999\n",
        Duration::from_secs(20),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK\n2\n4999\n");
}

#[test]
#[ignore = "needs redis-cli (redis-tools)"]
fn redis_cli_subscribe_receives_publish() {
    let server = Server::start();
    let mut sub: Child = Command::new("redis-cli")
        .args(["-p", &server.port(), "SUBSCRIBE", "news"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-cli SUBSCRIBE");
    let stdout = sub.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Publish until the subscriber is counted (redis-cli needs a moment).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut publisher = server.client();
    while publisher.cmd(&["PUBLISH", "news", "warm-up"]) != ":1" {
        assert!(Instant::now() < deadline, "redis-cli never subscribed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        publisher.cmd(&["PUBLISH", "news", "hello from ramen"]),
        ":1"
    );
    let mut seen = Vec::new();
    let found = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("hello from ramen") => break true,
            Ok(line) => seen.push(line),
            Err(_) => break false,
        }
    };
    let _ = sub.kill();
    let _ = sub.wait();
    assert!(
        found,
        "the message never arrived; redis-cli printed {seen:?}"
    );
}

#[test]
#[ignore = "needs redis-benchmark (redis-tools)"]
fn redis_benchmark_smoke() {
    let server = Server::start();
    let mut cmd = Command::new("redis-benchmark");
    cmd.args([
        "-p",
        &server.port(),
        "-c",
        "10",
        "-n",
        "2000",
        "-t",
        "set,get,ping",
        "-q",
    ]);
    let out = run(cmd, b"", Duration::from_secs(120));
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    assert!(out.status.success(), "{out:?}");
    for test in ["PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: "] {
        let line = text
            .lines()
            .rev()
            .find(|l| l.starts_with(test) && l.contains("requests per second"));
        assert!(line.is_some(), "no {test} result in:\n{text}");
    }
    assert_eq!(
        cli(&server, &["DBSIZE"]),
        "1",
        "redis-benchmark SETs one key"
    );
}

/// The whole default `redis-benchmark` run (no `-t`): every test it sends,
/// lists, sets, hashes and sorted sets included, completes without an error.
#[test]
#[ignore = "needs redis-benchmark (CI installs redis-tools)"]
fn redis_benchmark_default_run_completes() {
    let server = Server::start();
    let mut cmd = Command::new("redis-benchmark");
    cmd.args(["-p", &server.port(), "-q", "-n", "20000"]);
    let out = run(cmd, b"", Duration::from_secs(600));
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{out:?}");
    assert!(
        !text.contains("ERR") && !errors.contains("ERR"),
        "{text}\n{errors}"
    );
    for test in [
        "PING_INLINE",
        "PING_MBULK",
        "SET",
        "GET",
        "INCR",
        "LPUSH",
        "RPUSH",
        "LPOP",
        "RPOP",
        "SADD",
        "HSET",
        "SPOP",
        "ZADD",
        "ZPOPMIN",
        "LRANGE_100 (first 100 elements)",
        "LRANGE_600 (first 600 elements)",
        "MSET (10 keys)",
    ] {
        let done = text
            .lines()
            .any(|l| l.starts_with(&format!("{test}: ")) && l.contains("requests per second"));
        assert!(done, "no {test} result in:\n{text}");
    }
    assert_eq!(
        cli(&server, &["TYPE", "myzset"]),
        "none",
        "ZPOPMIN emptied it"
    );
    assert_eq!(cli(&server, &["TYPE", "mylist"]), "list");
}
