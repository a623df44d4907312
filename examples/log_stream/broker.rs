//! The async side: the broker task of one topic, producers, and consumers.
//!
//! ```text
//! producer ─┐  bounded mpsc (backpressure)        spawn_blocking
//! producer ─┼──────────────────────────► broker ──────────────► write + fsync
//! producer ─┘  "I'll throw it"           task     one batch      (segment file)
//!      ▲                                   │
//!      └──────── oneshot ack ◄─────────────┘ after the fsync
//!                                          │ end_byte / Notify
//!                                          ▼
//!                    consumer: reads the file up to end_byte, commits offsets
//!                    (log_stream/consumer.rs)
//! ```
//!
//! - **Backpressure**: the channel holds `--channel-cap` records. A producer
//!   whose `send` finds it full waits (and the wait is measured) until the
//!   broker takes a batch out: a fast producer cannot outrun the disk.
//! - **Batching**: the broker waits for one record, then takes whatever else
//!   is already queued (up to `--batch-max`) and writes it all with one
//!   `write` and one `fsync`. The slower the disk, the more queues up, the
//!   bigger the next batch: batching adapts to load by itself.
//! - **Acks after fsync**: a record is acknowledged only once its batch is on
//!   disk, so "acknowledged" means "survives a crash".
//! - **Exactly once**: every producer numbers its records 0, 1, 2, ...; the
//!   broker remembers each producer's last sequence number (rebuilt from the
//!   log on restart) and acks a resent record it already has as a duplicate
//!   without writing it again (kafka's idempotent producer, simplified).
//!
//! ## Recovery, and what it says
//! Opening a topic recovers its log (`record::scan`, `storage::Segment::open`):
//! - a **torn tail** (half a record, or garbage, with nothing valid after it)
//!   is cut: after a crash it is the write that never finished, never
//!   acknowledged. It could also be the last records, damaged later, so the
//!   cut is printed on stderr with its byte and size.
//! - a **damaged record in the middle** (a flipped byte: its CRC fails, valid
//!   records follow) is skipped, not cut with everything after it: the
//!   framing resynchronises on the next record (the damaged record's own
//!   length, else the next byte where a whole record passes its CRC). Only the
//!   damaged stretch is lost; recovery saves its bytes aside, overwrites it in
//!   place with hole records (so byte positions do not move), and says
//!   loudly on stderr which acknowledged records (producer, sequence numbers)
//!   are gone. Kafka would truncate and re-fetch from a replica; with no
//!   replica, skipping keeps every intact record. A resend of a lost
//!   sequence number is written again (it fills the gap).
//! - a consumer's **committed position** is checked against the recovered log
//!   (`consumer::start_position`): past the end (recovery cut what it had read) it is
//!   reset to the end, inside a record it is moved back to that record's
//!   start, and its record count is corrected; each is said on stderr, so a
//!   consumer never skips new records silently.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::sync::mpsc::{Receiver, Sender, TrySendError};
use ramen::sync::{Notify, oneshot};

use super::record::{self, Record};
use super::report;
use super::storage::{self, Recovered, Segment};

/// The broker's answer to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// Written and fsynced, at this offset.
    Written(u64),
    /// Already in the log (a resend after a restart): not written again.
    Duplicate,
    /// Refused (a gap in the producer's sequence).
    Refused(String),
}

/// A record on its way to the broker, with where to send the ack.
pub struct Append {
    /// The record.
    pub record: Record,
    /// Answered after the record's batch is fsynced.
    pub ack: oneshot::Sender<Ack>,
}

/// What readers can see of a topic: how far the log is fsynced.
pub struct Topic {
    /// The segment file.
    pub path: PathBuf,
    /// Valid, fsynced bytes.
    pub end_byte: Cell<u64>,
    /// Records in those bytes.
    pub end_offset: Cell<u64>,
    /// The byte where each record starts (record `i` at `starts[i]`).
    pub starts: RefCell<Vec<u64>>,
    /// Byte ranges of hole records (damage overwritten by recovery).
    pub holes: Vec<(u64, u64)>,
    /// The broker stopped (finished, failed, or was aborted).
    pub closed: Cell<bool>,
    /// Notified after every batch and when the broker stops.
    pub changed: Notify,
}

/// Batching counters.
#[derive(Default)]
pub struct BrokerStats {
    /// Batches written (one fsync each).
    pub batches: Cell<u64>,
    /// Records written.
    pub records: Cell<u64>,
    /// Resent records recognised and not written again.
    pub duplicates: Cell<u64>,
    /// `hist[i]`: batches of `2^i ..= 2^(i+1) - 1` records.
    pub hist: RefCell<[u64; 16]>,
}

