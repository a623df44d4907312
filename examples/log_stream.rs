//! # log_stream — kafka's model, in one process
//!
//! "I'll throw this" and "I'll take it when I'm ready": producers and
//! consumers never meet. Producers append records to topics; a broker per
//! topic batches them into an append-only file and fsyncs; consumers read the
//! file from their own committed offset, at their own pace.
//!
//! ```text
//! cargo run --release --example log_stream
//! cargo run --release --example log_stream -- --producers 8 --records 20000 --channel-cap 16
//! cargo run --release --example log_stream -- --restart     # kill the brokers mid-stream
//! ```
//!
//! What to look for in the output:
//! - **batch sizes**: one fsync per batch. While a batch is being written
//!   and fsynced (on the blocking pool, `ramen::spawn_blocking`), records
//!   queue up, and the next batch takes them all: when producers are faster
//!   than the disk, batches grow to what the channel holds (`--channel-cap`,
//!   at most `--batch-max`), and the number of fsyncs drops accordingly.
//! - **producer waits**: a send that finds the bounded channel full waits
//!   for room (backpressure). A smaller `--channel-cap` means more waits.
//! - **--restart**: the brokers are aborted halfway (their runtime is shut
//!   down, as in a crash; a half-written record is appended to each file to
//!   imitate a torn write), then reopened on the same directory. Recovery
//!   cuts the torn tail (length and CRC checks, `log_stream/record.rs`);
//!   producers resend everything not acknowledged, and the broker recognises
//!   records it already has by producer sequence number. The summary checks
//!   that the consumer saw every record exactly once, in order per producer.
//! - **stderr after damage**: a byte flipped in the middle of a log costs
//!   only that record (recovery skips it and names the acknowledged records
//!   lost; see `log_stream/broker.rs`), and a consumer whose committed
//!   position is past what recovery kept is reset to the end, loudly.
//!   Re-running on an existing `--dir` resumes: each consumer's check starts
//!   from the records it had already read.
//!
//! ## What kafka has and this lacks
//! Partitions spread over many brokers and replicated (leader, followers,
//! in-sync replicas, `acks=all`), consumer groups with partition assignment
//! and rebalancing, retention and compaction, several segment files per
//! partition with indexes, zero-copy `sendfile` to consumers, a network
//! protocol, transactions, and a controller (KRaft). Production work runs on
//! kafka; this shows why its design is "built around waiting": batching,
//! backpressure and acknowledgements are what to do while the disk is busy.

#[path = "log_stream/broker.rs"]
mod broker;
#[path = "log_stream/consumer.rs"]
mod consumer;
#[path = "log_stream/record.rs"]
mod record;
#[path = "log_stream/report.rs"]
mod report;
#[path = "log_stream/storage.rs"]
mod storage;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use broker::{Broker, ProducerReport};
use report::Checker;

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: log_stream [--dir DIR] [--topics N] [--producers N] [--records N] \
                     [--batch-max N] [--channel-cap N] [--restart]";

struct Args {
    dir: Option<PathBuf>,
    topics: u32,
    producers: u32,
    records: u64,
    batch_max: usize,
    channel_cap: usize,
    restart: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        dir: None,
        topics: 2,
        producers: 4,
        records: 5000,
        batch_max: 256,
        channel_cap: 64,
        restart: false,
    };
    flags::parse("log_stream", USAGE, &["--restart"], |flag, value| {
        let num = || flags::positive::<u64>(flag, &value);
        match flag {
            "--dir" => a.dir = Some(PathBuf::from(&value)),
            "--topics" => a.topics = num()? as u32,
            "--producers" => a.producers = num()? as u32,
            "--records" => a.records = num()?,
            "--batch-max" => a.batch_max = num()? as usize,
            "--channel-cap" => a.channel_cap = num()? as usize,
            "--restart" => a.restart = true,
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    a
}

/// State that outlives one broker run (one "process lifetime").
struct Shared {
    /// Per producer: every record below this one is acknowledged.
    acked: Vec<Rc<Cell<u64>>>,
    checker: Rc<RefCell<Checker>>,
    /// Acknowledged records recovery reported lost (summed over runs).
    lost: Cell<u64>,
    reports: RefCell<Vec<ProducerReport>>,
}

fn topic_name(t: u32) -> String {
    format!("topic-{t}")
}

fn main() {
    let args = parse_args();
    let temp = args.dir.is_none();
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("log_stream-{}", std::process::id())));
    println!(
        "log_stream: {} producers x {} records over {} topics, batch-max {}, channel-cap {}, dir {}",
        args.producers,
        args.records,
        args.topics,
        args.batch_max,
        args.channel_cap,
        dir.display()
    );
    let shared = Shared {
        acked: (0..args.producers).map(|_| Rc::new(Cell::new(0))).collect(),
        checker: Rc::new(RefCell::new(Checker::default())),
        lost: Cell::new(0),
        reports: RefCell::new(Vec::new()),
    };
    let started = Instant::now();
    let mut code = 0;
    if args.restart {
        println!("\n== run 1: brokers killed after half the records are acknowledged ==");
        if let Err(e) = run_once(&args, &dir, &shared, true) {
            eprintln!("log_stream: {e}");
            code = 1;
        }
        report::tear_tails(&dir, args.topics, topic_name);
        println!("\n== run 2: restart on the same directory ==");
        println!(
            "(a topic may reopen with more records than run 1 counted: a batch already on a \
             blocking thread (write + fsync) when the brokers were aborted still finished, like \
             a write the kernel had accepted before a crash. Nobody acknowledged those records, \
             so their producers resend them and the broker skips them as duplicates.)"
        );
    }
    if code == 0 {
        if let Err(e) = run_once(&args, &dir, &shared, false) {
            eprintln!("log_stream: {e}");
            code = 1;
        }
    }
    report::print_producers(&shared.reports.borrow(), args.channel_cap);
    let acked: u64 = shared.acked.iter().map(|c| c.get()).sum();
    let c = shared.checker.borrow();
    let missing: u64 = (0..args.producers)
        .map(|p| c.missing(p, shared.acked[p as usize].get()))
        .sum();
    println!(
        "summary: acked={acked} consumed={} duplicates={} out_of_order={} missing={missing} \
         bad_payload={} lost_in_recovery={} refilled={} elapsed={:.0?}",
        c.consumed,
        c.duplicates,
        c.out_of_order,
        c.bad_payload,
        shared.lost.get(),
        c.refilled,
        started.elapsed()
    );
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if code == 0 && (acked != args.records * u64::from(args.producers) || !c.clean() || missing > 0)
    {
        code = 1;
    }
    std::process::exit(code);
}

