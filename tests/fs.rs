//! `ramen::fs`: round trips while another task keeps running, `File`'s
//! buffer/seek state machine, and errors that carry their path.

use std::cell::Cell;
use std::io::SeekFrom;
use std::path::PathBuf;
use std::rc::Rc;

use futures::FutureExt;
use ramen::fs::{self, File};
use ramen::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ramen-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn round_trip_while_another_task_ticks() {
    let dir = temp_dir("round");
    ramen::block_on(async {
        let ticks = Rc::new(Cell::new(0u64));
        let t = ticks.clone();
        let ticker = ramen::spawn(async move {
            loop {
                t.set(t.get() + 1);
                ramen::yield_now().await;
            }
        });
        ramen::yield_now().await;
        let before = ticks.get();

        fs::create_dir_all(dir.join("a/b")).await.unwrap();
        let f1 = dir.join("a/b/one.txt");
        let f2 = dir.join("a/two.txt");
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&f1, &body).await.unwrap();
        assert_eq!(fs::read(&f1).await.unwrap(), body);
        assert_eq!(fs::metadata(&f1).await.unwrap().len(), body.len() as u64);
        fs::rename(&f1, &f2).await.unwrap();
        assert!(!f1.exists() && f2.exists());
        assert_eq!(fs::copy(&f2, &f1).await.unwrap(), body.len() as u64);
        fs::write(&f1, "text").await.unwrap();
        assert_eq!(fs::read_to_string(&f1).await.unwrap(), "text");

        let mut names = Vec::new();
        let mut rd = fs::read_dir(dir.join("a")).await.unwrap();
        while let Some(e) = rd.next_entry().await.unwrap() {
            names.push(e.file_name().into_string().unwrap());
        }
        names.sort();
        assert_eq!(names, ["b", "two.txt"]);

        // File: write, seek, read back, set_len.
        let p = dir.join("file.bin");
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&p)
            .await
            .unwrap();
        f.write_all(b"0123456789").await.unwrap();
        f.write_u32(0xdead_beef).await.unwrap();
        assert_eq!(f.seek(SeekFrom::Start(2)).await.unwrap(), 2);
        let mut b = [0u8; 3];
        f.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"234");
        assert_eq!(f.stream_position().await.unwrap(), 5);
        f.seek(SeekFrom::End(-4)).await.unwrap();
        assert_eq!(f.read_u32().await.unwrap(), 0xdead_beef);
        f.set_len(4).await.unwrap();
        assert_eq!(f.metadata().await.unwrap().len(), 4);
        f.rewind().await.unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"0123");
        f.sync_all().await.unwrap();
        f.sync_data().await.unwrap();
        drop(f);

        fs::remove_file(&p).await.unwrap();
        fs::remove_file(&f1).await.unwrap();
        fs::remove_dir(dir.join("a/b")).await.unwrap();
        fs::remove_dir_all(&dir).await.unwrap();
        assert!(!dir.exists());

        let during = ticks.get() - before;
        assert!(
            during > 0,
            "the ticker never ran while fs work was in flight"
        );
        ticker.abort();
    });
}

/// A read that started a job and was dropped leaves read-ahead bytes; a
/// later write must land where the caller is, not where the OS cursor is.
#[test]
fn write_after_read_ahead_lands_at_the_logical_position() {
    let dir = temp_dir("readahead");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("f");
    std::fs::write(&p, b"abcdefghijklmnopqrstuvwxyz").unwrap();
    // One pool thread, held busy, so the read job below stays queued and the
    // first poll of the read is certainly `Pending`.
    let rt = ramen::Runtime::builder()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut f = File::options()
            .read(true)
            .write(true)
            .open(&p)
            .await
            .unwrap();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocker = ramen::spawn_blocking(move || wait.recv().unwrap());
        let mut big = [0u8; 26];
        // Polled once: the read job (26 bytes) is queued, the future dropped.
        assert!(f.read(&mut big).now_or_never().is_none());
        release.send(()).unwrap();
        blocker.await.unwrap();
        let mut five = [0u8; 5];
        assert_eq!(f.read(&mut five).await.unwrap(), 5);
        assert_eq!(&five, b"abcde");
        f.write_all(b"XY").await.unwrap();
        f.flush().await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 7);
    });
    assert_eq!(std::fs::read(&p).unwrap(), b"abcdeXYhijklmnopqrstuvwxyz");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A write "succeeds" into the buffer; its failure comes back from flush.
#[cfg(target_os = "linux")]
#[test]
fn write_error_surfaces_on_flush() {
    ramen::block_on(async {
        let mut f = File::options().write(true).open("/dev/full").await.unwrap();
        assert_eq!(f.write(b"no room").await.unwrap(), 7);
        let e = f.flush().await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
        // Reported once; the file is usable (and still full) afterwards.
        f.flush().await.unwrap();
        f.write_all(b"x").await.unwrap();
        assert!(f.sync_all().await.is_err());
    });
}

#[test]
fn errors_keep_their_kind_and_name_the_path() {
    ramen::block_on(async {
        let missing = std::env::temp_dir().join("ramen-fs-definitely-missing/x");
        let e = fs::read(&missing).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().contains("definitely-missing"), "{e}");
        let e = File::open(&missing).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let e = fs::remove_dir(&missing).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        let dir = temp_dir("utf8");
        fs::create_dir(&dir).await.unwrap();
        fs::write(dir.join("bad"), [0xff, 0xfe]).await.unwrap();
        let e = fs::read_to_string(dir.join("bad")).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let e = fs::create_dir(&dir).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        fs::remove_dir_all(&dir).await.unwrap();
    });
}

/// Many small writes, each a separate pool job, land in order; a
/// `BufReader` over a `File` reads them back line by line.
#[test]
fn small_writes_keep_their_order_and_read_back_as_lines() {
    use ramen::io::{AsyncBufReadExt, BufReader};
    let dir = temp_dir("order");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("lines.txt");
    ramen::block_on(async {
        let mut f = File::create(&p).await.unwrap();
        for i in 0..500 {
            f.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
        }
        f.shutdown().await.unwrap();
        drop(f);
        let mut lines = BufReader::new(File::open(&p).await.unwrap()).lines();
        let mut n = 0;
        while let Some(l) = lines.next_line().await.unwrap() {
            assert_eq!(l, format!("line {n}"));
            n += 1;
        }
        assert_eq!(n, 500);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
