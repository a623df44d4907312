//! Command execution: arguments in, a RESP reply appended to `out`. Pure
//! code over a [`Db`]; the pub/sub commands, which need the connection and
//! the other clients, are in `pubsub.rs` and `mini_redis.rs`.
//!
//! Error texts follow redis's, so clients and people see what they expect.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::db::{Db, WRONGTYPE};
use super::resp::{self, Args};

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading commands.
    Continue,
    /// Send the replies so far, then close (QUIT).
    Close,
}

/// One command's arguments: an [`Args`] and the buffer it points into.
#[derive(Clone, Copy)]
pub struct Cmd<'a> {
    /// The parsed ranges.
    pub args: &'a Args,
    /// The bytes they point into.
    pub buf: &'a [u8],
}

impl<'a> Cmd<'a> {
    /// Argument `i` (0 is the command name).
    pub fn arg(&self, i: usize) -> &'a [u8] {
        self.args.get(self.buf, i)
    }
    /// Number of arguments, name included.
    pub fn len(&self) -> usize {
        self.args.len()
    }
    /// The command name, upper-cased into `scratch` (names are ASCII).
    pub fn name<'s>(&self, scratch: &'s mut [u8; 24]) -> &'s [u8] {
        let n = self.arg(0);
        let len = n.len().min(scratch.len());
        for (d, s) in scratch.iter_mut().zip(&n[..len]) {
            *d = s.to_ascii_uppercase();
        }
        &scratch[..len]
    }
    /// The name as redis quotes it in errors (lower case, lossy UTF-8).
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(self.arg(0)).to_lowercase()
    }
}

/// `-ERR wrong number of arguments for 'x' command`
pub fn wrong_arity(cmd: Cmd, out: &mut Vec<u8>) {
    let msg = format!(
        "ERR wrong number of arguments for '{}' command",
        cmd.display_name()
    );
    resp::error(out, &msg);
}

/// `-ERR unknown command 'x', with args beginning with: 'a' 'b' `
pub fn unknown(cmd: Cmd, out: &mut Vec<u8>) {
    let mut msg = format!(
        "ERR unknown command '{}', with args beginning with: ",
        String::from_utf8_lossy(&cmd.arg(0)[..cmd.arg(0).len().min(128)])
    );
    for i in 1..cmd.len().min(4) {
        let a = cmd.arg(i);
        msg.push_str(&format!(
            "'{}' ",
            String::from_utf8_lossy(&a[..a.len().min(128)])
        ));
    }
    resp::error(out, &msg);
}

pub const NOT_INT: &str = "ERR value is not an integer or out of range";

/// Milliseconds since the Unix epoch (redis's clock for deadlines).
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `v` seconds (`unit_ms` 1000) or milliseconds (1) as a relative deadline
/// in ms, checked as redis checks it: `v * unit` must fit in an i64, and so
/// must the absolute deadline `now_ms + v * unit` (redis keeps deadlines as
/// ms since the epoch in an i64). `None`: "invalid expire time".
pub fn checked_expire_ms(v: i64, unit_ms: i64) -> Option<i64> {
    let ms = v.checked_mul(unit_ms)?;
    if ms > 0 && ms > i64::MAX - unix_ms() {
        return None;
    }
    Some(ms)
}
const SYNTAX: &str = "ERR syntax error";

/// An integer as redis accepts one: optional `-`, digits, fits in i64.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// The optional `count` of `LPOP`/`RPOP`/`SPOP`/`ZPOPMIN` (argument 2):
/// `Ok(None)` without one, `Err(())` after writing redis's error for a bad one.
pub fn pop_count(cmd: Cmd, out: &mut Vec<u8>) -> Result<Option<usize>, ()> {
    if cmd.len() != 3 {
        return Ok(None);
    }
    match parse_i64(cmd.arg(2)) {
        Some(c) if c >= 0 => Ok(Some(c as usize)),
        _ => {
            resp::error(out, "ERR value is out of range, must be positive");
            Err(())
        }
    }
}

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Runs one (non pub/sub) command.
pub fn execute(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) -> Flow {
    let mut scratch = [0u8; 24];
    let n = cmd.len();
    // (name, smallest argc, argc must be exact)
    let arity_ok = |min: usize, exact: bool| if exact { n == min } else { n >= min };
    macro_rules! arity {
        ($min:expr, $exact:expr) => {
            if !arity_ok($min, $exact) {
                wrong_arity(cmd, out);
                return Flow::Continue;
            }
        };
    }
    match cmd.name(&mut scratch) {
        b"PING" => match n {
            1 => resp::simple(out, "PONG"),
            2 => resp::bulk(out, Some(cmd.arg(1))),
            _ => wrong_arity(cmd, out),
        },
        b"ECHO" => {
            arity!(2, true);
            resp::bulk(out, Some(cmd.arg(1)));
        }
        b"GET" => {
            arity!(2, true);
            match db.get(cmd.arg(1), now) {
                Ok(v) => resp::bulk(out, v),
                Err(_) => resp::error(out, WRONGTYPE),
            }
        }
        b"SET" => {
            arity!(3, false);
            set(db, cmd, now, out);
        }
        b"INCR" | b"DECR" => {
            arity!(2, true);
            let by = if cmd.name(&mut scratch) == b"INCR" {
                1
            } else {
                -1
            };
            incr_by(db, cmd.arg(1), by, now, out);
        }
        b"INCRBY" | b"DECRBY" => {
            arity!(3, true);
            let decr = cmd.name(&mut scratch) == b"DECRBY";
            match parse_i64(cmd.arg(2)) {
                // redis: `DECRBY k -9223372036854775808` cannot be negated.
                Some(i64::MIN) if decr => resp::error(out, "ERR decrement would overflow"),
                Some(v) => incr_by(db, cmd.arg(1), if decr { -v } else { v }, now, out),
                None => resp::error(out, NOT_INT),
            }
        }
        b"MGET" => {
            arity!(2, false);
            mget(db, cmd, now, out);
        }
        b"MSET" if n >= 3 && n % 2 == 1 => {
            for i in (1..n).step_by(2) {
                db.set(cmd.arg(i), cmd.arg(i + 1).to_vec(), false, now);
            }
            resp::simple(out, "OK");
        }
        b"MSET" => wrong_arity(cmd, out),
        b"QUIT" => {
            resp::simple(out, "OK");
            return Flow::Close;
        }
        _ => {
            let mut scratch = [0u8; 24];
            let name = cmd.name(&mut scratch);
            let done = super::keys::execute(db, cmd, name, now, out)
                || super::lists::execute(db, cmd, name, now, out)
                || super::sets::execute(db, cmd, name, now, out)
                || super::hashes::execute(db, cmd, name, now, out)
                || super::zset::execute(db, cmd, name, now, out);
            if !done {
                super::admin::execute(db, cmd, now, out);
            }
        }
    }
    Flow::Continue
}

