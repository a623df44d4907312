//! `examples/log_stream` after damage and crashes: a byte flipped in the
//! middle of a log costs only that record (and says so), a consumer whose
//! committed position is past what recovery kept is reset instead of skipping
//! new records, and re-running the example on an existing `--dir` resumes the
//! exactly-once check where each consumer was.

#![allow(dead_code)]

mod log_stream_support;

use log_stream_support::{TempDir, broker, consumer, record, report, storage};

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::process::Output;
use std::rc::Rc;

use broker::Broker;
use record::{HEADER, MAX_PAYLOAD, Record};
use report::Checker;

fn rec(producer: u32, seq: u64) -> Record {
    Record {
        producer,
        seq,
        payload: broker::payload(producer, seq),
    }
}

/// A log of producer 0's records `0..n`, and where each starts.
fn log_of(n: u64) -> (Vec<u8>, Vec<usize>) {
    let (mut log, mut starts) = (Vec::new(), Vec::new());
    for i in 0..n {
        starts.push(log.len());
        record::encode(&rec(0, i), &mut log);
    }
    (log, starts)
}

#[test]
fn scan_skips_a_damaged_record_in_the_middle_and_cuts_only_a_tail() {
    let (log, starts) = log_of(100);
    // A flipped payload byte: the record's own length finds the next one.
    let mut bad = log.clone();
    bad[starts[50] + HEADER + 3] ^= 0x40;
    let s = record::scan(&bad);
    assert_eq!(s.records.len(), 99);
    assert!(!s.records.contains(&rec(0, 50)));
    let len = starts[51] - starts[50];
    assert_eq!(
        s.damaged,
        [record::Damage {
            start: starts[50],
            len,
            one_record: true
        }]
    );
    assert_eq!(s.end, log.len(), "nothing cut");
    // A flipped length byte: found again by trying every later byte.
    let mut bad = log.clone();
    bad[starts[30] + 1] ^= 0x01;
    bad[starts[70] + 8] ^= 0x10; // and a flipped producer id further on
    let s = record::scan(&bad);
    assert_eq!(s.records.len(), 98);
    assert_eq!(s.damaged.len(), 2);
    assert_eq!(
        (s.damaged[0].start, s.damaged[0].one_record),
        (starts[30], false)
    );
    assert_eq!(s.damaged[0].len, starts[31] - starts[30]);
    assert_eq!(
        s.starts[30], starts[31] as u64,
        "offsets after the damage are right"
    );
    // Damage with nothing valid after it is the tail: cut.
    let mut bad = log.clone();
    bad[starts[99] + HEADER] ^= 1;
    let s = record::scan(&bad);
    assert_eq!(
        (s.records.len(), s.end, s.damaged.len()),
        (99, starts[99], 0)
    );
}

#[test]
fn holes_fill_exactly_the_damaged_length() {
    let max = HEADER + MAX_PAYLOAD;
    for len in [
        HEADER,
        HEADER + 1,
        57,
        max,
        max + 1,
        max + HEADER - 1,
        2 * max + 5,
    ] {
        let mut out = Vec::new();
        record::encode_holes(len, &mut out);
        assert_eq!(out.len(), len);
        let s = record::scan(&out);
        assert_eq!((s.records.len(), s.end), (0, len), "len {len}");
    }
}

#[test]
fn recovery_overwrites_the_damage_with_holes_and_keeps_the_evidence() {
    let dir = TempDir::new("recovery-repair");
    let (log, starts) = log_of(20);
    let mut bad = log.clone();
    bad[starts[5] + HEADER] ^= 0x40;
    let path = storage::segment_path(&dir.0, "t");
    std::fs::write(&path, &bad).unwrap();
    let (seg, r) = storage::Segment::open(&dir.0, "t").unwrap();
    assert_eq!(
        (r.records.len(), r.truncated, seg.len),
        (19, 0, log.len() as u64)
    );
    let hole = (starts[5] as u64, starts[6] as u64);
    assert_eq!(r.holes, [hole]);
    let saved = std::fs::read(storage::damaged_path(&dir.0, "t", starts[5])).unwrap();
    assert_eq!(
        saved,
        bad[starts[5]..starts[6]],
        "the damaged bytes, kept aside"
    );
    drop(seg);
    // The file decodes end to end now; readers skip the hole.
    let on_disk = std::fs::read(&path).unwrap();
    assert_eq!(record::decode_prefix(&on_disk).1, on_disk.len());
    let read = storage::read_range(&path, 0, on_disk.len() as u64).unwrap();
    assert_eq!(read, r.records);
    // Reopening finds the hole, no new damage, the same records.
    let (_, again) = storage::Segment::open(&dir.0, "t").unwrap();
    assert_eq!(
        (again.records, again.holes, again.damaged),
        (r.records, vec![hole], vec![])
    );
}

