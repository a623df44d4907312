//! Checking and printing: the consumer-side exactly-once check, what
//! recovery found, the batch histogram, producer waits, and the torn tail the
//! restart demo appends.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use super::broker::{BrokerStats, ProducerReport, payload};
use super::record::{self, Record};
use super::storage::{self, Recovered};

/// What a consumer saw, per producer: the next sequence number it expects,
/// and the numbers it skipped over (not seen yet).
///
/// A consumer that resumes from a committed position first [`replay`]s the
/// records before it (read in an earlier run), so its expectations start
/// where that consumer really is, not at sequence 0.
///
/// [`replay`]: Checker::replay
#[derive(Debug, Default)]
pub struct Checker {
    next: HashMap<u32, u64>,
    skipped: HashMap<u32, BTreeSet<u64>>,
    /// Reported lost by recovery: skipping these is not out of order.
    lost: HashSet<(u32, u64)>,
    /// Records seen.
    pub consumed: u64,
    /// Records seen twice.
    pub duplicates: u64,
    /// Records that skipped ahead of their producer's sequence (over numbers
    /// recovery did not report lost).
    pub out_of_order: u64,
    /// Records whose payload is not what their producer sent.
    pub bad_payload: u64,
    /// Skipped records that arrived later (a lost record, resent).
    pub refilled: u64,
}

/// How one record fits its producer's sequence.
enum Seen {
    /// The next one, or after numbers recovery reported lost.
    InOrder,
    /// After numbers that are neither seen nor reported lost.
    Jumped,
    /// A number skipped earlier (a lost record, resent).
    Refill,
    /// Seen before.
    Again,
}

impl Checker {
    /// Checks one record.
    pub fn see(&mut self, r: &Record) {
        self.consumed += 1;
        match self.advance(r) {
            Seen::InOrder => {}
            Seen::Jumped => self.out_of_order += 1,
            Seen::Refill => self.refilled += 1,
            Seen::Again => self.duplicates += 1,
        }
        if r.payload != payload(r.producer, r.seq) {
            self.bad_payload += 1;
        }
    }

    /// Takes in a record read before this run (counts nothing).
    pub fn replay(&mut self, r: &Record) {
        self.advance(r);
    }

    /// Recovery reported these (producer, seq) lost.
    pub fn expect_lost(&mut self, lost: impl IntoIterator<Item = (u32, u64)>) {
        self.lost.extend(lost);
    }

    /// Moves `r.producer`'s expectations past `r`.
    fn advance(&mut self, r: &Record) -> Seen {
        let next = self.next.entry(r.producer).or_insert(0);
        let skipped = self.skipped.entry(r.producer).or_default();
        if r.seq < *next {
            return if skipped.remove(&r.seq) {
                Seen::Refill
            } else {
                Seen::Again
            };
        }
        let jumped = (*next..r.seq).any(|s| !self.lost.contains(&(r.producer, s)));
        skipped.extend(*next..r.seq);
        *next = r.seq + 1;
        if jumped { Seen::Jumped } else { Seen::InOrder }
    }

    /// The next sequence number expected from `producer`.
    pub fn next(&self, producer: u32) -> u64 {
        self.next.get(&producer).copied().unwrap_or(0)
    }

    /// Of `producer`'s records below `acked` (all acknowledged), how many
    /// were never seen.
    pub fn missing(&self, producer: u32, acked: u64) -> u64 {
        let skipped = self.skipped.get(&producer);
        let holes = skipped.map_or(0, |s| s.range(..acked).count() as u64);
        holes + acked.saturating_sub(self.next(producer))
    }

    /// No duplicates, gaps or corrupt payloads.
    pub fn clean(&self) -> bool {
        self.duplicates == 0 && self.out_of_order == 0 && self.bad_payload == 0
    }
}

