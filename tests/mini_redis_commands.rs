//! `examples/mini_redis`: command semantics, run directly on the pure
//! `commands`/`db` modules with time as a parameter (no server, no sleeping).

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

use std::time::{Duration, Instant};

use commands::{Cmd, Flow};
use mini_redis_support::encode;
use resp::{Args, parse_command};

// ---- command semantics (time is a parameter) ----

struct Db {
    db: db::Db,
    now: Instant,
}

impl Db {
    fn new() -> Db {
        Db {
            db: db::Db::new(),
            now: Instant::now(),
        }
    }
    /// Runs one command; the reply rendered like the support client's.
    fn run(&mut self, args: &[&str]) -> String {
        let buf = encode(args);
        let mut parsed = Args::default();
        parse_command(&buf, &mut parsed).unwrap().unwrap();
        let mut out = Vec::new();
        let flow = commands::execute(
            &mut self.db,
            Cmd {
                args: &parsed,
                buf: &buf,
            },
            self.now,
            &mut out,
        );
        assert_eq!(flow, Flow::Continue);
        render(&out)
    }
    fn advance(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
    }
}

/// RESP bytes to the compact form (see `mini_redis_support::Reply`).
fn render(out: &[u8]) -> String {
    let mut rest = out;
    let r = mini_redis_support::read_reply(&mut rest).expect("a reply");
    assert!(rest.is_empty(), "exactly one reply");
    r
}

#[test]
fn set_get_nx_xx_get() {
    let mut d = Db::new();
    assert_eq!(d.run(&["GET", "k"]), "$nil");
    assert_eq!(d.run(&["SET", "k", "v1", "XX"]), "$nil");
    assert_eq!(d.run(&["SET", "k", "v1", "NX"]), "+OK");
    assert_eq!(d.run(&["SET", "k", "v2", "NX"]), "$nil");
    assert_eq!(d.run(&["set", "k", "v3", "xx"]), "+OK");
    assert_eq!(d.run(&["SET", "k", "v4", "GET"]), "$v3");
    assert_eq!(d.run(&["GET", "k"]), "$v4");
    assert_eq!(d.run(&["SET", "k", "v", "NX", "XX"]), "-ERR syntax error");
    assert_eq!(d.run(&["SET", "k", "v", "BOGUS"]), "-ERR syntax error");
    assert_eq!(
        d.run(&["SET", "k"]),
        "-ERR wrong number of arguments for 'set' command"
    );
}

#[test]
fn set_ex_px_and_lazy_expiry() {
    let mut d = Db::new();
    assert_eq!(d.run(&["SET", "a", "1", "EX", "10"]), "+OK");
    assert_eq!(d.run(&["SET", "b", "1", "PX", "1500"]), "+OK");
    assert_eq!(d.run(&["TTL", "a"]), ":10");
    assert_eq!(d.run(&["PTTL", "b"]), ":1500");
    d.advance(1499);
    assert_eq!(d.run(&["GET", "b"]), "$1");
    d.advance(1);
    assert_eq!(
        d.run(&["GET", "b"]),
        "$nil",
        "expired exactly at the deadline"
    );
    assert_eq!(d.run(&["EXISTS", "b"]), ":0");
    assert_eq!(
        d.run(&["SET", "c", "1", "EX", "0"]),
        "-ERR invalid expire time in 'set' command"
    );
    assert_eq!(
        d.run(&["SET", "c", "1", "PX", "x"]),
        "-ERR value is not an integer or out of range"
    );
    assert_eq!(d.run(&["SET", "a", "2"]), "+OK");
    assert_eq!(d.run(&["TTL", "a"]), ":-1", "a plain SET clears the TTL");
}

#[test]
fn incr_decr() {
    let mut d = Db::new();
    assert_eq!(d.run(&["INCR", "n"]), ":1");
    assert_eq!(d.run(&["INCRBY", "n", "41"]), ":42");
    assert_eq!(d.run(&["DECR", "n"]), ":41");
    assert_eq!(d.run(&["DECRBY", "n", "-9"]), ":50");
    d.run(&["SET", "s", "abc"]);
    assert_eq!(
        d.run(&["INCR", "s"]),
        "-ERR value is not an integer or out of range"
    );
    d.run(&["SET", "s", " 1"]);
    assert_eq!(
        d.run(&["INCR", "s"]),
        "-ERR value is not an integer or out of range"
    );
    d.run(&["SET", "m", &i64::MAX.to_string()]);
    assert_eq!(
        d.run(&["INCR", "m"]),
        "-ERR increment or decrement would overflow"
    );
    assert_eq!(
        d.run(&["INCRBY", "n", "x"]),
        "-ERR value is not an integer or out of range"
    );
    d.run(&["SET", "t", "5", "EX", "100"]);
    d.run(&["INCR", "t"]);
    assert_eq!(d.run(&["TTL", "t"]), ":100", "INCR keeps the TTL");
}

