//! Hashes: `HSET`, `HGET`, `HGETALL`, `HDEL`, `HLEN`, `HEXISTS`.
//!
//! A `HashMap` of field → value per key. An empty hash is deleted, as in
//! redis.

use std::collections::HashMap;
use std::time::Instant;

use super::commands::{Cmd, wrong_arity};
use super::db::{Db, Value, WRONGTYPE};
use super::resp;

/// Runs a hash command; false if `name` is not one.
pub fn execute(db: &mut Db, cmd: Cmd, name: &[u8], now: Instant, out: &mut Vec<u8>) -> bool {
    let n = cmd.len();
    match name {
        b"HSET" | b"HMSET" if n >= 4 && n % 2 == 0 => {
            let is = |v: &Value| matches!(v, Value::Hash(_));
            match db.collection_mut(cmd.arg(1), now, is, || Value::Hash(HashMap::new())) {
                Ok(Value::Hash(h)) => {
                    let mut added = 0;
                    for i in (2..n).step_by(2) {
                        let old = h.insert(cmd.arg(i).to_vec(), cmd.arg(i + 1).to_vec());
                        added += i64::from(old.is_none());
                    }
                    if name == b"HMSET" {
                        resp::simple(out, "OK");
                    } else {
                        resp::int(out, added);
                    }
                }
                _ => resp::error(out, WRONGTYPE),
            }
        }
        b"HGET" if n == 3 => match db.value(cmd.arg(1), now) {
            None => resp::bulk(out, None),
            Some(Value::Hash(h)) => resp::bulk(out, h.get(cmd.arg(2)).map(Vec::as_slice)),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"HEXISTS" if n == 3 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::Hash(h)) => resp::int(out, i64::from(h.contains_key(cmd.arg(2)))),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"HLEN" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::Hash(h)) => resp::int(out, h.len() as i64),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"HGETALL" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::array_len(out, 0),
            Some(Value::Hash(h)) => {
                let size = h.iter().map(|(f, v)| f.len() + v.len() + 32).sum();
                if resp::refuse_if_too_big(out, size) {
                    return true;
                }
                resp::array_len(out, h.len() * 2);
                for (f, v) in h {
                    resp::bulk(out, Some(f));
                    resp::bulk(out, Some(v));
                }
            }
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"HDEL" if n >= 3 => {
            let removed = match db.value_mut(cmd.arg(1), now) {
                None => 0,
                Some(Value::Hash(h)) => (2..n).filter(|&i| h.remove(cmd.arg(i)).is_some()).count(),
                Some(_) => {
                    resp::error(out, WRONGTYPE);
                    return true;
                }
            };
            db.drop_if_empty(cmd.arg(1));
            resp::int(out, removed as i64);
        }
        b"HSET" | b"HMSET" | b"HGET" | b"HEXISTS" | b"HLEN" | b"HGETALL" | b"HDEL" => {
            wrong_arity(cmd, out)
        }
        _ => return false,
    }
    true
}