/// What recovery found when a topic was opened.
fn print_opened(name: &str, rec: &storage::Recovered) {
    let damaged: usize = rec.damaged.iter().map(|d| d.len).sum();
    println!(
        "{name}: opened with {} records{}{}",
        rec.records.len(),
        if rec.truncated > 0 {
            format!(", cut a torn/corrupt tail of {} bytes", rec.truncated)
        } else {
            String::new()
        },
        if damaged > 0 {
            format!(", skipped {damaged} damaged bytes (see stderr)")
        } else {
            String::new()
        }
    );
}

/// The crash: once half the records are acknowledged, aborts every broker
/// as if the process were killed there.
async fn abort_halfway<'a, T: 'a>(
    args: &Args,
    shared: &Shared,
    brokers: impl Iterator<Item = &'a ramen::JoinHandle<T>>,
) {
    let half = args.records * u64::from(args.producers) / 2;
    while shared.acked.iter().map(|c| c.get()).sum::<u64>() < half {
        ramen::time::sleep(Duration::from_millis(1)).await;
    }
    for b in brokers {
        b.abort();
    }
    let acked: u64 = shared.acked.iter().map(|c| c.get()).sum();
    println!("brokers aborted with {acked} records acknowledged");
}

/// One broker lifetime: its own runtime, dropped at the end like a process.
fn run_once(
    args: &Args,
    dir: &std::path::Path,
    shared: &Shared,
    kill_halfway: bool,
) -> std::io::Result<()> {
    let rt = ramen::Runtime::new()?;
    let result = rt.block_on(async {
        let mut brokers = Vec::new();
        let mut senders = Vec::new();
        let mut consumers = Vec::new();
        for t in 0..args.topics {
            let name = topic_name(t);
            let (broker, rec) = Broker::open(dir.to_path_buf(), &name, args.batch_max).await?;
            print_opened(&name, &rec);
            let lost = broker.lost();
            shared.lost.set(shared.lost.get() + lost.len() as u64);
            shared.checker.borrow_mut().expect_lost(lost);
            let reader = format!("{name}-reader");
            let start = consumer::start_position(&broker.topic(), dir, &reader).await?;
            // Records this consumer read in an earlier run: the check resumes after them.
            for r in &rec.records[..start.offset as usize] {
                shared.checker.borrow_mut().replay(r);
            }
            let (tx, rx) = ramen::sync::mpsc::channel(args.channel_cap);
            senders.push(tx);
            let topic = broker.topic();
            let stats = broker.stats.clone();
            brokers.push((name.clone(), stats, ramen::spawn(broker.run(rx))));
            let checker = shared.checker.clone();
            let d = dir.to_path_buf();
            consumers.push((
                name.clone(),
                ramen::spawn(async move {
                    let see = |_, r: &record::Record| checker.borrow_mut().see(r);
                    consumer::consume(topic, d, &reader, start, see).await
                }),
            ));
        }
        let mut producers = Vec::new();
        for p in 0..args.producers {
            let tx = senders[(p % args.topics) as usize].clone();
            producers.push(ramen::spawn(broker::produce(
                p,
                tx,
                args.records,
                shared.acked[p as usize].clone(),
            )));
        }
        drop(senders); // the brokers stop when their producers are done
        if kill_halfway {
            let brokers = brokers.iter().map(|(_, _, b)| b);
            abort_halfway(args, shared, brokers).await;
        }
        for p in producers {
            let (rep, r) = p.await.expect("producer task");
            if let Err(e) = r {
                if !kill_halfway {
                    return Err(std::io::Error::other(e));
                }
            }
            shared.reports.borrow_mut().push(rep);
        }
        for (name, stats, b) in brokers {
            match b.await {
                Ok(r) => r?,
                Err(e) if e.is_cancelled() => {}
                Err(e) => return Err(std::io::Error::other(e.to_string())),
            }
            report::print_batches(&name, &stats);
        }
        for (name, c) in consumers {
            let pos = c.await.expect("consumer task")?;
            println!(
                "{name}: consumer committed offset {} (byte {})",
                pos.offset, pos.byte
            );
        }
        Ok(())
    });
    // Like a process exit: no task, and no blocking write, outlives the run.
    rt.shutdown_timeout(Duration::from_secs(10));
    result
}