#[test]
fn expire_ttl_persist() {
    let mut d = Db::new();
    assert_eq!(d.run(&["EXPIRE", "k", "5"]), ":0");
    assert_eq!(d.run(&["TTL", "k"]), ":-2");
    d.run(&["SET", "k", "v"]);
    assert_eq!(d.run(&["TTL", "k"]), ":-1");
    assert_eq!(d.run(&["EXPIRE", "k", "5"]), ":1");
    assert_eq!(d.run(&["TTL", "k"]), ":5");
    assert_eq!(d.run(&["PERSIST", "k"]), ":1");
    assert_eq!(d.run(&["PERSIST", "k"]), ":0");
    assert_eq!(d.run(&["TTL", "k"]), ":-1");
    assert_eq!(d.run(&["EXPIRE", "k", "-1"]), ":1");
    assert_eq!(d.run(&["EXISTS", "k"]), ":0", "a negative TTL deletes");
    assert_eq!(
        d.run(&["EXPIRE", "k", "nope"]),
        "-ERR value is not an integer or out of range"
    );
}

#[test]
fn mget_mset_del_exists_counts() {
    let mut d = Db::new();
    assert_eq!(d.run(&["MSET", "a", "1", "b", "2", "c", "3"]), "+OK");
    assert_eq!(
        d.run(&["MSET", "a", "1", "b"]),
        "-ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(d.run(&["MGET", "a", "x", "c"]), "[$1, $nil, $3]");
    assert_eq!(
        d.run(&["EXISTS", "a", "a", "x"]),
        ":2",
        "duplicates count twice"
    );
    assert_eq!(d.run(&["DEL", "a", "x", "b"]), ":2");
    assert_eq!(d.run(&["DBSIZE"]), ":1");
    d.run(&["MSET", "user:1", "a", "user:2", "b", "other", "c"]);
    let keys = d.run(&["KEYS", "user:*"]);
    assert!(
        keys == "[$user:1, $user:2]" || keys == "[$user:2, $user:1]",
        "{keys}"
    );
    assert_eq!(d.run(&["FLUSHDB"]), "+OK");
    assert_eq!(d.run(&["DBSIZE"]), ":0");
}

#[test]
fn unknown_and_admin_commands() {
    let mut d = Db::new();
    assert_eq!(
        d.run(&["NOPE", "a"]),
        "-ERR unknown command 'NOPE', with args beginning with: 'a' "
    );
    assert_eq!(
        d.run(&["GET"]),
        "-ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(d.run(&["PING"]), "+PONG");
    assert_eq!(d.run(&["ECHO", "hi"]), "$hi");
    assert_eq!(d.run(&["CONFIG", "GET", "save"]), "[$save, $]");
    assert_eq!(
        d.run(&["CONFIG", "GET", "appendonly"]),
        "[$appendonly, $no]"
    );
    assert_eq!(d.run(&["COMMAND", "DOCS"]), "[]");
    assert_eq!(d.run(&["CLIENT", "SETINFO", "lib-name", "x"]), "+OK");
    assert_eq!(d.run(&["SELECT", "0"]), "+OK");
    assert_eq!(d.run(&["SELECT", "1"]), "-ERR DB index is out of range");
    assert!(d.run(&["HELLO", "3"]).starts_with("-NOPROTO"));
    assert!(d.run(&["HELLO"]).starts_with("[$server, $redis, $version"));
}

#[test]
fn active_expiry_collects_unread_keys() {
    let mut d = Db::new();
    for i in 0..1000 {
        d.run(&["SET", &format!("k{i}"), "v", "PX", "10"]);
    }
    for i in 0..100 {
        d.run(&["SET", &format!("p{i}"), "v"]);
    }
    d.advance(11);
    let mut cycles = 0;
    while d.db.volatile_len() > 0 && cycles < 1000 {
        d.db.expire_cycle(d.now, 16);
        cycles += 1;
    }
    assert_eq!(
        d.db.len(),
        100,
        "after {cycles} cycles only the persistent keys remain"
    );
}
