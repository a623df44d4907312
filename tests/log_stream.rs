//! `examples/log_stream`: the record format and recovery, a broker killed
//! mid-stream and restarted on the same directory (every acknowledged record
//! exactly once, in order per producer), and the example binary's summary.

#![allow(dead_code)]

mod log_stream_support;

use log_stream_support::{TempDir, broker, consumer, record, report, storage};

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use broker::Broker;
use record::Record;
use report::Checker;

fn rec(producer: u32, seq: u64, payload: &[u8]) -> Record {
    Record {
        producer,
        seq,
        payload: payload.to_vec(),
    }
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(record::crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(record::crc32(b""), 0);
    let split = record::crc32_update(record::crc32_update(0, b"1234"), b"56789");
    assert_eq!(split, 0xCBF4_3926, "incremental = one shot");
}

#[test]
fn records_round_trip_and_a_torn_or_corrupt_tail_is_cut() {
    let mut log = Vec::new();
    let records: Vec<_> = (0..5)
        .map(|i| rec(7, i, format!("payload {i}").as_bytes()))
        .collect();
    for r in &records {
        record::encode(r, &mut log);
    }
    assert_eq!(record::decode_prefix(&log), (records.clone(), log.len()));
    let last_start = log.len() - (record::HEADER + "payload 4".len());
    // Every cut inside the last record keeps the first four.
    for cut in last_start..log.len() {
        let (got, valid) = record::decode_prefix(&log[..cut]);
        assert_eq!((got.len(), valid), (4, last_start), "cut at {cut}");
    }
    // Any flipped byte in the last record (length, CRC, header, payload) is detected.
    for i in last_start..log.len() {
        let mut bad = log.clone();
        bad[i] ^= 0x40;
        let (got, valid) = record::decode_prefix(&bad);
        assert_eq!((got.len(), valid), (4, last_start), "flip at {i}");
    }
    // A declared length far beyond the data is corruption, not an allocation.
    let mut huge = log[..last_start].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    huge.extend_from_slice(&[0; 16]);
    assert_eq!(record::decode_prefix(&huge).1, last_start);
}

#[test]
fn segment_open_truncates_the_bad_tail_on_disk() {
    let dir = TempDir::new("segment");
    let mut good = Vec::new();
    record::encode(&rec(1, 0, b"kept"), &mut good);
    let path = storage::segment_path(&dir.0, "t");
    let mut file = good.clone();
    file.extend_from_slice(&good[..good.len() - 1]); // a torn copy
    std::fs::write(&path, &file).unwrap();
    let (seg, recovered) = storage::Segment::open(&dir.0, "t").unwrap();
    assert_eq!(recovered.records, [rec(1, 0, b"kept")]);
    assert_eq!(
        (recovered.truncated, seg.len),
        (good.len() as u64 - 1, good.len() as u64)
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        good,
        "the file itself was cut"
    );
}

#[test]
fn offsets_are_committed_and_reloaded() {
    let dir = TempDir::new("offsets");
    assert_eq!(
        storage::load_offset(&dir.0, "c").unwrap(),
        storage::Committed::default()
    );
    let c = storage::Committed {
        offset: 42,
        byte: 4242,
    };
    storage::store_offset(&dir.0, "c", c).unwrap();
    assert_eq!(storage::load_offset(&dir.0, "c").unwrap(), c);
}

const PRODUCERS: u32 = 4;
const RECORDS: u64 = 1500;

/// How the broker dies in run 1.
#[derive(Clone, Copy, PartialEq)]
enum Kill {
    /// `JoinHandle::abort` on the broker task.
    Abort,
    /// `block_on` returns with the broker mid-stream; the runtime is dropped.
    DropRuntime,
}

/// Run 1: producers stream to a broker that is killed once `kill_after`
/// records are acknowledged. Returns what each producer saw acknowledged.
fn run_killed(dir: &std::path::Path, kill: Kill, kill_after: u64) -> Vec<u64> {
    let acked: Vec<Rc<Cell<u64>>> = (0..PRODUCERS).map(|_| Rc::default()).collect();
    let rt = ramen::Runtime::new().unwrap();
    rt.block_on(async {
        let (broker, rec) = Broker::open(dir.to_path_buf(), "t", 32).await.unwrap();
        assert!(rec.records.is_empty());
        let (tx, rx) = ramen::sync::mpsc::channel(16);
        let b = ramen::spawn(broker.run(rx));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                ramen::spawn(broker::produce(
                    p,
                    tx.clone(),
                    RECORDS,
                    acked[p as usize].clone(),
                ))
            })
            .collect();
        drop(tx);
        while acked.iter().map(|c| c.get()).sum::<u64>() < kill_after {
            ramen::yield_now().await; // check after every turn: kill promptly
        }
        if kill == Kill::Abort {
            b.abort();
            let mut cut_off = 0;
            for p in producers {
                cut_off += usize::from(p.await.unwrap().1.is_err());
            }
            assert!(cut_off > 0, "the broker died before every record was acked");
            assert!(b.await.unwrap_err().is_cancelled());
        }
    });
    // A crashed process's threads are gone too: no write outlives run 1.
    assert!(rt.shutdown_timeout(Duration::from_secs(10)));
    acked.iter().map(|c| c.get()).collect()
}

