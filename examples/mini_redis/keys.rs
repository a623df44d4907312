//! Keys rather than values: `TYPE`, `DEL`/`UNLINK`, `EXISTS`,
//! `EXPIRE`/`PEXPIRE`, `TTL`/`PTTL`, `PERSIST`, `KEYS`, `DBSIZE`,
//! `FLUSHDB`/`FLUSHALL`, `SELECT`: the commands that work on any key,
//! whatever kind of value it holds, and on the key space as a whole.

use std::time::{Duration, Instant};

use super::commands::{Cmd, NOT_INT, checked_expire_ms, parse_i64, wrong_arity};
use super::db::{Db, Value};
use super::resp;

/// Runs a key-space command; false if `name` is not one.
pub fn execute(db: &mut Db, cmd: Cmd, name: &[u8], now: Instant, out: &mut Vec<u8>) -> bool {
    let n = cmd.len();
    match name {
        b"TYPE" if n == 2 => {
            let t = db.value(cmd.arg(1), now).map_or("none", Value::type_name);
            resp::simple(out, t);
        }
        b"DEL" | b"UNLINK" if n >= 2 => {
            let d = (1..n).filter(|&i| db.del(cmd.arg(i), now)).count();
            resp::int(out, d as i64);
        }
        b"EXISTS" if n >= 2 => {
            let c = (1..n).filter(|&i| db.exists(cmd.arg(i), now)).count();
            resp::int(out, c as i64);
        }
        b"EXPIRE" | b"PEXPIRE" if n == 3 => {
            expire(db, cmd, if name == b"PEXPIRE" { 1 } else { 1000 }, now, out);
        }
        b"TTL" | b"PTTL" if n == 2 => {
            let ms = name == b"PTTL";
            let t = match db.deadline(cmd.arg(1), now) {
                None => -2,
                Some(None) => -1,
                Some(Some(at)) => {
                    let left = at.saturating_duration_since(now).as_millis() as i64;
                    if ms { left } else { (left + 500) / 1000 }
                }
            };
            resp::int(out, t);
        }
        b"PERSIST" if n == 2 => {
            resp::int(out, i64::from(db.persist(cmd.arg(1), now)));
        }
        b"KEYS" if n == 2 => {
            keys(db, cmd, now, out);
        }
        b"DBSIZE" if n == 1 => {
            resp::int(out, db.len() as i64);
        }
        b"FLUSHDB" | b"FLUSHALL" => {
            db.flush();
            resp::simple(out, "OK");
        }
        b"SELECT" if n == 2 => match parse_i64(cmd.arg(1)) {
            Some(0) => resp::simple(out, "OK"),
            Some(_) => resp::error(out, "ERR DB index is out of range"),
            None => resp::error(out, NOT_INT),
        },
        b"TYPE" | b"DEL" | b"UNLINK" | b"EXISTS" | b"EXPIRE" | b"PEXPIRE" | b"TTL" | b"PTTL"
        | b"PERSIST" | b"KEYS" | b"DBSIZE" | b"SELECT" => wrong_arity(cmd, out),
        _ => return false,
    }
    true
}

/// `EXPIRE key seconds` (`unit` 1000 ms) or `PEXPIRE key ms` (`unit` 1).
fn expire(db: &mut Db, cmd: Cmd, unit: i64, now: Instant, out: &mut Vec<u8>) {
    let Some(v) = parse_i64(cmd.arg(2)) else {
        resp::error(out, NOT_INT);
        return;
    };
    let Some(ms) = checked_expire_ms(v, unit) else {
        return invalid_expire(cmd, out);
    };
    let key = cmd.arg(1);
    let done = if ms <= 0 {
        db.del(key, now) // a deadline in the past deletes at once
    } else {
        match now.checked_add(Duration::from_millis(ms as u64)) {
            Some(at) => db.expire_at(key, at, now),
            None => return invalid_expire(cmd, out),
        }
    };
    resp::int(out, i64::from(done));
}

fn invalid_expire(cmd: Cmd, out: &mut Vec<u8>) {
    let msg = format!(
        "ERR invalid expire time in '{}' command",
        cmd.display_name()
    );
    resp::error(out, &msg);
}

/// `KEYS pattern`, refused if the reply would be too big.
fn keys(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let keys = db.keys(cmd.arg(1), now);
    let size: usize = keys.iter().map(|k| k.len() + 16).sum();
    if resp::refuse_if_too_big(out, size) {
        return;
    }
    resp::array_len(out, keys.len());
    for k in keys {
        resp::bulk(out, Some(k));
    }
}
