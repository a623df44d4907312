//! The connection's bounds, where mini_redis is deliberately kinder to the
//! server than redis is: a write timeout for clients that never read, a
//! lingering close so a final error reply is not destroyed by a reset, and
//! `KEYS` walked in chunks with a yield between them. `mini_redis.rs` calls
//! these; each says why it exists.

use std::io;
use std::time::{Duration, Instant};

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::TcpStream;

use super::commands::Cmd;
use super::{Server, glob, resp};

/// After the last reply (QUIT, a protocol error): shut down the write side,
/// then read and discard what the client still sends, for at most 2 s, so
/// the kernel does not answer unread input with a reset that destroys the
/// reply (the client must see `-ERR Protocol error`, not `ECONNRESET`).
pub async fn close_lingering(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    stream.shutdown().await?;
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ramen::time::timeout(left.min(Duration::from_millis(500)), stream.read(buf)).await {
            Ok(Ok(n)) if n > 0 && !left.is_zero() => continue,
            _ => return Ok(()),
        }
    }
}

/// Writes `buf`, or fails with `TimedOut` if the client has not taken it
/// within `limit` (see `WRITE_TIMEOUT` in `mini_redis.rs`).
pub async fn write_within(stream: &mut TcpStream, buf: &[u8], limit: Duration) -> io::Result<()> {
    match ramen::time::timeout(limit, stream.write_all(buf)).await {
        Ok(done) => done,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "did not read {} bytes of replies within {} s: disconnected",
                buf.len(),
                limit.as_secs()
            ),
        )),
    }
}

/// `KEYS pattern` (not subscribed): answered by [`keys_in_chunks`].
pub fn is_keys(cmd: Cmd) -> bool {
    cmd.len() == 2 && cmd.arg(0).eq_ignore_ascii_case(b"KEYS")
}

/// Keys matched per chunk by `KEYS` before it yields.
const KEYS_CHUNK: usize = 1024;

/// `KEYS pattern`, matched `KEYS_CHUNK` keys at a time with a `yield_now`
/// between chunks: with millions of keys, the other clients' commands run
/// in between (redis blocks until `KEYS` is done). The keys are those live
/// when it started; the matcher is linear per key (`glob.rs`).
pub async fn keys_in_chunks(pattern: &[u8], server: &Server, now: Instant, out: &mut Vec<u8>) {
    let glob = glob::Glob::new(pattern);
    let keys = server.db.borrow().live_keys(now);
    let mut hits: Vec<Vec<u8>> = Vec::new();
    for (i, chunk) in keys.chunks(KEYS_CHUNK).enumerate() {
        if i > 0 {
            ramen::yield_now().await;
        }
        hits.extend(chunk.iter().filter(|k| glob.matches(k)).cloned());
    }
    if resp::refuse_if_too_big(out, hits.iter().map(|k| k.len() + 16).sum()) {
        return;
    }
    resp::array_len(out, hits.len());
    for k in &hits {
        resp::bulk(out, Some(k));
    }
}
