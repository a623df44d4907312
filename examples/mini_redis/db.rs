//! The key space: keys to values (a string, a list, a set, a hash or a
//! sorted set), with optional expiry.
//!
//! Plain data, no locks, no I/O, no async: one thread owns it and every
//! command runs to completion before the next starts, which is what makes
//! redis's commands atomic for free.
//!
//! # Expiry, two ways (as in redis)
//! - **Lazily**: every read of a key first checks its deadline and deletes
//!   it if passed ([`Db::get`] and friends), so an expired key is never seen.
//! - **Actively**: [`Db::expire_cycle`], called every 100 ms, samples keys
//!   that have a deadline and deletes the expired ones, repeating while more
//!   than a quarter of a sample was expired; keys nobody reads again do not
//!   stay in memory forever. Sampling needs random access to "keys with a
//!   deadline", so they also live in the `volatile` vector (each entry knows
//!   its index there: O(1) add and remove by swapping with the last).
//!
//! Time is a parameter (`now`), never read here, so tests can move it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use super::zset::ZSet;

/// A key's value; each command works on one kind and answers `WRONGTYPE`
/// for the others (redis's rule).
pub enum Value {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
    Set(HashSet<Vec<u8>>),
    Hash(HashMap<Vec<u8>, Vec<u8>>),
    ZSet(ZSet),
}

impl Value {
    /// The name `TYPE` answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Hash(_) => "hash",
            Value::ZSet(_) => "zset",
        }
    }

    /// An empty collection is no value at all: redis deletes the key.
    fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

/// The key holds another kind of value than the command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongType;

/// redis's reply to [`WrongType`].
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

struct Entry {
    value: Value,
    /// `Some((deadline, index in Db::volatile))`.
    expiry: Option<(Instant, usize)>,
}

/// Keys and values.
#[derive(Default)]
pub struct Db {
    map: HashMap<Vec<u8>, Entry>,
    volatile: Vec<Vec<u8>>,
    rng: u64,
    /// Keys deleted by the active cycle so far (reported by INFO).
    pub expired_active: u64,
}

impl Db {
    /// An empty database.
    pub fn new() -> Db {
        Db {
            rng: 0x2545_f491_4f6c_dd1d,
            ..Db::default()
        }
    }

    /// Number of keys (expired-but-not-yet-collected ones included, as redis).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// Deletes `key` if its deadline has passed; true if it (still) exists.
    fn alive(&mut self, key: &[u8], now: Instant) -> bool {
        match self.map.get(key) {
            None => false,
            Some(Entry {
                expiry: Some((at, _)),
                ..
            }) if *at <= now => {
                self.remove(key);
                false
            }
            Some(_) => true,
        }
    }

    /// The string value of a live key; `Err` if it holds another kind.
    pub fn get(&mut self, key: &[u8], now: Instant) -> Result<Option<&[u8]>, WrongType> {
        match self.value(key, now) {
            None => Ok(None),
            Some(Value::Str(v)) => Ok(Some(v.as_slice())),
            Some(_) => Err(WrongType),
        }
    }

    /// The value of a live key, of any kind.
    pub fn value(&mut self, key: &[u8], now: Instant) -> Option<&Value> {
        if !self.alive(key, now) {
            return None;
        }
        self.map.get(key).map(|e| &e.value)
    }

    /// The value of a live key, to change in place; pair with
    /// [`Db::drop_if_empty`] after removing elements.
    pub fn value_mut(&mut self, key: &[u8], now: Instant) -> Option<&mut Value> {
        if !self.alive(key, now) {
            return None;
        }
        self.map.get_mut(key).map(|e| &mut e.value)
    }

    /// The collection at `key`, created empty by `make` if the key does not
    /// exist; `Err` if the key holds another kind (`is` says which fit).
    pub fn collection_mut(
        &mut self,
        key: &[u8],
        now: Instant,
        is: fn(&Value) -> bool,
        make: fn() -> Value,
    ) -> Result<&mut Value, WrongType> {
        if !self.alive(key, now) {
            let entry = Entry {
                value: make(),
                expiry: None,
            };
            self.map.insert(key.to_vec(), entry);
        }
        let value = &mut self.map.get_mut(key).expect("live or just made").value;
        if is(value) { Ok(value) } else { Err(WrongType) }
    }

    /// Deletes `key` if it holds an empty collection (after a pop or a
    /// removal), as redis does.
    pub fn drop_if_empty(&mut self, key: &[u8]) {
        if self
            .map
            .get(key)
            .is_some_and(|e| e.value.is_empty_collection())
        {
            self.remove(key);
        }
    }

    /// A random number (for `SPOP`).
    pub fn next_random(&mut self) -> u64 {
        self.random()
    }