/// One topic's broker: owns the segment; run it as a task with [`Broker::run`].
pub struct Broker {
    segment: Option<Segment>,
    last_seq: HashMap<u32, u64>,
    /// Sequence numbers below a producer's last one that are not in the log
    /// (lost to damage): a resend of one is written, not a duplicate.
    missing: HashSet<(u32, u64)>,
    topic: Rc<Topic>,
    /// Batching counters.
    pub stats: Rc<BrokerStats>,
    batch_max: usize,
}

impl Broker {
    /// Opens the topic's segment in `dir`, recovering it (a torn tail is
    /// cut off, a damaged record in the middle skipped; both said on stderr)
    /// and rebuilding each producer's last sequence number and the
    /// sequence numbers lost to damage.
    pub async fn open(
        dir: PathBuf,
        name: &str,
        batch_max: usize,
    ) -> io::Result<(Broker, Recovered)> {
        let name = name.to_string();
        let path = storage::segment_path(&dir, &name);
        let (d, n) = (dir.clone(), name.clone());
        let (segment, recovered) = blocking(move || Segment::open(&d, &n)).await??;
        let mut seqs: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
        for r in &recovered.records {
            seqs.entry(r.producer).or_default().insert(r.seq);
        }
        let last_seq: HashMap<u32, u64> = seqs
            .iter()
            .filter_map(|(&p, s)| Some((p, *s.last()?)))
            .collect();
        let mut missing = HashSet::new();
        for (&p, present) in &seqs {
            let last = *present.last().expect("a producer has a record");
            missing.extend((0..last).filter(|s| !present.contains(s)).map(|s| (p, s)));
        }
        report::recovery(&name, &dir, &recovered, segment.len, &missing);
        let topic = Rc::new(Topic {
            path,
            end_byte: Cell::new(segment.len),
            end_offset: Cell::new(recovered.records.len() as u64),
            starts: RefCell::new(recovered.starts.clone()),
            holes: recovered.holes.clone(),
            closed: Cell::new(false),
            changed: Notify::new(),
        });
        let broker = Broker {
            segment: Some(segment),
            last_seq,
            missing,
            topic,
            stats: Rc::default(),
            batch_max: batch_max.max(1),
        };
        Ok((broker, recovered))
    }

    /// The topic's shared state, for consumers.
    pub fn topic(&self) -> Rc<Topic> {
        self.topic.clone()
    }

    /// Records (producer, sequence number) lost to damage, not yet resent.
    pub fn lost(&self) -> Vec<(u32, u64)> {
        let mut v: Vec<_> = self.missing.iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// Serves appends until every producer is gone. Dropped (aborted) at
    /// any await, it acks nothing more; a batch whose write already started
    /// on the blocking pool still reaches the file, unacknowledged.
    pub async fn run(mut self, mut rx: Receiver<Append>) -> io::Result<()> {
        let _closed = CloseOnDrop(self.topic.clone());
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < self.batch_max {
                match rx.try_recv() {
                    Ok(a) => batch.push(a),
                    Err(_) => break,
                }
            }
            self.write_batch(batch).await?;
        }
        Ok(())
    }

    async fn write_batch(&mut self, batch: Vec<Append>) -> io::Result<()> {
        let mut bytes = Vec::new();
        let mut accepted = Vec::new();
        let mut offset = self.topic.end_offset.get();
        let mut starts = Vec::new();
        let base = self.topic.end_byte.get();
        for Append { record: r, ack } in batch {
            let expected = self.last_seq.get(&r.producer).map_or(0, |s| s + 1);
            // A resend of a record lost to damage fills its gap.
            let refill = r.seq < expected && self.missing.remove(&(r.producer, r.seq));
            if r.seq < expected && !refill {
                self.stats.duplicates.set(self.stats.duplicates.get() + 1);
                let _ = ack.send(Ack::Duplicate);
            } else if r.seq > expected {
                let _ = ack.send(Ack::Refused(format!(
                    "sequence gap: expected {expected}, got {}",
                    r.seq
                )));
            } else {
                starts.push(base + bytes.len() as u64);
                record::encode(&r, &mut bytes);
                if !refill {
                    self.last_seq.insert(r.producer, r.seq);
                }
                accepted.push((ack, offset));
                offset += 1;
            }
        }
        if accepted.is_empty() {
            return Ok(());
        }
        let mut segment = self
            .segment
            .take()
            .expect("segment is back after each write");
        let (segment, written) = blocking(move || {
            let r = segment.append(&bytes);
            (segment, r)
        })
        .await?;
        let end = segment.len;
        self.segment = Some(segment);
        written?; // on error the acks are dropped: the producers see "no ack"
        let n = accepted.len();
        self.topic.starts.borrow_mut().extend(starts);
        self.topic.end_byte.set(end);
        self.topic.end_offset.set(offset);
        self.topic.changed.notify_waiters();
        for (ack, off) in accepted {
            let _ = ack.send(Ack::Written(off));
        }
        let s = &self.stats;
        s.batches.set(s.batches.get() + 1);
        s.records.set(s.records.get() + n as u64);
        s.hist.borrow_mut()[(usize::BITS - 1 - n.leading_zeros()) as usize] += 1;
        Ok(())
    }
}