/// Says on stderr what recovering `topic` cut or skipped, and which
/// acknowledged records (`lost`: producer, seq) are gone.
pub fn recovery(topic: &str, dir: &Path, rec: &Recovered, end: u64, lost: &HashSet<(u32, u64)>) {
    for d in &rec.damaged {
        eprintln!(
            "{topic}: RECOVERY: {} damaged bytes at byte {} ({}); valid records follow \
             it, so it was fsynced and (unless it was in the last batch before a crash) \
             acknowledged: ACKNOWLEDGED RECORDS LOST. Skipped them (saved to {}, overwritten \
             with a hole), kept the intact records after",
            d.len,
            d.start,
            if d.one_record {
                "one record"
            } else {
                "one or more records"
            },
            storage::damaged_path(dir, topic, d.start).display()
        );
    }
    if rec.truncated > 0 {
        eprintln!(
            "{topic}: recovery: cut {} bytes at byte {end}, the end of the log: a torn write \
             (never acknowledged) if the broker died mid-write; if they were records damaged \
             later, acknowledged records were lost with them",
            rec.truncated
        );
    }
    if !lost.is_empty() {
        let mut by_producer: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for &(p, s) in lost {
            by_producer.entry(p).or_default().push(s);
        }
        let list: Vec<String> = by_producer
            .into_iter()
            .map(|(p, mut seqs)| {
                seqs.sort_unstable();
                let shown: Vec<String> = seqs.iter().take(8).map(u64::to_string).collect();
                let more = if seqs.len() > 8 { ", ..." } else { "" };
                format!("producer {p} seq {}{more}", shown.join(", "))
            })
            .collect();
        eprintln!(
            "{topic}: RECOVERY: {} acknowledged records lost: {}; a resend of one is written again",
            lost.len(),
            list.join("; ")
        );
    }
}

/// The batch-size histogram of one topic's broker.
pub fn print_batches(topic: &str, s: &BrokerStats) {
    let (batches, records) = (s.batches.get(), s.records.get());
    if batches == 0 {
        println!("{topic}: no batches written");
        return;
    }
    println!(
        "{topic}: {records} records in {batches} batches (one write + fsync each), {:.1} records per batch, {} duplicates skipped",
        records as f64 / batches as f64,
        s.duplicates.get()
    );
    let hist = s.hist.borrow();
    let top = hist.iter().copied().max().unwrap_or(1).max(1);
    for (i, &n) in hist.iter().enumerate().filter(|(_, n)| **n > 0) {
        let (lo, hi) = (1u64 << i, (1u64 << (i + 1)) - 1);
        let bar = "#".repeat(((n * 40).div_ceil(top)) as usize);
        println!("  batch {:>5}..={:<5} {:>6} {bar}", lo, hi, n);
    }
}

/// Backpressure: how often and how long producers waited for room.
pub fn print_producers(reports: &[ProducerReport], channel_cap: usize) {
    let sends: u64 = reports.iter().map(|r| r.sends).sum();
    let waited: u64 = reports.iter().map(|r| r.waited).sum();
    let total: std::time::Duration = reports.iter().map(|r| r.wait_total).sum();
    let max = reports.iter().map(|r| r.wait_max).max().unwrap_or_default();
    let dups: u64 = reports.iter().map(|r| r.duplicates).sum();
    println!(
        "producer waits (channel-cap {channel_cap}): {waited} of {sends} sends found the channel full; \
         waited {total:.1?} in all, longest {max:.1?}; {dups} resends acked as duplicates"
    );
}

/// Appends half a record to each topic's segment: what a crash in the middle
/// of a write leaves behind. Recovery must cut it off.
pub fn tear_tails(dir: &Path, topics: u32, name: impl Fn(u32) -> String) {
    for t in 0..topics {
        let mut bytes = Vec::new();
        let r = Record {
            producer: 999,
            seq: 0,
            payload: b"never acknowledged".to_vec(),
        };
        record::encode(&r, &mut bytes);
        bytes.truncate(bytes.len() / 2);
        let path = storage::segment_path(dir, &name(t));
        let f = std::fs::OpenOptions::new().append(true).open(&path);
        if let Err(e) = f.and_then(|mut f| f.write_all(&bytes)) {
            eprintln!("log_stream: cannot tear {}: {e}", path.display());
        }
    }
}
