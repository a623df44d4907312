//! `examples/mini_redis` against redis 7's documented answers: the exact
//! reply for each input, on the pure modules (time as a parameter) and on
//! the wire against the built example binary.

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
#[path = "../examples/mini_redis/info.rs"]
mod info;
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

use std::io::Write;
use std::time::Instant;

use commands::Cmd;
use mini_redis_support::{Server, encode, read_reply};
use resp::{Args, ProtocolError, parse_command};

/// Runs `args` on `db`; the reply rendered like the support client's.
fn run(db: &mut db::Db, args: &[&str]) -> String {
    let buf = encode(args);
    let mut parsed = Args::default();
    parse_command(&buf, &mut parsed).unwrap().unwrap();
    let mut out = Vec::new();
    let cmd = Cmd {
        args: &parsed,
        buf: &buf,
    };
    commands::execute(db, cmd, Instant::now(), &mut out);
    read_reply(&mut &out[..]).expect("a reply")
}

#[test]
fn expire_times_that_overflow_are_errors_as_in_redis() {
    let mut db = db::Db::new();
    let set_err = "-ERR invalid expire time in 'set' command";
    assert_eq!(
        run(&mut db, &["SET", "k", "v", "EX", "10000000000000000"]),
        set_err
    );
    assert_eq!(
        run(&mut db, &["SET", "k", "v", "PX", "9223372036854775807"]),
        set_err
    );
    assert_eq!(run(&mut db, &["SET", "k", "v", "EX", "0"]), set_err);
    assert_eq!(
        run(&mut db, &["GET", "k"]),
        "$nil",
        "a refused SET stores nothing"
    );
    assert_eq!(run(&mut db, &["SET", "k", "v"]), "+OK");
    let expire_err = "-ERR invalid expire time in 'expire' command";
    assert_eq!(
        run(&mut db, &["EXPIRE", "k", "9223370399119966"]),
        expire_err
    );
    assert_eq!(
        run(&mut db, &["EXPIRE", "k", "-9223372036854776"]),
        expire_err
    );
    assert_eq!(
        run(&mut db, &["PEXPIRE", "k", "9223372036854770000"]),
        "-ERR invalid expire time in 'pexpire' command"
    );
    assert_eq!(
        run(&mut db, &["GET", "k"]),
        "$v",
        "refused EXPIREs leave the key alone"
    );
    assert_eq!(run(&mut db, &["TTL", "k"]), ":-1");
    // A large but valid TTL reads back positive (no `as i64` wrap).
    assert_eq!(run(&mut db, &["EXPIRE", "k", "100000000000"]), ":1");
    let ttl: i64 = run(&mut db, &["TTL", "k"])[1..].parse().unwrap();
    assert!((99_999_999_000..=100_000_000_000).contains(&ttl), "{ttl}");
    let pttl: i64 = run(&mut db, &["PTTL", "k"])[1..].parse().unwrap();
    assert!(pttl > 0, "{pttl}");
    // A negative (but representable) time deletes, as in redis.
    assert_eq!(run(&mut db, &["EXPIRE", "k", "-1"]), ":1");
    assert_eq!(run(&mut db, &["EXISTS", "k"]), ":0");
}

#[test]
fn set_options_repeat_as_redis_allows() {
    let mut db = db::Db::new();
    assert_eq!(
        run(&mut db, &["SET", "k", "v", "EX", "10", "EX", "20"]),
        "+OK"
    );
    let ttl: i64 = run(&mut db, &["TTL", "k"])[1..].parse().unwrap();
    assert!((19..=20).contains(&ttl), "the last EX wins: {ttl}");
    assert_eq!(run(&mut db, &["SET", "k", "v", "NX", "NX"]), "$nil");
    assert_eq!(
        run(&mut db, &["SET", "k", "v", "EX", "10", "PX", "10"]),
        "-ERR syntax error"
    );
    assert_eq!(
        run(&mut db, &["SET", "k", "v", "NX", "XX"]),
        "-ERR syntax error"
    );
}