/// Appends `n` records of producer 0 to `t` in `dir` through a broker, from
/// `from`, and consumes as "reader"; returns the consumer's start position,
/// the records it saw and where it ended.
fn produce_and_consume(dir: &Path, from: u64, to: u64) -> (storage::Committed, Vec<Record>, u64) {
    ramen::block_on(async {
        let (b, _) = Broker::open(dir.to_path_buf(), "t", 8).await.unwrap();
        let topic = b.topic();
        let start = consumer::start_position(&topic, dir, "reader")
            .await
            .unwrap();
        let (tx, rx) = ramen::sync::mpsc::channel(4);
        let run = ramen::spawn(b.run(rx));
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let consumer = ramen::spawn(consumer::consume(
            topic,
            dir.into(),
            "reader",
            start,
            move |_, r| s.borrow_mut().push(r.clone()),
        ));
        let (_, r) = broker::produce(0, tx, to, Rc::new(Cell::new(from))).await;
        r.unwrap();
        run.await.unwrap().unwrap();
        let end = consumer.await.unwrap().unwrap();
        (start, seen.take(), end.offset)
    })
}

#[test]
fn a_consumer_past_the_recovered_end_is_reset_and_reads_every_new_record() {
    let dir = TempDir::new("recovery-past-end");
    let (_, seen, _) = produce_and_consume(&dir.0, 0, 10);
    assert_eq!(seen.len(), 10);
    // The last record is damaged: recovery cuts it, the reader had read it.
    let path = storage::segment_path(&dir.0, "t");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    // Records 9 (resent: it is not in the log any more) to 14 are new.
    let (start, seen, end) = produce_and_consume(&dir.0, 0, 15);
    assert_eq!(start.offset, 9, "reset to the recovered end");
    let want: Vec<_> = (9..15).map(|i| rec(0, i)).collect();
    assert_eq!(seen, want, "no new record skipped");
    assert_eq!(end, 15);
    // A committed byte inside a record moves back to the record's start.
    storage::store_offset(
        &dir.0,
        "reader",
        storage::Committed {
            offset: 3,
            byte: 50,
        },
    )
    .unwrap();
    let (start, seen, _) = produce_and_consume(&dir.0, 0, 15);
    let first = HEADER as u64 + rec(0, 0).payload.len() as u64;
    assert_eq!((start.offset, start.byte), (1, first));
    assert_eq!(seen.first(), Some(&rec(0, 1)));
}

#[test]
fn a_resent_lost_record_fills_its_gap_and_the_checker_accepts_it() {
    let dir = TempDir::new("recovery-refill");
    produce_and_consume(&dir.0, 0, 10);
    let path = storage::segment_path(&dir.0, "t");
    let mut bytes = std::fs::read(&path).unwrap();
    let (_, starts) = log_of(10);
    bytes[starts[4] + HEADER + 1] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let lost = ramen::block_on(async {
        let (b, r) = Broker::open(dir.0.clone(), "t", 8).await.unwrap();
        assert_eq!(r.records.len(), 9);
        b.lost()
    });
    assert_eq!(lost, [(0, 4)]);
    // The reader had read everything; the producer resends 0..12 (a new run).
    let (start, seen, _) = produce_and_consume(&dir.0, 0, 12);
    assert_eq!(
        start.offset, 9,
        "the offset counts the records that are left"
    );
    assert_eq!(
        seen,
        [rec(0, 4), rec(0, 10), rec(0, 11)],
        "4 written again, once"
    );
    let mut c = Checker::default();
    c.expect_lost(lost);
    (0..10)
        .filter(|&i| i != 4)
        .for_each(|i| c.replay(&rec(0, i)));
    seen.iter().for_each(|r| c.see(r));
    assert!(c.clean(), "{c:?}");
    assert_eq!((c.refilled, c.missing(0, 12)), (1, 0));
}

#[test]
fn the_checker_flags_a_jump_unless_recovery_reported_it() {
    let mut c = Checker::default();
    c.see(&rec(1, 0));
    c.see(&rec(1, 2));
    assert_eq!((c.out_of_order, c.missing(1, 3)), (1, 1));
    let mut c = Checker::default();
    c.expect_lost([(1, 1)]);
    c.see(&rec(1, 0));
    c.see(&rec(1, 2));
    assert_eq!(
        (c.out_of_order, c.missing(1, 3)),
        (0, 1),
        "lost still counts as missing"
    );
    c.see(&rec(1, 2));
    assert_eq!(c.duplicates, 1);
}

// ---- the example binary ----

