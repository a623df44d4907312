//! Sorted sets: members with scores, ordered by (score, member), as
//! redis's `ZADD`, `ZPOPMIN`, `ZRANGE`, `ZSCORE`, `ZCARD` need them.
//!
//! redis keeps a hash table (member → score) beside a skip list ordered by
//! score; here the same two views are a `HashMap` and a `BTreeSet` of
//! `(score, member)`. Both change together in [`ZSet::insert`] and
//! [`ZSet::remove`], so they always hold the same members. Scores are never
//! NaN (`ZADD` refuses it), which makes the order total.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::commands::{Cmd, wrong_arity};
use super::db::{Db, Value, WRONGTYPE};
use super::resp;

/// A score that is never NaN, so it can be ordered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score(f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Members and scores, in both views.
#[derive(Default)]
pub struct ZSet {
    scores: HashMap<Vec<u8>, f64>,
    order: BTreeSet<(Score, Vec<u8>)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; true if it is a new member.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        debug_assert!(!score.is_nan());
        let old = self.scores.insert(member.to_vec(), score);
        if let Some(old) = old {
            self.order.remove(&(Score(old), member.to_vec()));
        }
        self.order.insert((Score(score), member.to_vec()));
        old.is_none()
    }

    /// Removes and returns the lowest (score, member).
    pub fn pop_min(&mut self) -> Option<(Vec<u8>, f64)> {
        let (score, member) = self.order.pop_first()?;
        self.scores.remove(&member);
        Some((member, score.0))
    }

    /// Members in order, from rank `start` to `stop` inclusive (already
    /// clamped by the caller).
    pub fn range(&self, start: usize, stop: usize) -> impl Iterator<Item = (&[u8], f64)> {
        self.order
            .iter()
            .skip(start)
            .take(stop + 1 - start)
            .map(|(s, m)| (m.as_slice(), s.0))
    }
}

/// A score as redis prints one (`1.5`, `0`, `inf`, `-inf`).
pub fn format_score(score: f64) -> String {
    if score.is_infinite() {
        return if score > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    format!("{score}")
}

/// A score as redis parses one: a float, `inf`/`+inf`/`-inf`; never NaN.
fn parse_score(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    let v: f64 = match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

fn zset_mut<'d>(db: &'d mut Db, key: &[u8], now: Instant) -> Result<&'d mut ZSet, ()> {
    let is = |v: &Value| matches!(v, Value::ZSet(_));
    match db.collection_mut(key, now, is, || Value::ZSet(ZSet::default())) {
        Ok(Value::ZSet(z)) => Ok(z),
        _ => Err(()),
    }
}

/// Runs a sorted-set command; false if `name` is not one.
pub fn execute(db: &mut Db, cmd: Cmd, name: &[u8], now: Instant, out: &mut Vec<u8>) -> bool {
    let n = cmd.len();
    match name {
        b"ZADD" => zadd(db, cmd, now, out),
        b"ZCARD" if n == 2 => match db.value(cmd.arg(1), now) {
            None => resp::int(out, 0),
            Some(Value::ZSet(z)) => resp::int(out, z.len() as i64),
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"ZSCORE" if n == 3 => match db.value(cmd.arg(1), now) {
            None => resp::bulk(out, None),
            Some(Value::ZSet(z)) => {
                let s = z.score(cmd.arg(2)).map(format_score);
                resp::bulk(out, s.as_deref().map(str::as_bytes));
            }
            Some(_) => resp::error(out, WRONGTYPE),
        },
        b"ZPOPMIN" if n == 2 || n == 3 => zpopmin(db, cmd, now, out),
        b"ZRANGE" if n == 4 || n == 5 => zrange(db, cmd, now, out),
        b"ZCARD" | b"ZSCORE" | b"ZPOPMIN" | b"ZRANGE" => wrong_arity(cmd, out),
        _ => return false,
    }
    true
}

/// `ZADD key [NX|XX] [GT|LT] [CH] score member [score member ...]`
fn zadd(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut i = 2;
    while i < cmd.len() {
        let a = cmd.arg(i).to_ascii_uppercase();
        match a.as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            b"CH" => ch = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = cmd.len() - i;
    if pairs == 0 || pairs % 2 != 0 {
        return resp::error(out, "ERR syntax error");
    }
    if nx && xx {
        return resp::error(
            out,
            "ERR XX and NX options at the same time are not compatible",
        );
    }
    if (gt && lt) || (nx && (gt || lt)) {
        return resp::error(
            out,
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        );
    }
    // Parse every score first: a bad one changes nothing (redis too).
    let mut scores = Vec::with_capacity(pairs / 2);
    for p in (i..cmd.len()).step_by(2) {
        match parse_score(cmd.arg(p)) {
            Some(s) => scores.push((s, cmd.arg(p + 1))),
            None => return resp::error(out, "ERR value is not a valid float"),
        }
    }
    let Ok(z) = zset_mut(db, cmd.arg(1), now) else {
        return resp::error(out, WRONGTYPE);
    };
    let mut changed = 0;
    for (score, member) in scores {
        let old = z.score(member);
        let skip = match old {
            None => xx,
            Some(o) => nx || (gt && score <= o) || (lt && score >= o),
        };
        if skip {
            continue;
        }
        let added = z.insert(member, score);
        if added || (ch && old != Some(score)) {
            changed += 1;
        }
    }
    db.drop_if_empty(cmd.arg(1)); // `ZADD k XX ...` on a new key made it empty
    resp::int(out, changed);
}

/// `ZPOPMIN key [count]`: a flat array of member, score pairs.
fn zpopmin(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let Ok(count) = super::commands::pop_count(cmd, out) else {
        return;
    };
    let count = count.unwrap_or(1);
    let popped: Vec<(Vec<u8>, f64)> = match db.value_mut(cmd.arg(1), now) {
        None => Vec::new(),
        Some(Value::ZSet(z)) => (0..count).map_while(|_| z.pop_min()).collect(),
        Some(_) => return resp::error(out, WRONGTYPE),
    };
    db.drop_if_empty(cmd.arg(1));
    resp::array_len(out, popped.len() * 2);
    for (member, score) in popped {
        resp::bulk(out, Some(&member));
        resp::bulk(out, Some(format_score(score).as_bytes()));
    }
}

/// `ZRANGE key start stop [WITHSCORES]` (by rank; negative ranks count
/// from the end).
fn zrange(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let with_scores = cmd.len() == 5;
    if with_scores && !cmd.arg(4).eq_ignore_ascii_case(b"WITHSCORES") {
        return resp::error(out, "ERR syntax error");
    }
    let parse = super::commands::parse_i64;
    let (Some(start), Some(stop)) = (parse(cmd.arg(2)), parse(cmd.arg(3))) else {
        return resp::error(out, "ERR value is not an integer or out of range");
    };
    let z = match db.value(cmd.arg(1), now) {
        None => return resp::array_len(out, 0),
        Some(Value::ZSet(z)) => z,
        Some(_) => return resp::error(out, WRONGTYPE),
    };
    let Some((from, to)) = super::lists::clamp_range(start, stop, z.len()) else {
        return resp::array_len(out, 0);
    };
    let per = if with_scores { 2 } else { 1 };
    let size: usize = z.range(from, to).map(|(m, _)| m.len() + 48).sum();
    if resp::refuse_if_too_big(out, size) {
        return;
    }
    resp::array_len(out, (to + 1 - from) * per);
    for (member, score) in z.range(from, to) {
        resp::bulk(out, Some(member));
        if with_scores {
            resp::bulk(out, Some(format_score(score).as_bytes()));
        }
    }
}
