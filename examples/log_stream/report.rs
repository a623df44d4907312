//! Checking and printing: the consumer-side exactly-once check, the batch
//! histogram, producer waits, and the torn tail the restart demo appends.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::broker::{BrokerStats, ProducerReport, payload};
use super::record::{self, Record};
use super::storage;

/// What a consumer saw, per producer: the next sequence number it expects.
#[derive(Debug, Default)]
pub struct Checker {
    next: HashMap<u32, u64>,
    /// Records seen.
    pub consumed: u64,
    /// Records seen twice.
    pub duplicates: u64,
    /// Records that skipped ahead of their producer's sequence.
    pub out_of_order: u64,
    /// Records whose payload is not what their producer sent.
    pub bad_payload: u64,
}

impl Checker {
    /// Checks one record.
    pub fn see(&mut self, r: &Record) {
        self.consumed += 1;
        let next = self.next.entry(r.producer).or_insert(0);
        if r.seq < *next {
            self.duplicates += 1;
        } else {
            if r.seq > *next {
                self.out_of_order += 1;
            }
            *next = r.seq + 1;
        }
        if r.payload != payload(r.producer, r.seq) {
            self.bad_payload += 1;
        }
    }

    /// The next sequence number expected from `producer`.
    pub fn next(&self, producer: u32) -> u64 {
        self.next.get(&producer).copied().unwrap_or(0)
    }

    /// No duplicates, gaps or corrupt payloads.
    pub fn clean(&self) -> bool {
        self.duplicates == 0 && self.out_of_order == 0 && self.bad_payload == 0
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
