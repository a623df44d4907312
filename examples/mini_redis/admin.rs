//! The commands clients send about the server rather than the data:
//! `redis-cli` and `redis-benchmark` send some of these on connect, and give
//! up on a server that answers them with errors.
//!
//! | command | answer |
//! |---|---|
//! | `CONFIG GET pattern` | pairs from a small fixed table (`save` is `""`, `appendonly` is `no`: nothing is persisted) |
//! | `CONFIG SET`, `CONFIG RESETSTAT` | `+OK` (nothing is configurable) |
//! | `COMMAND`, `COMMAND DOCS/INFO` | an empty array (clients then fall back to plain behaviour) |
//! | `COMMAND COUNT` | the number of commands implemented |
//! | `CLIENT SETNAME/SETINFO` | `+OK`; `CLIENT GETNAME` nil; `CLIENT ID` 1 |
//! | `HELLO [2]` | the RESP2 handshake map, as a flat array; `HELLO 3` is `-NOPROTO` |
//! | `INFO [section ...]` | see `info.rs` (answered in `mini_redis.rs`, which has the counters) |

use std::time::Instant;

use super::commands::{Cmd, unknown, wrong_arity};
use super::db::Db;
use super::resp;

/// What `CONFIG GET` knows.
const CONFIG: &[(&str, &str)] = &[
    ("save", ""),
    ("appendonly", "no"),
    ("databases", "1"),
    ("maxmemory", "0"),
    ("port", "6380"),
    ("bind", "127.0.0.1"),
    ("timeout", "0"),
];

/// Every command this server claims to implement (its conformance table in
/// `mini_redis.rs` lists them too; `tests/mini_redis_conformance.rs` fails if
/// one of them answers "unknown command").
pub const CLAIMED: &[&str] = &[
    // strings and keys
    "GET",
    "SET",
    "DEL",
    "UNLINK",
    "EXISTS",
    "TYPE",
    "INCR",
    "DECR",
    "INCRBY",
    "DECRBY",
    "MGET",
    "MSET",
    "EXPIRE",
    "PEXPIRE",
    "TTL",
    "PTTL",
    "PERSIST",
    "KEYS",
    "DBSIZE",
    "FLUSHDB",
    "FLUSHALL",
    "SELECT",
    "PING",
    "ECHO",
    "QUIT",
    // lists, sets, hashes, sorted sets
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "LRANGE",
    "LLEN",
    "SADD",
    "SREM",
    "SPOP",
    "SMEMBERS",
    "SCARD",
    "SISMEMBER",
    "HSET",
    "HMSET",
    "HGET",
    "HGETALL",
    "HDEL",
    "HLEN",
    "HEXISTS",
    "ZADD",
    "ZPOPMIN",
    "ZRANGE",
    "ZSCORE",
    "ZCARD",
    // what clients send on connect
    "CONFIG",
    "COMMAND",
    "CLIENT",
    "HELLO",
];

/// The claimed commands that need the connection or the server's counters,
/// answered in `mini_redis.rs` rather than `commands.rs`.
pub const CLAIMED_BY_CONNECTION: &[&str] =
    &["SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", "RESET", "INFO"];

/// Commands implemented (for `COMMAND COUNT`).
pub const COMMAND_COUNT: i64 = (CLAIMED.len() + CLAIMED_BY_CONNECTION.len()) as i64;

/// The server's version string (redis-benchmark and redis-cli read it).
pub const VERSION: &str = "7.0.0";

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Runs an administrative command, or answers "unknown command".
pub fn execute(_db: &mut Db, cmd: Cmd, _now: Instant, out: &mut Vec<u8>) {
    let n = cmd.len();
    let name = cmd.arg(0);
    let sub = if n > 1 { cmd.arg(1) } else { b"" };
    if eq(name, "CONFIG") {
        if n == 3 && eq(sub, "GET") {
            let hits: Vec<_> = CONFIG
                .iter()
                .filter(|(k, _)| {
                    super::glob::matches(&cmd.arg(2).to_ascii_lowercase(), k.as_bytes())
                })
                .collect();
            resp::array_len(out, hits.len() * 2);
            for (k, v) in hits {
                resp::bulk(out, Some(k.as_bytes()));
                resp::bulk(out, Some(v.as_bytes()));
            }
        } else if (n >= 4 && eq(sub, "SET")) || (n == 2 && eq(sub, "RESETSTAT")) {
            resp::simple(out, "OK");
        } else {
            wrong_arity(cmd, out);
        }
    } else if eq(name, "COMMAND") {
        if n == 2 && eq(sub, "COUNT") {
            resp::int(out, COMMAND_COUNT);
        } else {
            resp::array_len(out, 0);
        }
    } else if eq(name, "CLIENT") {
        if eq(sub, "SETNAME") || eq(sub, "SETINFO") {
            resp::simple(out, "OK");
        } else if eq(sub, "GETNAME") {
            resp::bulk(out, None);
        } else if eq(sub, "ID") {
            resp::int(out, 1);
        } else {
            resp::error(
                out,
                "ERR unknown subcommand or wrong number of arguments for 'client'",
            );
        }
    } else if eq(name, "HELLO") {
        if n >= 2 && sub != b"2" {
            resp::error(out, "NOPROTO sorry, this protocol version is not supported");
            return;
        }
        let pairs: [(&str, &str); 5] = [
            ("server", "redis"),
            ("version", VERSION),
            ("proto", "2"),
            ("mode", "standalone"),
            ("role", "master"),
        ];
        resp::array_len(out, pairs.len() * 2 + 2);
        for (k, v) in pairs {
            resp::bulk(out, Some(k.as_bytes()));
            if k == "proto" {
                resp::int(out, 2);
            } else {
                resp::bulk(out, Some(v.as_bytes()));
            }
        }
        resp::bulk(out, Some(b"modules"));
        resp::array_len(out, 0);
    } else {
        unknown(cmd, out);
    }
}