#[test]
fn decrby_of_the_smallest_integer_has_redis_text() {
    let mut db = db::Db::new();
    assert_eq!(
        run(&mut db, &["DECRBY", "n", "-9223372036854775808"]),
        "-ERR decrement would overflow"
    );
    assert_eq!(run(&mut db, &["DECRBY", "n", "-5"]), ":5");
    assert_eq!(
        run(&mut db, &["INCRBY", "n", "9223372036854775807"]),
        "-ERR increment or decrement would overflow"
    );
}

fn inline(line: &str) -> Result<Vec<Vec<u8>>, ProtocolError> {
    let mut args = Args::default();
    let buf = format!("{line}\r\n").into_bytes();
    parse_command(&buf, &mut args)?.expect("complete");
    Ok((0..args.len())
        .map(|i| args.get(&buf, i).to_vec())
        .collect())
}

#[test]
fn inline_commands_are_split_with_redis_quoting() {
    let words = |v: Vec<Vec<u8>>| -> Vec<String> {
        v.into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect()
    };
    assert_eq!(words(inline("set k v").unwrap()), ["set", "k", "v"]);
    assert_eq!(
        words(inline("set \"a b\" 'c d'").unwrap()),
        ["set", "a b", "c d"]
    );
    assert_eq!(
        words(inline(r#"set k "x\ny\x41\"""#).unwrap()),
        ["set", "k", "x\nyA\""]
    );
    assert_eq!(
        words(inline(r"set k 'it\'s'").unwrap()),
        ["set", "k", "it's"]
    );
    assert_eq!(words(inline("set k\"a b\"").unwrap()), ["set", "ka b"]);
    assert_eq!(words(inline("set \"\" v").unwrap()), ["set", "", "v"]);
    let unbalanced = ProtocolError("unbalanced quotes in request".into());
    for bad in [
        r#"set """k""" v"#,
        r#"set "k v"#,
        "set 'k v",
        r#"set "k"x v"#,
    ] {
        assert_eq!(inline(bad), Err(unbalanced.clone()), "{bad}");
    }
}

#[test]
fn multibulk_counts_are_read_as_redis_reads_them() {
    let mut args = Args::default();
    let invalid = ProtocolError("invalid multibulk length".into());
    for bad in ["*-0\r\n", "*01\r\n$1\r\na\r\n", "*+1\r\n", "* 1\r\n"] {
        assert_eq!(
            parse_command(bad.as_bytes(), &mut args),
            Err(invalid.clone()),
            "{bad:?}"
        );
    }
    let bulk = ProtocolError("invalid bulk length".into());
    assert_eq!(
        parse_command(b"*1\r\n$01\r\na\r\n", &mut args),
        Err(bulk.clone())
    );
    assert_eq!(parse_command(b"*1\r\n$-0\r\n", &mut args), Err(bulk));
    assert_eq!(parse_command(b"*0\r\n", &mut args), Ok(Some(4)));
    assert_eq!(parse_command(b"*-1\r\n", &mut args), Ok(Some(5)));
}

#[test]
fn info_sections_are_chosen_as_redis_chooses_them() {
    let all = info::wanted(&[b"all"]);
    assert!(all.contains(&"commandstats") && all.contains(&"keyspace"));
    let default = info::wanted(&[]);
    assert!(!default.contains(&"commandstats") && default.contains(&"server"));
    assert_eq!(
        info::wanted(&[b"Keyspace", b"CLIENTS"]),
        ["clients", "keyspace"]
    );
    assert!(info::wanted(&[b"nonsense"]).is_empty());
    let mut stats = info::Stats::new(6380);
    stats.count(b"SET", std::time::Duration::from_micros(3));
    stats.count(b"set", std::time::Duration::from_micros(5));
    let mut db = db::Db::new();
    run(&mut db, &["SET", "k", "v"]);
    let text = info::render(
        &info::wanted(&[b"commandstats", b"keyspace"]),
        &stats,
        &db,
        0,
    );
    assert_eq!(
        text,
        "# Commandstats\r\ncmdstat_set:calls=2,usec=8,usec_per_call=4.00\r\n\r\n\
         # Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
    );
}

// ---- on the wire ----

#[test]
fn reset_leaves_subscriber_mode_and_keeps_the_connection() {
    let server = Server::start();
    let mut c = server.client();
    assert_eq!(c.cmd(&["SUBSCRIBE", "news"]), "[$subscribe, $news, :1]");
    assert_eq!(c.cmd(&["RESET"]), "+RESET");
    assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK", "no longer a subscriber");
    let mut other = server.client();
    assert_eq!(
        other.cmd(&["PUBLISH", "news", "hi"]),
        ":0",
        "the subscription is gone"
    );
    assert_eq!(c.cmd(&["RESET"]), "+RESET");
}

#[test]
fn info_with_a_section_gives_that_section_only() {
    let server = Server::start();
    let mut c = server.client();
    c.cmd(&["SET", "a", "1"]);
    let clients = c.cmd(&["INFO", "clients"]);
    assert!(
        clients.starts_with("$# Clients\r\nconnected_clients:1\r\n"),
        "{clients:?}"
    );
    assert!(!clients.contains("# Server"));
    let stats = c.cmd(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_set:calls=1,"), "{stats:?}");
    let default = c.cmd(&["INFO"]);
    assert!(
        default.contains("# Server") && default.contains("db0:keys=1"),
        "{default:?}"
    );
}

#[test]
fn an_unbalanced_inline_command_is_a_protocol_error_on_the_wire() {
    let server = Server::start();
    let mut c = server.client();
    c.w.write_all(b"set \"\"\"k\"\"\" v\r\n").unwrap();
    assert_eq!(
        c.reply(),
        "-ERR Protocol error: unbalanced quotes in request"
    );
    assert_eq!(
        c.try_reply(),
        None,
        "and the connection is closed, as in redis"
    );
    let mut c = server.client();
    c.w.write_all(b"set \"a b\" 'c'\r\nget \"a b\"\r\n")
        .unwrap();
    assert_eq!(c.reply(), "+OK");
    assert_eq!(c.reply(), "$c");
}

// ---- data types ----

#[test]
fn lists_push_pop_range_as_redis() {
    let mut db = db::Db::new();
    assert_eq!(run(&mut db, &["RPUSH", "l", "a", "b", "c"]), ":3");
    assert_eq!(run(&mut db, &["LPUSH", "l", "x", "y"]), ":5"); // y x a b c
    assert_eq!(
        run(&mut db, &["LRANGE", "l", "0", "-1"]),
        "[$y, $x, $a, $b, $c]"
    );
    assert_eq!(run(&mut db, &["LRANGE", "l", "-2", "100"]), "[$b, $c]");
    assert_eq!(run(&mut db, &["LRANGE", "l", "3", "1"]), "[]");
    assert_eq!(run(&mut db, &["LPOP", "l"]), "$y");
    assert_eq!(run(&mut db, &["RPOP", "l", "2"]), "[$c, $b]");
    assert_eq!(run(&mut db, &["LLEN", "l"]), ":2");
    assert_eq!(run(&mut db, &["LPOP", "l", "5"]), "[$x, $a]");
    assert_eq!(
        run(&mut db, &["EXISTS", "l"]),
        ":0",
        "an emptied list is deleted"
    );
    assert_eq!(run(&mut db, &["LPOP", "l"]), "$nil");
    assert_eq!(run(&mut db, &["TYPE", "l"]), "+none");
}

#[test]
fn sets_hashes_and_sorted_sets_as_redis() {
    let mut db = db::Db::new();
    assert_eq!(run(&mut db, &["SADD", "s", "a", "b", "a"]), ":2");
    assert_eq!(run(&mut db, &["SCARD", "s"]), ":2");
    assert_eq!(run(&mut db, &["SISMEMBER", "s", "b"]), ":1");
    let popped = run(&mut db, &["SPOP", "s"]);
    assert!(popped == "$a" || popped == "$b", "{popped}");
    assert_eq!(run(&mut db, &["SCARD", "s"]), ":1");
    assert_eq!(run(&mut db, &["HSET", "h", "f1", "v1", "f2", "v2"]), ":2");
    assert_eq!(run(&mut db, &["HSET", "h", "f1", "v9"]), ":0");
    assert_eq!(run(&mut db, &["HGET", "h", "f1"]), "$v9");
    assert_eq!(run(&mut db, &["HDEL", "h", "f1", "nope"]), ":1");
    assert_eq!(run(&mut db, &["HGETALL", "h"]), "[$f2, $v2]");
    assert_eq!(
        run(&mut db, &["ZADD", "z", "2", "b", "1", "a", "3", "c"]),
        ":3"
    );
    assert_eq!(run(&mut db, &["ZADD", "z", "CH", "0.5", "c"]), ":1");
    assert_eq!(run(&mut db, &["ZRANGE", "z", "0", "-1"]), "[$c, $a, $b]");
    assert_eq!(
        run(&mut db, &["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        "[$c, $0.5, $a, $1]"
    );
    assert_eq!(run(&mut db, &["ZSCORE", "z", "b"]), "$2");
    assert_eq!(run(&mut db, &["ZPOPMIN", "z"]), "[$c, $0.5]");
    assert_eq!(run(&mut db, &["ZCARD", "z"]), ":2");
    assert_eq!(
        run(&mut db, &["ZADD", "z", "nan", "x"]),
        "-ERR value is not a valid float"
    );
    assert_eq!(run(&mut db, &["TYPE", "z"]), "+zset");
}

#[test]
fn a_command_on_the_wrong_kind_of_value_is_wrongtype() {
    let mut db = db::Db::new();
    let wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value";
    run(&mut db, &["SET", "str", "v"]);
    run(&mut db, &["LPUSH", "list", "a"]);
    for cmd in [
        &["LPUSH", "str", "x"][..],
        &["SADD", "str", "x"],
        &["HSET", "str", "f", "v"],
        &["ZADD", "str", "1", "m"],
        &["LRANGE", "str", "0", "-1"],
        &["GET", "list"],
        &["INCR", "list"],
        &["SET", "list", "v", "GET"],
        &["SCARD", "list"],
    ] {
        assert_eq!(run(&mut db, cmd), wrong, "{cmd:?}");
    }
    assert_eq!(run(&mut db, &["MGET", "str", "list"]), "[$v, $nil]");
    assert_eq!(run(&mut db, &["SET", "list", "now a string"]), "+OK");
    assert_eq!(run(&mut db, &["TYPE", "list"]), "+string");
}

#[test]
fn every_claimed_command_is_implemented() {
    let mut db = db::Db::new();
    for name in admin::CLAIMED {
        let reply = run(&mut db, &[name, "k", "1", "m"]);
        assert!(
            !reply.starts_with("-ERR unknown command"),
            "{name} is claimed but answers {reply}"
        );
    }
    let server = Server::start();
    for name in admin::CLAIMED_BY_CONNECTION {
        let reply = server.client().cmd(&[name, "ch", "x"]);
        assert!(
            !reply.starts_with("-ERR unknown command"),
            "{name} is claimed but answers {reply}"
        );
    }
}

// ---- faults found by hostile clients ----

#[test]
fn one_reply_is_capped_before_it_is_built() {
    let mut db = db::Db::new();
    let big = "x".repeat(64 * 1024);
    assert_eq!(run(&mut db, &["SET", "k", &big]), "+OK");
    let mut mget = vec!["MGET"];
    mget.extend(std::iter::repeat_n("k", 16_000)); // ~1 GB of reply
    let reply = run(&mut db, &mget);
    assert!(
        reply.starts_with("-ERR reply too large ("),
        "{}",
        &reply[..80.min(reply.len())]
    );
    let mut small = vec!["MGET"];
    small.extend(std::iter::repeat_n("k", 100)); // 6.4 MB: fine
    assert!(run(&mut db, &small).starts_with("[$xxx"));
}

#[test]
fn a_huge_command_is_parsed_once_not_once_per_read() {
    let words: Vec<String> = (0..100_000).map(|i| format!("v{i}")).collect();
    let mut cmd = vec!["RPUSH", "k"];
    cmd.extend(words.iter().map(String::as_str));
    let whole = encode(&cmd);
    let mut args = Args::default();
    let mut last = 0;
    let mut fed = 0;
    let used = loop {
        fed = (fed + 16 * 1024).min(whole.len());
        match parse_command(&whole[..fed], &mut args).unwrap() {
            Some(used) => break used,
            None => {
                // The parser kept its place: it resumes after what it had.
                let at = args.resume_position().expect("an array in progress");
                assert!(at > last, "no progress after {fed} bytes: {at} <= {last}");
                assert!(fed - at < 64, "resumes at {at}, far behind {fed}");
                last = at;
            }
        }
    };
    assert_eq!(used, whole.len());
    assert_eq!(args.len(), 100_002);
    assert_eq!(args.get(&whole, 99_999 + 2), b"v99999");
}

#[test]
fn a_client_that_does_not_read_is_disconnected_by_the_write_timeout() {
    let server = Server::start_with(&["--write-timeout-secs", "1"]);
    let mut c = server.client();
    let big = "x".repeat(256 * 1024);
    assert_eq!(c.cmd(&["SET", "big", &big]), "+OK");
    // Pipeline GETs without reading: replies pile up until the socket buffers
    // are full, then the server's write waits, then times out.
    let many: Vec<u8> = (0..200).flat_map(|_| encode(&["GET", "big"])).collect();
    c.w.write_all(&many).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    c.r.get_ref()
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut sink = vec![0u8; 1 << 20];
    let closed = loop {
        match std::io::Read::read(&mut c.r, &mut sink) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false, // still open after 5 s of silence
        }
    };
    assert!(closed, "the server kept a connection that never reads");
}

#[test]
fn a_kicked_subscriber_is_told_not_silently_resubscribed() {
    let server = Server::start();
    let mut sub = server.client();
    assert_eq!(sub.cmd(&["SUBSCRIBE", "a", "b"]), "[$subscribe, $a, :1]");
    assert_eq!(sub.reply(), "[$subscribe, $b, :2]");
    // Fill its queue (1024 messages) while it does not read: it is kicked.
    let payload = "p".repeat(64 * 1024);
    let mut publisher = server.client();
    let mut kicked = false;
    for _ in 0..3000 {
        if publisher.cmd(&["PUBLISH", "a", &payload]) == ":0" {
            kicked = true;
            break;
        }
    }
    assert!(kicked, "the slow subscriber was never dropped");
    sub.w.write_all(&encode(&["SUBSCRIBE", "c"])).unwrap();
    let mut last = String::new();
    while let Some(reply) = sub.try_reply() {
        assert!(
            !reply.starts_with("[$subscribe, $c"),
            "silently resubscribed"
        );
        last = reply;
    }
    assert!(
        last.starts_with("-ERR this subscriber fell too far behind"),
        "{last}"
    );
}

#[test]
fn a_protocol_error_reply_reaches_a_client_that_is_still_sending() {
    let server = Server::start();
    let mut c = server.client();
    c.w.write_all(b"*1\r\n$x\r\n").unwrap(); // invalid bulk length: closes
    // The client goes on sending, as a pipelining client would; a server that
    // closes without draining makes these writes fail (reset) before the
    // client reads its error.
    let chunk = [b'j'; 16 * 1024];
    for i in 0..32 {
        if let Err(e) = c.w.write_all(&chunk) {
            panic!("write {i} failed: {e}: the server did not linger");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(c.reply(), "-ERR Protocol error: invalid bulk length");
}

#[test]
fn keys_on_a_large_key_space_lets_other_clients_in_between() {
    let server = Server::start();
    let mut a = server.client();
    // 100k keys, 1k per MSET.
    for batch in 0..100 {
        let mut cmd = vec!["MSET".to_string()];
        for i in 0..1000 {
            cmd.push(format!("key:{batch}:{i}"));
            cmd.push("v".to_string());
        }
        let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
        assert_eq!(a.cmd(&refs), "+OK");
    }
    let mut b = server.client();
    a.w.write_all(&encode(&["KEYS", "key:7:*"])).unwrap();
    b.w.write_all(&encode(&["PING"])).unwrap();
    assert_eq!(b.reply(), "+PONG");
    // B was answered while A's KEYS was still walking the keys: nothing of
    // A's reply has been sent yet (a KEYS that held the thread would have
    // written its whole reply before reading B's PING).
    a.r.get_ref().set_nonblocking(true).unwrap();
    let mut probe = [0u8; 1];
    let nothing_yet = a.r.buffer().is_empty()
        && matches!(a.r.get_ref().peek(&mut probe),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    a.r.get_ref().set_nonblocking(false).unwrap();
    assert!(
        nothing_yet,
        "KEYS was answered before the other client's PING"
    );
    let keys = a.reply();
    assert_eq!(
        keys.matches("$key:7:").count(),
        1000,
        "every match, across chunks"
    );
}