    /// Whether a live `key` exists.
    pub fn exists(&mut self, key: &[u8], now: Instant) -> bool {
        self.alive(key, now)
    }

    /// Stores the string `value` (replacing a value of any kind);
    /// `keep_ttl` keeps an existing deadline, else it is cleared.
    pub fn set(&mut self, key: &[u8], value: Vec<u8>, keep_ttl: bool, now: Instant) {
        let live = self.alive(key, now);
        let value = Value::Str(value);
        if live {
            let e = self.map.get_mut(key).expect("live key");
            e.value = value;
            if !keep_ttl {
                self.persist(key, now);
            }
        } else {
            self.map.insert(
                key.to_vec(),
                Entry {
                    value,
                    expiry: None,
                },
            );
        }
    }

    /// Deletes `key`; true if a live key was deleted.
    pub fn del(&mut self, key: &[u8], now: Instant) -> bool {
        self.alive(key, now) && self.remove(key)
    }

    fn remove(&mut self, key: &[u8]) -> bool {
        let Some(e) = self.map.remove(key) else {
            return false;
        };
        if let Some((_, idx)) = e.expiry {
            self.unlink_volatile(idx);
        }
        true
    }

    /// Removes `volatile[idx]`, fixing the index of the key swapped into it.
    fn unlink_volatile(&mut self, idx: usize) {
        self.volatile.swap_remove(idx);
        if let Some(moved) = self.volatile.get(idx) {
            if let Some(Entry {
                expiry: Some((_, i)),
                ..
            }) = self.map.get_mut(moved)
            {
                *i = idx;
            }
        }
    }

    /// Sets the deadline of a live key; false if there is no such key.
    pub fn expire_at(&mut self, key: &[u8], at: Instant, now: Instant) -> bool {
        if !self.alive(key, now) {
            return false;
        }
        let next = self.volatile.len();
        let e = self.map.get_mut(key).expect("live key");
        match &mut e.expiry {
            Some((deadline, _)) => *deadline = at,
            None => {
                e.expiry = Some((at, next));
                self.volatile.push(key.to_vec());
            }
        }
        true
    }

    /// Clears the deadline; true if there was one.
    pub fn persist(&mut self, key: &[u8], now: Instant) -> bool {
        if !self.alive(key, now) {
            return false;
        }
        match self.map.get_mut(key).and_then(|e| e.expiry.take()) {
            Some((_, idx)) => {
                self.unlink_volatile(idx);
                true
            }
            None => false,
        }
    }

    /// `None`: no such key; `Some(None)`: no deadline; else the deadline.
    pub fn deadline(&mut self, key: &[u8], now: Instant) -> Option<Option<Instant>> {
        if !self.alive(key, now) {
            return None;
        }
        Some(self.map[key].expiry.map(|(at, _)| at))
    }

    /// Live keys matching the glob `pattern`.
    pub fn keys(&self, pattern: &[u8], now: Instant) -> Vec<&[u8]> {
        let glob = super::glob::Glob::new(pattern); // compiled once, not per key
        self.map
            .iter()
            .filter(|(_, e)| e.expiry.is_none_or(|(at, _)| at > now))
            .map(|(k, _)| k.as_slice())
            .filter(|k| glob.matches(k))
            .collect()
    }

    /// Every live key, copied (for `KEYS`, which matches them in chunks
    /// between yields while the map may change).
    pub fn live_keys(&self, now: Instant) -> Vec<Vec<u8>> {
        self.map
            .iter()
            .filter(|(_, e)| e.expiry.is_none_or(|(at, _)| at > now))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Deletes every key.
    pub fn flush(&mut self) {
        self.map.clear();
        self.volatile.clear();
    }

    fn random(&mut self) -> u64 {
        // xorshift64: plenty for sampling.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// One round of active expiry (redis's algorithm, simplified): sample
    /// 20 keys with a deadline, delete the expired ones, and repeat while
    /// more than 25% of a sample was expired, at most `max_rounds` times
    /// (so one cycle never holds the thread long). Returns keys deleted.
    pub fn expire_cycle(&mut self, now: Instant, max_rounds: usize) -> usize {
        const SAMPLE: usize = 20;
        let mut deleted = 0;
        for _ in 0..max_rounds {
            let n = self.volatile.len().min(SAMPLE);
            if n == 0 {
                break;
            }
            let mut expired = 0;
            for _ in 0..n {
                if self.volatile.is_empty() {
                    break;
                }
                let idx = (self.random() % self.volatile.len() as u64) as usize;
                let key = &self.volatile[idx];
                if self.map[key].expiry.is_some_and(|(at, _)| at <= now) {
                    let key = key.clone();
                    self.remove(&key);
                    expired += 1;
                }
            }
            deleted += expired;
            if expired * 4 <= n {
                break;
            }
        }
        self.expired_active += deleted as u64;
        deleted
    }
}
