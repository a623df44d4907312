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

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::sync::mpsc::{Receiver, Sender, TrySendError};
use ramen::sync::{Notify, oneshot};

use super::record::{self, Record};
use super::storage::{self, Committed, Recovered, Segment};

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
    topic: Rc<Topic>,
    /// Batching counters.
    pub stats: Rc<BrokerStats>,
    batch_max: usize,
}

impl Broker {
    /// Opens the topic's segment in `dir`, recovering it (a torn or corrupt
    /// tail is cut off) and rebuilding each producer's last sequence number.
    pub async fn open(
        dir: PathBuf,
        name: &str,
        batch_max: usize,
    ) -> io::Result<(Broker, Recovered)> {
        let name = name.to_string();
        let path = storage::segment_path(&dir, &name);
        let (segment, recovered) = blocking(move || Segment::open(&dir, &name)).await??;
        let mut last_seq = HashMap::new();
        for r in &recovered.records {
            last_seq.insert(r.producer, r.seq);
        }
        let topic = Rc::new(Topic {
            path,
            end_byte: Cell::new(segment.len),
            end_offset: Cell::new(recovered.records.len() as u64),
            closed: Cell::new(false),
            changed: Notify::new(),
        });
        let broker = Broker {
            segment: Some(segment),
            last_seq,
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
        for Append { record: r, ack } in batch {
            let expected = self.last_seq.get(&r.producer).map_or(0, |s| s + 1);
            if r.seq < expected {
                self.stats.duplicates.set(self.stats.duplicates.get() + 1);
                let _ = ack.send(Ack::Duplicate);
            } else if r.seq > expected {
                let _ = ack.send(Ack::Refused(format!(
                    "sequence gap: expected {expected}, got {}",
                    r.seq
                )));
            } else {
                record::encode(&r, &mut bytes);
                self.last_seq.insert(r.producer, r.seq);
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
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
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

/// Reads `topic` from consumer `name`'s committed position, at its own pace,
/// calling `f` for each record and committing after each read; returns when
/// the broker has stopped and everything fsynced was read.
pub async fn consume(
    topic: Rc<Topic>,
    dir: PathBuf,
    name: &str,
    mut f: impl FnMut(u64, &Record),
) -> io::Result<Committed> {
    let name = name.to_string();
    let (d, n) = (dir.clone(), name.clone());
    let mut pos = blocking(move || storage::load_offset(&d, &n)).await??;
    loop {
        let changed = topic.changed.notified(); // before the check: no lost wake-up
        let end = topic.end_byte.get();
        if pos.byte < end {
            let (path, from) = (topic.path.clone(), pos.byte);
            let records = blocking(move || storage::read_range(&path, from, end)).await??;
            for r in &records {
                f(pos.offset, r);
                pos.offset += 1;
            }
            pos.byte = end;
            let (d, n) = (dir.clone(), name.clone());
            blocking(move || storage::store_offset(&d, &n, pos)).await??;
            continue;
        }
        if topic.closed.get() {
            return Ok(pos);
        }
        changed.await;
    }
}