/// `MGET key...`: nil for a missing key or one of another kind, as in
/// redis; refused if the reply would be too big.
fn mget(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let n = cmd.len();
    let size: usize = (1..n)
        .map(|i| {
            db.get(cmd.arg(i), now)
                .map_or(0, |v| v.map_or(0, <[u8]>::len))
                + 16
        })
        .sum();
    if resp::refuse_if_too_big(out, size) {
        return;
    }
    resp::array_len(out, n - 1);
    for i in 1..n {
        // redis: a key of another kind reads as nil here, not an error.
        let v = db.get(cmd.arg(i), now).unwrap_or(None);
        resp::bulk(out, v);
    }
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|KEEPTTL]`
fn set(db: &mut Db, cmd: Cmd, now: Instant, out: &mut Vec<u8>) {
    let (mut nx, mut xx, mut get, mut keep) = (false, false, false, false);
    let mut ttl: Option<Duration> = None;
    let mut ttl_unit: Option<i64> = None;
    let mut i = 3;
    while i < cmd.len() {
        let a = cmd.arg(i);
        if eq(a, "NX") && !xx {
            nx = true;
        } else if eq(a, "XX") && !nx {
            xx = true;
        } else if eq(a, "GET") {
            get = true;
        } else if eq(a, "KEEPTTL") && ttl.is_none() {
            keep = true;
        } else if (eq(a, "EX") || eq(a, "PX")) && !keep && i + 1 < cmd.len() {
            // redis allows the same option twice (`EX 10 EX 20`: the last
            // wins), but not EX with PX.
            let unit = if eq(a, "EX") { 1000 } else { 1 };
            if ttl_unit.is_some_and(|u| u != unit) {
                return resp::error(out, SYNTAX);
            }
            let Some(v) = parse_i64(cmd.arg(i + 1)) else {
                return resp::error(out, NOT_INT);
            };
            let ms = match checked_expire_ms(v, unit) {
                Some(ms) if v > 0 => ms,
                _ => return resp::error(out, "ERR invalid expire time in 'set' command"),
            };
            ttl = Some(Duration::from_millis(ms as u64));
            ttl_unit = Some(unit);
            i += 1;
        } else {
            return resp::error(out, SYNTAX);
        }
        i += 1;
    }
    let deadline = match ttl.map(|d| now.checked_add(d)) {
        Some(None) => return resp::error(out, "ERR invalid expire time in 'set' command"),
        Some(at) => at,
        None => None,
    };
    let key = cmd.arg(1);
    let old = if get {
        match db.get(key, now) {
            Ok(v) => v.map(<[u8]>::to_vec),
            Err(_) => return resp::error(out, WRONGTYPE),
        }
    } else {
        None
    };
    let exists = db.exists(key, now);
    if (nx && exists) || (xx && !exists) {
        return if get {
            resp::bulk(out, old.as_deref())
        } else {
            resp::bulk(out, None)
        };
    }
    db.set(key, cmd.arg(2).to_vec(), keep, now);
    if let Some(at) = deadline {
        db.expire_at(key, at, now);
    }
    if get {
        resp::bulk(out, old.as_deref());
    } else {
        resp::simple(out, "OK");
    }
}

/// INCR/DECR/INCRBY/DECRBY: the value must be a decimal i64; the deadline
/// is kept, as in redis.
fn incr_by(db: &mut Db, key: &[u8], by: i64, now: Instant, out: &mut Vec<u8>) {
    let cur = match db.get(key, now) {
        Err(_) => return resp::error(out, WRONGTYPE),
        Ok(None) => 0,
        Ok(Some(v)) => match parse_i64(v) {
            Some(v) => v,
            None => return resp::error(out, NOT_INT),
        },
    };
    let Some(next) = cur.checked_add(by) else {
        return resp::error(out, "ERR increment or decrement would overflow");
    };
    db.set(key, next.to_string().into_bytes(), true, now);
    resp::int(out, next);
}