fn kill_and_restart(kill: Kill) {
    let dir = TempDir::new(if kill == Kill::Abort { "abort" } else { "drop" });
    let total = u64::from(PRODUCERS) * RECORDS;
    let acked_before = run_killed(&dir.0, kill, total / 3);
    assert!(
        acked_before.iter().sum::<u64>() < total,
        "killed mid-stream"
    );

    // The crash also left a corrupt record (right length, wrong CRC) at the end.
    let mut junk = Vec::new();
    record::encode(&rec(0, 999_999, b"torn"), &mut junk);
    junk[6] ^= 1;
    let path = storage::segment_path(&dir.0, "t");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&junk)
        .unwrap();

    let checker = Rc::new(RefCell::new(Checker::default()));
    ramen::block_on(async {
        let (broker, rec) = Broker::open(dir.0.clone(), "t", 32).await.unwrap();
        assert_eq!(rec.truncated, junk.len() as u64, "the corrupt tail was cut");
        // Recovered: per producer a gap-free prefix holding every acked record.
        let mut seen = Checker::default();
        rec.records.iter().for_each(|r| seen.see(r));
        assert!(seen.clean(), "{seen:?}");
        for p in 0..PRODUCERS {
            assert!(
                seen.next(p) >= acked_before[p as usize],
                "producer {p}: an acked record was lost"
            );
        }
        // Producers resume from their first unacknowledged record.
        let (tx, rx) = ramen::sync::mpsc::channel(16);
        let topic = broker.topic();
        let b = ramen::spawn(broker.run(rx));
        let c = checker.clone();
        let start = consumer::start_position(&topic, &dir.0, "reader")
            .await
            .unwrap();
        assert_eq!(start, storage::Committed::default(), "a new consumer");
        let consumer = ramen::spawn(consumer::consume(
            topic,
            dir.0.clone(),
            "reader",
            start,
            move |_, r| c.borrow_mut().see(r),
        ));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let acked = Rc::new(Cell::new(acked_before[p as usize]));
                ramen::spawn(broker::produce(p, tx.clone(), RECORDS, acked))
            })
            .collect();
        drop(tx);
        let mut dups = 0;
        for p in producers {
            let (rep, r) = p.await.unwrap();
            r.unwrap();
            dups += rep.duplicates;
        }
        // Written-but-unacked records of run 1 were recognised, not rewritten.
        let unacked_but_written = rec.records.len() as u64 - acked_before.iter().sum::<u64>();
        assert_eq!(dups, unacked_but_written);
        b.await.unwrap().unwrap();
        let pos = consumer.await.unwrap().unwrap();
        assert_eq!(pos.offset, total);
    });
    let c = checker.borrow();
    assert!(c.clean(), "{c:?}");
    assert_eq!(c.consumed, total, "every record exactly once");
    for p in 0..PRODUCERS {
        assert_eq!(c.next(p), RECORDS);
    }
}

#[test]
fn aborted_broker_restarts_without_loss_or_duplicates() {
    kill_and_restart(Kill::Abort);
}

#[test]
fn dropped_runtime_broker_restarts_without_loss_or_duplicates() {
    kill_and_restart(Kill::DropRuntime);
}

#[test]
fn example_binary_restart_demo_reports_exactly_once() {
    let bin = log_stream_support::example_binary();
    let dir = TempDir::new("binary");
    let out = std::process::Command::new(&bin)
        .args([
            "--dir",
            dir.0.to_str().unwrap(),
            "--producers",
            "3",
            "--records",
            "400",
        ])
        .args(["--batch-max", "16", "--channel-cap", "8", "--restart"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("brokers aborted with"), "{stdout}");
    assert!(stdout.contains("cut a torn/corrupt tail"), "{stdout}");
    assert!(stdout.contains("batch "), "a batch histogram: {stdout}");
    assert!(
        stdout.contains("producer waits (channel-cap 8)"),
        "{stdout}"
    );
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("summary:"))
        .expect("summary line");
    for want in [
        "acked=1200 ",
        "consumed=1200 ",
        "duplicates=0 ",
        "out_of_order=0 ",
        "missing=0 ",
    ] {
        assert!(summary.contains(want), "{want:?} in {summary}");
    }
}
