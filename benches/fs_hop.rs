//! What the blocking-pool hop costs a file read: 4 KiB reads of a cached
//! 1 MiB file with `std::fs` (the floor), `ramen::fs::File` and
//! `tokio::fs::File` (current_thread runtime), plus whole-file `fs::read`.
//!
//! ```sh
//! cargo run -p ramen-benches --release --bin fs_hop
//! ```
//! Prints ns per operation, best of 5 rounds (contenders interleaved round by
//! round). No assertions: this is a report for `ramen::fs`'s module docs.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

const FILE: usize = 1 << 20;
const CHUNK: usize = 4096;
const READS: usize = 20_000;
const WHOLE: usize = 500;
const ROUNDS: usize = 5;

/// The async read loop, the same text for ramen's and tokio's `File` (each
/// with its own extension traits in scope).
macro_rules! timed_reads {
    ($f:ident) => {{
        let mut buf = [0u8; CHUNK];
        let t = Instant::now();
        for _ in 0..READS {
            if $f.read(&mut buf).await.unwrap() == 0 {
                $f.rewind().await.unwrap();
            }
        }
        t.elapsed().as_nanos() as f64 / READS as f64
    }};
}

fn std_reads(p: &Path) -> f64 {
    let mut f = std::fs::File::open(p).unwrap();
    let mut buf = [0u8; CHUNK];
    let t = Instant::now();
    for _ in 0..READS {
        if f.read(&mut buf).unwrap() == 0 {
            f.seek(SeekFrom::Start(0)).unwrap();
        }
    }
    t.elapsed().as_nanos() as f64 / READS as f64
}

fn ramen_reads(p: &Path) -> f64 {
    use ramen::io::{AsyncReadExt, AsyncSeekExt};
    ramen::block_on(async {
        let mut f = ramen::fs::File::open(p).await.unwrap();
        timed_reads!(f)
    })
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn tokio_reads(p: &Path) -> f64 {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    tokio_rt().block_on(async {
        let mut f = tokio::fs::File::open(p).await.unwrap();
        timed_reads!(f)
    })
}

fn std_whole(p: &Path) -> f64 {
    let t = Instant::now();
    for _ in 0..WHOLE {
        assert_eq!(std::fs::read(p).unwrap().len(), FILE);
    }
    t.elapsed().as_nanos() as f64 / WHOLE as f64
}

fn ramen_whole(p: &Path) -> f64 {
    let p = p.to_path_buf();
    ramen::block_on(async move {
        let t = Instant::now();
        for _ in 0..WHOLE {
            assert_eq!(ramen::fs::read(&p).await.unwrap().len(), FILE);
        }
        t.elapsed().as_nanos() as f64 / WHOLE as f64
    })
}

fn tokio_whole(p: &Path) -> f64 {
    tokio_rt().block_on(async {
        let t = Instant::now();
        for _ in 0..WHOLE {
            assert_eq!(tokio::fs::read(p).await.unwrap().len(), FILE);
        }
        t.elapsed().as_nanos() as f64 / WHOLE as f64
    })
}

fn main() {
    let p: PathBuf = std::env::temp_dir().join(format!("ramen-fs-hop-{}", std::process::id()));
    std::fs::write(&p, vec![7u8; FILE]).unwrap();
    let _ = std::fs::read(&p).unwrap(); // in the page cache from here on
    type Run = fn(&Path) -> f64;
    let rows: [(&str, [Run; 3]); 2] = [
        (
            "4 KiB read, cached file",
            [std_reads, ramen_reads, tokio_reads],
        ),
        ("fs::read of 1 MiB", [std_whole, ramen_whole, tokio_whole]),
    ];
    println!("| ns per op (best of {ROUNDS}) | std::fs | ramen::fs | tokio::fs | ramen ÷ std |");
    println!("|---|---|---|---|---|");
    for (name, runs) in rows {
        let mut best = [f64::MAX; 3];
        for _ in 0..ROUNDS {
            for (b, run) in best.iter_mut().zip(runs) {
                *b = b.min(run(&p));
            }
        }
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.1}× |",
            best[0],
            best[1],
            best[2],
            best[1] / best[0]
        );
    }
    std::fs::remove_file(&p).unwrap();
}
