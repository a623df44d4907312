//! Sets: `SADD`, `SREM`, `SPOP`, `SMEMBERS`, `SCARD`, `SISMEMBER`.
//!
//! A `HashSet` of members. `SPOP` takes a random member: redis picks a
//! random bucket; here the set is walked to a random position, O(n) worst
//! case, which is fine for the sizes this example sees (and says so). An
//! empty set is deleted, as in redis.

use std::collections::HashSet;
use std::time::Instant;

use super::commands::{Cmd, pop_count, wrong_arity};
use super::db::{Db, Value, WRONGTYPE};
use super::resp;

/// Runs a set command; false if `name` is not one.
pub fn execute(db: &mut Db, cmd: Cmd, name: &[u8], now: Instant, out: &mut Vec<u8>) -> bool {
    let n = cmd.len();
    match name {
        b"SADD" if n >= 3 => {
            let is = |v: &Value| matches!(v, Value::Set(_));
            match db.collection_mut(cmd.arg(1), now, is, || Value::Set(HashSet::new())) {
                Ok(Value::Set(set)) => {
                    let added = (2..n).filter(|&i| set.insert(cmd.arg(i).to_vec())).count();
                    resp::int(out, added as i64);
                }
                _ => resp::error(out, WRONGTYPE),
            }
        }
        b"SREM" if n >= 3 => {
            let removed = match db.value_mut(cmd.arg(1), now) {
                None => 0,
                Some(Value::Set(set)) => (2..n).filter(|&i| set.remove(cmd.arg(i))).count(),
                Some(_) => return error(out),
            };
            db.drop_if_empty(cmd.arg(1));
            resp::int(out, removed as i64);
        }
        b"SCARD" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::Set(set)) => resp::int(out, set.len() as i64),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"SISMEMBER" if n == 3 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::Set(set)) => resp::int(out, i64::from(set.contains(cmd.arg(2)))),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"SMEMBERS" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::array_len(out, 0),
            Some(Value::Set(set)) => {
                if resp::refuse_if_too_big(out, set.iter().map(|m| m.len() + 16).sum()) {
                    return true;
                }
                resp::array_len(out, set.len());
                for m in set {
                    resp::bulk(out, Some(m));
                }
            }
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"SPOP" if n == 2 || n == 3 => spop(db, cmd, now, out),
        b"SADD" | b"SREM" | b"SCARD" | b"SISMEMBER" | b"SMEMBERS" | b"SPOP" => {
            wrong_arity(cmd, out)
        }
        _ => return false,
    }
    true
}

fn error(out: &mut Vec<u8>) -> bool {
    resp::error(out, WRONGTYPE);
    true
}

/// `SPOP key` → a bulk (nil if none); `SPOP key count` → an array.
fn spop(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let Ok(count) = pop_count(cmd, out) else {
        return;
    };
    let mut picks = Vec::new();
    for _ in 0..count.unwrap_or(1) {
        let r = db.next_random();
        let set = match db.value_mut(cmd.arg(1), now) {
            None => break,
            Some(Value::Set(set)) => set,
            Some(_) => return resp::error(out, WRONGTYPE),
        };
        if set.is_empty() {
            break;
        }
        let member = set
            .iter()
            .nth(r as usize % set.len())
            .cloned()
            .expect("in range");
        set.remove(&member);
        picks.push(member);
    }
    db.drop_if_empty(cmd.arg(1));
    match count {
        None => resp::bulk(out, picks.first().map(Vec::as_slice)),
        Some(_) => {
            resp::array_len(out, picks.len());
            for m in &picks {
                resp::bulk(out, Some(m));
            }
        }
    }
}
