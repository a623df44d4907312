//! `io::copy`, `copy_bidirectional`, `copy_buf`, `BufWriter`, the integer
//! helpers, `read_to_string`, borrowed `split`, and stdio.

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use ramen::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use ramen::net::{TcpListener, TcpSocket, TcpStream, UnixStream};

/// A pseudo-random byte stream (xorshift), so a wrong byte anywhere shows.
fn fill(seed: &mut u64, buf: &mut [u8]) {
    for b in buf {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *b = *seed as u8;
    }
}

/// FNV-1a over everything read until end of stream; returns (bytes, hash).
async fn drain_hash(r: &mut (impl AsyncReadExt + Unpin)) -> (u64, u64) {
    let (mut n, mut h) = (0u64, 0xcbf2_9ce4_8422_2325u64);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let k = r.read(&mut buf).await.unwrap();
        if k == 0 {
            return (n, h);
        }
        for &b in &buf[..k] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        n += k as u64;
    }
}

/// Writes `total` pseudo-random bytes, then shuts down; returns their hash.
async fn send_hash(w: &mut (impl AsyncWriteExt + Unpin), total: usize, mut seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = total;
    while left > 0 {
        let k = left.min(buf.len());
        fill(&mut seed, &mut buf[..k]);
        for &b in &buf[..k] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        w.write_all(&buf[..k]).await.unwrap();
        left -= k;
    }
    w.shutdown().await.unwrap();
    h
}

async fn tcp_pair(l: &TcpListener) -> (TcpStream, TcpStream) {
    let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (s, _) = l.accept().await.unwrap();
    (c, s)
}

#[test]
fn copy_bidirectional_moves_64_mib_each_way_intact() {
    const TOTAL: usize = 64 * 1024 * 1024;
    ramen::block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // client <-> proxy_a   (pair 1)    proxy_b <-> server   (pair 2)
        let (client, mut proxy_a) = tcp_pair(&l).await;
        let (mut proxy_b, server) = tcp_pair(&l).await;
        let proxy =
            ramen::spawn(
                async move { ramen::io::copy_bidirectional(&mut proxy_a, &mut proxy_b).await },
            );
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let c_send = ramen::spawn(async move { send_hash(&mut cw, TOTAL, 1).await });
        let s_send = ramen::spawn(async move { send_hash(&mut sw, TOTAL, 2).await });
        let s_recv = ramen::spawn(async move { drain_hash(&mut sr).await });
        let c_recv = drain_hash(&mut cr).await;
        let (c_sent, s_sent) = (c_send.await.unwrap(), s_send.await.unwrap());
        let s_recv = s_recv.await.unwrap();
        assert_eq!(s_recv, (TOTAL as u64, c_sent), "client → server corrupted");
        assert_eq!(c_recv, (TOTAL as u64, s_sent), "server → client corrupted");
        let (ab, ba) = proxy.await.unwrap().unwrap();
        assert_eq!((ab, ba), (TOTAL as u64, TOTAL as u64));
    });
}

#[test]
fn copy_to_a_peer_that_resets_returns_the_error() {
    ramen::block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // The source: a writer that never stops.
        let (mut src_w, mut src_r) = tcp_pair(&l).await;
        let feeder = ramen::spawn(async move {
            let chunk = vec![7u8; 64 * 1024];
            while src_w.write_all(&chunk).await.is_ok() {}
        });
        // The destination's peer closes with SO_LINGER 0: an RST, not a FIN.
        let peer = TcpSocket::new_v4().unwrap();
        peer.set_linger(Some(Duration::ZERO)).unwrap();
        let mut peer = peer.connect(l.local_addr().unwrap()).await.unwrap();
        let (mut dst, _) = l.accept().await.unwrap();
        let copy = ramen::spawn(async move { ramen::io::copy(&mut src_r, &mut dst).await });
        let mut got = vec![0u8; 256 * 1024];
        peer.read_exact(&mut got).await.unwrap(); // the copy is flowing
        drop(peer);
        let r = ramen::time::timeout(Duration::from_secs(20), copy)
            .await
            .expect("copy did not notice the reset")
            .unwrap();
        let e = r.expect_err("copy to a reset peer must fail, not report a count");
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "{e:?}"
        );
        feeder.abort();
    });
}

/// Counts the `poll_write` calls that reach it.
#[derive(Default)]
struct Counting {
    data: Vec<u8>,
    writes: Rc<Cell<usize>>,
    flushes: usize,
}