/// `ramen::spawn_blocking`, with a panic or cancellation as an `io::Error`
/// (`JoinError` holds the panic payload, which is not `Sync`, so it is
/// turned into text).
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    ramen::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(e.to_string()))
}

struct CloseOnDrop(Rc<Topic>);
impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.closed.set(true);
        self.0.changed.notify_waiters();
    }
}

/// How long one producer's sends waited for room in the channel.
#[derive(Debug, Default, Clone)]
pub struct ProducerReport {
    /// The producer.
    pub id: u32,
    /// Records handed to the channel.
    pub sends: u64,
    /// Sends that found the channel full and waited.
    pub waited: u64,
    /// Total time spent waiting.
    pub wait_total: Duration,
    /// Longest single wait.
    pub wait_max: Duration,
    /// Records acked as duplicates (resends after a restart).
    pub duplicates: u64,
}

/// The payload of producer `id`'s record `seq` (so a consumer can check it).
pub fn payload(id: u32, seq: u64) -> Vec<u8> {
    format!("producer {id} record {seq}").into_bytes()
}

/// Sends records `acked.get()..to` of producer `id`, then waits for their
/// acks. `acked` always holds "every record below this one is acknowledged"
/// (written or duplicate), so a restart resumes from it. Stops early with an
/// error if the broker goes away; the report covers what was done.
pub async fn produce(
    id: u32,
    tx: Sender<Append>,
    to: u64,
    acked: Rc<Cell<u64>>,
) -> (ProducerReport, Result<(), String>) {
    let mut rep = ProducerReport {
        id,
        ..Default::default()
    };
    let r = produce_into(&mut rep, tx, to, &acked).await;
    (rep, r)
}

fn settle(
    ack: Result<Ack, oneshot::RecvError>,
    rep: &mut ProducerReport,
    acked: &Cell<u64>,
) -> Result<(), String> {
    match ack {
        Ok(Ack::Written(_)) => {}
        Ok(Ack::Duplicate) => rep.duplicates += 1,
        Ok(Ack::Refused(why)) => return Err(format!("producer {}: refused: {why}", rep.id)),
        Err(_) => {
            return Err(format!(
                "producer {}: broker went away before acking",
                rep.id
            ));
        }
    }
    acked.set(acked.get() + 1);
    Ok(())
}

async fn produce_into(
    rep: &mut ProducerReport,
    tx: Sender<Append>,
    to: u64,
    acked: &Cell<u64>,
) -> Result<(), String> {
    let id = rep.id;
    let mut in_flight: VecDeque<oneshot::Receiver<Ack>> = VecDeque::new();
    for seq in acked.get()..to {
        let (ack_tx, ack_rx) = oneshot::channel();
        let record = Record {
            producer: id,
            seq,
            payload: payload(id, seq),
        };
        let append = Append {
            record,
            ack: ack_tx,
        };
        // "I'll throw it": returns as soon as the channel has room.
        match tx.try_send(append) {
            Ok(()) => {}
            Err(TrySendError::Full(append)) => {
                let started = Instant::now();
                tx.send(append)
                    .await
                    .map_err(|_| format!("producer {id}: broker closed"))?;
                let w = started.elapsed();
                rep.waited += 1;
                rep.wait_total += w;
                rep.wait_max = rep.wait_max.max(w);
            }
            Err(TrySendError::Closed(_)) => return Err(format!("producer {id}: broker closed")),
        }
        rep.sends += 1;
        in_flight.push_back(ack_rx);
        // Count the acks that already came back (acks arrive in order).
        while let Some(Ok(ack)) = in_flight.front_mut().map(|rx| rx.try_recv()) {
            in_flight.pop_front();
            settle(Ok(ack), rep, acked)?;
        }
    }
    for rx in in_flight {
        settle(rx.await, rep, acked)?;
    }
    Ok(())
}
