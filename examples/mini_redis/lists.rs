//! Lists: `LPUSH`, `RPUSH`, `LPOP`, `RPOP`, `LRANGE`, `LLEN`.
//!
//! redis keeps a list as a chain of compact arrays (a quicklist); a
//! `VecDeque` gives the same costs for what these commands do: O(1) push
//! and pop at both ends, O(k) for a range of k elements. A list whose last
//! element is popped is deleted, as in redis.

use std::collections::VecDeque;
use std::time::Instant;

use super::commands::{Cmd, parse_i64, wrong_arity};
use super::db::{Db, Value, WRONGTYPE};
use super::resp;

/// A rank range `start..=stop` (negative counts from the end) clamped to a
/// collection of `len` elements; `None` if it selects nothing. Shared with
/// `ZRANGE`.
pub fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    (start <= stop && start < len).then_some((start as usize, stop as usize))
}

/// Runs a list command; false if `name` is not one.
pub fn execute(db: &mut Db, cmd: Cmd, name: &[u8], now: Instant, out: &mut Vec<u8>) -> bool {
    let n = cmd.len();
    match name {
        b"LPUSH" | b"RPUSH" if n >= 3 => push(db, cmd, name == b"LPUSH", now, out),
        b"LPOP" | b"RPOP" if n == 2 || n == 3 => pop(db, cmd, name == b"LPOP", now, out),
        b"LLEN" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::List(l)) => resp::int(out, l.len() as i64),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"LRANGE" if n == 4 => range(db, cmd, now, out),
        b"LPUSH" | b"RPUSH" | b"LPOP" | b"RPOP" | b"LLEN" | b"LRANGE" => wrong_arity(cmd, out),
        _ => return false,
    }
    true
}

fn push(db: &mut Db, cmd: Cmd, left: bool, now: Instant, out: &mut Vec<u8>) {
    let is = |v: &Value| matches!(v, Value::List(_));
    let list = match db.collection_mut(cmd.arg(1), now, is, || Value::List(VecDeque::new())) {
        Ok(Value::List(l)) => l,
        _ => return resp::error(out, WRONGTYPE),
    };
    for i in 2..cmd.len() {
        let v = cmd.arg(i).to_vec();
        if left {
            list.push_front(v);
        } else {
            list.push_back(v);
        }
    }
    resp::int(out, list.len() as i64);
}

/// `LPOP key` → one bulk (nil if none); `LPOP key count` → an array (nil
/// array if the key does not exist).
fn pop(db: &mut Db, cmd: Cmd, left: bool, now: Instant, out: &mut Vec<u8>) {
    let Ok(count) = super::commands::pop_count(cmd, out) else {
        return;
    };
    let list = match db.value_mut(cmd.arg(1), now) {
        None => {
            return match count {
                None => resp::bulk(out, None),
                Some(_) => out.extend_from_slice(b"*-1\r\n"),
            };
        }
        Some(Value::List(l)) => l,
        Some(_) => return resp::error(out, WRONGTYPE),
    };
    let mut take = || {
        if left {
            list.pop_front()
        } else {
            list.pop_back()
        }
    };
    match count {
        None => {
            let v = take();
            resp::bulk(out, v.as_deref());
        }
        Some(c) => {
            let popped: Vec<Vec<u8>> = (0..c).map_while(|_| take()).collect();
            resp::array_len(out, popped.len());
            for v in &popped {
                resp::bulk(out, Some(v));
            }
        }
    }
    db.drop_if_empty(cmd.arg(1));
}

fn range(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let (Some(start), Some(stop)) = (parse_i64(cmd.arg(2)), parse_i64(cmd.arg(3))) else {
        return resp::error(out, "ERR value is not an integer or out of range");
    };
    let list = match db.value(cmd.arg(1), now) {
        None => return resp::array_len(out, 0),
        Some(Value::List(l)) => l,
        Some(_) => return resp::error(out, WRONGTYPE),
    };
    let Some((from, to)) = clamp_range(start, stop, list.len()) else {
        return resp::array_len(out, 0);
    };
    let size: usize = list.range(from..=to).map(|v| v.len() + 16).sum();
    if resp::refuse_if_too_big(out, size) {
        return;
    }
    resp::array_len(out, to + 1 - from);
    for v in list.range(from..=to) {
        resp::bulk(out, Some(v));
    }
}