impl AsyncWrite for Counting {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.writes.set(this.writes.get() + 1);
        this.data.extend_from_slice(b);
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().flushes += 1;
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn buf_writer_batches_small_writes() {
    ramen::block_on(async {
        let writes = Rc::new(Cell::new(0));
        let inner = Counting {
            writes: writes.clone(),
            ..Default::default()
        };
        let mut w = BufWriter::with_capacity(100, inner);
        for i in 0..100u8 {
            w.write_all(&[i; 10]).await.unwrap(); // 1000 bytes in 10-byte pieces
        }
        assert_eq!(
            writes.get(),
            9,
            "ten pieces per 100-byte batch, last one still queued"
        );
        assert_eq!(w.buffer().len(), 100);
        w.flush().await.unwrap();
        assert_eq!(writes.get(), 10);
        assert_eq!(w.get_ref().flushes, 1);
        // A write as big as the buffer goes straight through, after the queue.
        w.write_all(b"ab").await.unwrap();
        w.write_all(&[9u8; 150]).await.unwrap();
        assert_eq!(writes.get(), 12);
        w.shutdown().await.unwrap();
        let inner = w.into_inner();
        let mut want: Vec<u8> = (0..100u8).flat_map(|i| [i; 10]).collect();
        want.extend_from_slice(b"ab");
        want.extend_from_slice(&[9u8; 150]);
        assert_eq!(inner.data, want);
    });
}

#[test]
fn integers_round_trip_in_the_stated_byte_order() {
    ramen::block_on(async {
        let mut out = Vec::new();
        out.write_u8(0xab).await.unwrap();
        out.write_u16(0x0102).await.unwrap();
        out.write_u32(0x0304_0506).await.unwrap();
        out.write_u64(0x0708_090a_0b0c_0d0e).await.unwrap();
        out.write_u32_le(0x0304_0506).await.unwrap();
        out.write_i16_le(-2).await.unwrap();
        out.write_i32(-3).await.unwrap();
        out.write_i64_le(i64::MIN).await.unwrap();
        out.write_i8(-1).await.unwrap();
        assert_eq!(
            &out[..19],
            &[
                0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 6, 5, 4, 3
            ],
            "big-endian by default, little-endian for _le"
        );
        let mut r = &out[..];
        assert_eq!(r.read_u8().await.unwrap(), 0xab);
        assert_eq!(r.read_u16().await.unwrap(), 0x0102);
        assert_eq!(r.read_u32().await.unwrap(), 0x0304_0506);
        assert_eq!(r.read_u64().await.unwrap(), 0x0708_090a_0b0c_0d0e);
        assert_eq!(r.read_u32_le().await.unwrap(), 0x0304_0506);
        assert_eq!(r.read_i16_le().await.unwrap(), -2);
        assert_eq!(r.read_i32().await.unwrap(), -3);
        assert_eq!(r.read_i64_le().await.unwrap(), i64::MIN);
        assert_eq!(r.read_i8().await.unwrap(), -1);
        let e = r.read_u16().await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let mut short = &[1u8, 2, 3][..];
        let e = short.read_u32().await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("3 of the 4"), "{e}");
    });
}

#[test]
fn integers_split_across_reads_are_reassembled() {
    ramen::block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let reader = ramen::spawn(async move { (b.read_u64().await.unwrap(), b) });
        for byte in 0x1122_3344_5566_7788u64.to_be_bytes() {
            a.write_all(&[byte]).await.unwrap();
            ramen::yield_now().await;
        }
        assert_eq!(reader.await.unwrap().0, 0x1122_3344_5566_7788);
    });
}

#[test]
fn read_to_string_appends_and_rejects_bad_utf8() {
    ramen::block_on(async {
        let mut s = String::from("> ");
        assert_eq!((&b"hello"[..]).read_to_string(&mut s).await.unwrap(), 5);
        assert_eq!(s, "> hello");
        let e = (&[b'o', b'k', 0xff][..])
            .read_to_string(&mut s)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(s, "> hello", "unchanged on invalid UTF-8");
    });
}

#[test]
fn copy_and_copy_buf_count_and_flush() {
    ramen::block_on(async {
        let data: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
        let mut out = Counting::default();
        let n = ramen::io::copy(&mut &data[..], &mut out).await.unwrap();
        assert_eq!((n, &out.data[..]), (50_000, &data[..]));
        assert_eq!(out.flushes, 1);
        let mut out = Vec::new();
        let mut r = BufReader::with_capacity(1000, &data[..]);
        let n = ramen::io::copy_buf(&mut r, &mut out).await.unwrap();
        assert_eq!((n, &out[..]), (50_000, &data[..]));
    });
}

#[test]
fn borrowed_split_reads_and_writes_at_once_in_one_task() {
    ramen::block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (mut c, mut s) = tcp_pair(&l).await;
        // A 4 MiB echo in one task: writing it all before reading would
        // deadlock on full socket buffers; the borrowed halves do both.
        let server_addr = l.local_addr().unwrap();
        let echo = ramen::spawn(async move {
            let n = {
                let (mut r, mut w) = s.split();
                let n = ramen::io::copy(&mut r, &mut w).await.unwrap();
                w.shutdown().await.unwrap();
                n
            };
            (n, s.local_addr().unwrap() == server_addr) // the stream is usable again
        });
        let (mut r, mut w) = c.split();
        let (sent, got) = ramen::join!(send_hash(&mut w, 4 << 20, 9), drain_hash(&mut r));
        assert_eq!(got, (4 << 20, sent));
        assert_eq!(echo.await.unwrap(), (4 << 20, true));

        let (mut a, mut b) = UnixStream::pair().unwrap();
        let (mut ar, mut aw) = a.split();
        aw.write_all(b"ping").await.unwrap();
        b.write_all(b"pong").await.unwrap();
        let mut buf = [0u8; 4];
        ar.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
}

/// Runs this test binary again as a child whose stdin/stdout are pipes; the
/// child's part is the `stdio_child` test, gated on an env var.
#[test]
fn stdout_and_stdin_from_a_task() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stdio_child", "--nocapture", "--test-threads=1"])
        .env("RAMEN_STDIO_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"three words here")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("stdin had 3 words\n"), "{stdout}");
    assert!(stderr.contains("to stderr\n"), "{stderr}");
}

#[test]
fn stdio_child() {
    if std::env::var_os("RAMEN_STDIO_CHILD").is_none() {
        return; // only meaningful as the child of the test above
    }
    ramen::block_on(async {
        let mut input = String::new();
        ramen::io::stdin().read_to_string(&mut input).await.unwrap();
        let n = input.split_whitespace().count();
        let printer = ramen::spawn(async move {
            let mut out = ramen::io::stdout();
            out.write_all(format!("stdin had {n} words\n").as_bytes())
                .await
                .unwrap();
            out.flush().await.unwrap();
        });
        printer.await.unwrap();
        let mut err = ramen::io::stderr();
        err.write_all(b"to stderr\n").await.unwrap();
        err.flush().await.unwrap();
    });
}