fn run(dir: &Path) -> Output {
    let args = ["--producers", "3", "--records", "400", "--batch-max", "16"];
    std::process::Command::new(log_stream_support::example_binary())
        .args(["--dir", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    let (o, e) = (&out.stdout, &out.stderr);
    (
        String::from_utf8_lossy(o).into(),
        String::from_utf8_lossy(e).into(),
    )
}

fn summary(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|l| l.starts_with("summary:"))
        .expect("summary line")
}

/// Where each record of a segment starts.
fn starts_of(path: &Path) -> Vec<usize> {
    let bytes = std::fs::read(path).unwrap();
    let (mut pos, mut starts) = (0, Vec::new());
    while let Some((_, used)) = record::decode(&bytes[pos..]) {
        starts.push(pos);
        pos += used;
    }
    starts
}

#[test]
fn example_rerun_on_a_damaged_dir_says_what_it_lost_and_skips_nothing_new() {
    let dir = TempDir::new("recovery-bin-damage");
    let first = run(&dir.0);
    assert!(first.status.success(), "{:?}", text(&first));
    // A byte flipped in the middle of topic-0, and in the last record of
    // topic-1 (whose reader had read it).
    let (t0, t1) = (
        storage::segment_path(&dir.0, "topic-0"),
        storage::segment_path(&dir.0, "topic-1"),
    );
    let starts = starts_of(&t0);
    let mid = starts[starts.len() / 2];
    let mut bytes = std::fs::read(&t0).unwrap();
    bytes[mid + HEADER + 2] ^= 0x40;
    std::fs::write(&t0, &bytes).unwrap();
    let mut bytes = std::fs::read(&t1).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&t1, &bytes).unwrap();

    let second = run(&dir.0);
    let (stdout, stderr) = text(&second);
    assert!(second.status.success(), "{stdout}\n{stderr}");
    let n0 = starts.len();
    assert!(
        stdout.contains(&format!("topic-0: opened with {} records", n0 - 1)),
        "{stdout}"
    );
    for want in [
        format!(
            "topic-0: RECOVERY: {} damaged bytes at byte {mid} (one record)",
            starts[n0 / 2 + 1] - mid
        ),
        "ACKNOWLEDGED RECORDS LOST".into(),
        "topic-0: RECOVERY: 1 acknowledged records lost: producer ".into(),
        "topic-1: recovery: cut ".into(),
        "topic-1-reader: committed offset 400 (byte ".into(),
        "past the recovered end of the log (offset 399, byte ".into(),
    ] {
        assert!(stderr.contains(&want), "{want:?} in {stderr}");
    }
    let s = summary(&stdout);
    for want in [
        "out_of_order=0 ",
        "missing=0 ",
        "duplicates=0 ",
        "lost_in_recovery=1 ",
        "refilled=1 ",
    ] {
        assert!(s.contains(want), "{want:?} in {s}");
    }
    // Both lost records were resent, written again and read: 2 records.
    assert!(s.contains("consumed=2 "), "{s}");
}

#[test]
fn example_rerun_after_a_crash_resumes_each_consumers_check() {
    let dir = TempDir::new("recovery-bin-crash");
    let first = run(&dir.0);
    assert!(first.status.success(), "{:?}", text(&first));
    // What a crash leaves: topic-0 fsynced further than its reader
    // committed; topic-1's reader had read everything.
    let starts = starts_of(&storage::segment_path(&dir.0, "topic-0"));
    let half = starts.len() / 2;
    let lag = storage::Committed {
        offset: half as u64,
        byte: starts[half] as u64,
    };
    storage::store_offset(&dir.0, "topic-0-reader", lag).unwrap();

    let second = run(&dir.0);
    let (stdout, stderr) = text(&second);
    assert!(second.status.success(), "{stdout}\n{stderr}");
    let s = summary(&stdout);
    let consumed = format!("consumed={} ", starts.len() - half);
    for want in [
        "acked=1200 ",
        &consumed,
        "duplicates=0 ",
        "out_of_order=0 ",
        "missing=0 ",
    ] {
        assert!(s.contains(want), "{want:?} in {s}");
    }
    assert!(
        !stderr.contains("RECOVERY"),
        "nothing was damaged: {stderr}"
    );
}

#[test]
fn example_rerun_after_a_real_kill_reports_no_gap() {
    let dir = TempDir::new("recovery-bin-kill");
    let args = [
        "--producers",
        "3",
        "--records",
        "20000",
        "--batch-max",
        "16",
    ];
    let dir_arg = ["--dir", dir.0.to_str().unwrap()];
    let mut child = std::process::Command::new(log_stream_support::example_binary())
        .args(dir_arg)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // SIGKILL once a quarter of topic-0 is on disk (if it finished first,
    // the rerun below still has to resume cleanly).
    let log = storage::segment_path(&dir.0, "topic-0");
    let quarter = 40_000 * 42 / 4;
    for _ in 0..20_000 {
        let len = std::fs::metadata(&log).map_or(0, |m| m.len());
        if len > quarter || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = child.kill();
    child.wait().unwrap();
    let second = std::process::Command::new(log_stream_support::example_binary())
        .args(dir_arg)
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&second);
    assert!(second.status.success(), "{stdout}\n{stderr}");
    let s = summary(&stdout);
    for want in [
        "acked=60000 ",
        "duplicates=0 ",
        "out_of_order=0 ",
        "missing=0 ",
    ] {
        assert!(s.contains(want), "{want:?} in {s}");
    }
}
