//! One connection: read, parse every complete request in the buffer, answer
//! them in order, write, wait for more. This is the whole "coroutine
//! thinking" of nginx's event loop: the `.await`s below are the points where
//! this connection steps aside and the thread serves the others.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::TcpStream;
use ramen::sync::Notify;
use ramen::time::timeout;
use ramen::{Either, select};

use crate::parse::{self, MAX_BODY, MAX_HEAD, Method, Target};
use crate::response;

/// The body of `GET /`: what the load test measures (nginx: `return 200 "hello"`).
pub const HELLO: &[u8] = b"hello";
/// First size of a connection's read buffer; it doubles up to `BUF_MAX`.
const BUF_START: usize = 4096;
/// One whole head plus one whole body, and slack for a line end.
const BUF_MAX: usize = MAX_HEAD + MAX_BODY + 64;
/// Responses of pipelined requests are collected up to this size, then written.
const OUT_FLUSH: usize = 64 * 1024;
/// Files up to this size are read with `std::fs` right here on the loop's
/// thread: a read that hits the page cache takes microseconds, less than
/// handing it to another thread and back. Bigger files are read in chunks of
/// `CHUNK` through `ramen::spawn_blocking`, because a cold read of a large
/// file can block for milliseconds, and every other connection would wait.
const SMALL_FILE: u64 = 64 * 1024;
const CHUNK: u64 = 256 * 1024;
/// Lingering close (as nginx's `lingering_close`): after the last response,
/// shut down the write side and read and discard what the client still
/// sends, for at most `LINGER_TOTAL` and `LINGER_READ` per read, before
/// closing. Closing with unread input makes the kernel send a reset, and a
/// reset can destroy the response the client has not read yet.
const LINGER_TOTAL: Duration = Duration::from_secs(5);
const LINGER_READ: Duration = Duration::from_secs(1);
/// The interim response that tells an `Expect: 100-continue` client to send
/// its body (RFC 9110 §10.1.1).
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// State shared by the accept loop and every connection (one thread: `Rc`).
pub struct Server {
    /// The canonical static-file root, if `--root` was given.
    pub root: Option<PathBuf>,
    pub idle: Duration,
    pub shutting_down: Cell<bool>,
    /// `notify_waiters` on SIGINT/SIGTERM: idle connections close.
    pub shutdown: Notify,
    /// `notify_one` when the last connection closes during shutdown.
    pub all_closed: Notify,
    pub open: Cell<usize>,
    pub connections: Cell<u64>,
    pub requests: Cell<u64>,
    date: RefCell<(u64, [u8; 29])>,
}

impl Server {
    pub fn new(root: Option<PathBuf>, idle: Duration) -> Server {
        Server {
            root,
            idle,
            shutting_down: Cell::new(false),
            shutdown: Notify::new(),
            all_closed: Notify::new(),
            open: Cell::new(0),
            connections: Cell::new(0),
            requests: Cell::new(0),
            date: RefCell::new((u64::MAX, [0; 29])),
        }
    }

    /// The `Date` header, formatted once per second (nginx caches it too).
    fn date(&self) -> [u8; 29] {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut cached = self.date.borrow_mut();
        if cached.0 != now {
            *cached = (now, response::http_date(now));
        }
        cached.1
    }
}

/// Counts the connection as open while it lives; the last one to close
/// during shutdown tells the main task.
struct OpenGuard(Rc<Server>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let open = self.0.open.get() - 1;
        self.0.open.set(open);
        if open == 0 && self.0.shutting_down.get() {
            self.0.all_closed.notify_one();
        }
    }
}

/// Serves one connection until the client closes it, it idles out, a
/// response says `Connection: close`, or the server shuts down.
pub async fn serve(server: Rc<Server>, stream: TcpStream) {
    server.open.set(server.open.get() + 1);
    server.connections.set(server.connections.get() + 1);
    let _guard = OpenGuard(server.clone());
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        server,
        stream,
        buf: vec![0; BUF_START],
        start: 0,
        end: 0,
        out: Vec::with_capacity(1024),
        request_deadline: Instant::now(),
        continued: false,
    };
    // Errors (reset by peer, timeouts) all end the same way: close.
    let _ = conn.run().await;
}

struct Conn {
    server: Rc<Server>,
    stream: TcpStream,
    /// Received bytes are `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Responses not written yet.
    out: Vec<u8>,
    /// When the request being received must be complete (see `run`).
    request_deadline: Instant,
    /// `100 Continue` was sent for the request at `buf[start..]`.
    continued: bool,
}

impl Conn {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            let close = self.answer_received().await?;
            self.flush().await?;
            if close || self.server.shutting_down.get() {
                return self.close_lingering().await;
            }
            // Wait for more bytes, for at most `idle`, or until shutdown.
            // Between requests each read gets the full `idle`; once a request
            // has begun, the whole of it must arrive within `idle` of its
            // first byte (a client trickling one byte at a time, slowloris,
            // cannot hold the connection forever).
            let fresh = self.start == self.end;
            let wait = if fresh {
                self.server.idle
            } else {
                self.request_deadline
                    .saturating_duration_since(Instant::now())
            };
            self.make_room();
            let server = self.server.clone();
            let read = timeout(wait, self.stream.read(&mut self.buf[self.end..]));
            match select(read, server.shutdown.notified()).await {
                Either::Left(Ok(Ok(0))) => return Ok(()), // the client closed
                Either::Left(Ok(Ok(n))) => {
                    self.end += n;
                    if fresh {
                        self.request_deadline = Instant::now() + server.idle;
                    }
                }
                Either::Left(Ok(Err(e))) => return Err(e),
                // Idle between requests: close quietly. In the middle of a
                // request (a head, or a body promised by Content-Length,
                // that never completed): say so with a 408, then close.
                Either::Left(Err(_elapsed)) if fresh => return Ok(()),
                Either::Left(Err(_elapsed)) => {
                    let date = self.server.date();
                    response::write_error(&mut self.out, 408, false, false, &date);
                    self.flush().await?;
                    return self.close_lingering().await;
                }
                Either::Right(()) => return Ok(()), // shutdown while idle
            }
        }
    }

    /// Answers every complete request already received (pipelining: in
    /// order, collected into one write); whether the connection must close.
    async fn answer_received(&mut self) -> io::Result<bool> {
        let mut close = false;
        loop {
            let date = self.server.date();
            match parse::parse_request(&self.buf[self.start..self.end]) {
                Ok(Some((req, used))) => {
                    let keep = req.keep_alive && !self.server.shutting_down.get();
                    let (method, minor) = (req.method, req.minor);
                    // Resolved before any `.await`: the result owns its
                    // data, so `self.buf` is free again.
                    let target = match method {
                        Method::Other => Err(405),
                        _ => parse::resolve_target(req.target),
                    };
                    self.start += used;
                    self.continued = false;
                    self.respond(method, minor, target, keep, &date).await?;
                    self.server.requests.set(self.server.requests.get() + 1);
                    if !keep {
                        close = true;
                        break;
                    }
                }
                Ok(None) if self.end - self.start >= BUF_MAX => {
                    response::write_error(&mut self.out, 431, false, false, &date);
                    close = true;
                    break;
                }
                Ok(None) => {
                    // A complete head whose client waits for permission
                    // to send the body: say `100 Continue` once.
                    let pending = parse::pending_body(&self.buf[self.start..self.end]);
                    if !self.continued && pending.is_some_and(|p| p.expects_continue) {
                        self.out.extend_from_slice(CONTINUE);
                        self.continued = true;
                    }
                    break;
                }
                Err(e) => {
                    response::write_error(&mut self.out, e.status(), false, false, &date);
                    close = true;
                    break;
                }
            }
            if self.out.len() >= OUT_FLUSH {
                self.flush().await?;
            }
        }
        Ok(close)
    }

    /// Shuts down the write side (the client sees the end of the last
    /// response), then reads and discards until the client closes, for a
    /// bounded time (`LINGER_TOTAL`). See `LINGER_TOTAL` for why.
    async fn close_lingering(&mut self) -> io::Result<()> {
        self.stream.shutdown().await?;
        let deadline = Instant::now() + LINGER_TOTAL;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            let read = timeout(left.min(LINGER_READ), self.stream.read(&mut self.buf)).await;
            match read {
                Ok(Ok(n)) if n > 0 => continue,
                // EOF, an error or a quiet client: close now.
                _ => return Ok(()),
            }
        }
    }

    /// Moves unparsed bytes to the front, and doubles the buffer when full.
    fn make_room(&mut self) {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        if self.end == self.buf.len() {
            let bigger = (self.buf.len() * 2).min(BUF_MAX);
            self.buf.resize(bigger, 0);
        }
    }

    /// Writes `out`; a client that does not read for `idle` is dropped.
    async fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        timeout(self.server.idle, self.stream.write_all(&self.out)).await??;
        self.out.clear();
        Ok(())
    }

    async fn respond(
        &mut self,
        method: Method,
        minor: u8,
        target: Result<Target, u16>,
        keep: bool,
        date: &[u8],
    ) -> io::Result<()> {
        let head_only = method == Method::Head;
        let out = &mut self.out;
        let rel = match target {
            Ok(Target::Hello) => {
                response::write_simple(out, 200, HELLO, head_only, keep, minor, date);
                return Ok(());
            }
            Ok(Target::File(rel)) => rel,
            Err(status) => {
                response::write_error(out, status, head_only, keep, date);
                return Ok(());
            }
        };
        let file = match self
            .server
            .root
            .as_deref()
            .map(|root| open_below(root, &rel))
        {
            Some(Ok(file)) => file,
            Some(Err(status)) => {
                response::write_error(out, status, head_only, keep, date);
                return Ok(());
            }
            None => {
                response::write_error(out, 404, head_only, keep, date);
                return Ok(());
            }
        };
        let (mut file, len, ctype) = file;
        response::write_head(out, 200, ctype, len, keep, minor, date);
        if head_only {
            return Ok(());
        }
        if len <= SMALL_FILE {
            let before = out.len();
            file.by_ref().take(len).read_to_end(out)?;
            if (out.len() - before) as u64 != len {
                // The file shrank after `metadata`: the promised length is a lie now.
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            return Ok(());
        }
        self.flush().await?;
        let file = Arc::new(file);
        let mut offset = 0;
        while offset < len {
            let n = CHUNK.min(len - offset) as usize;
            let f = file.clone();
            let chunk = ramen::spawn_blocking(move || {
                let mut buf = vec![0; n];
                f.read_exact_at(&mut buf, offset).map(|()| buf)
            })
            .await
            .map_err(|e| io::Error::other(e.to_string()))??;
            timeout(self.server.idle, self.stream.write_all(&chunk)).await??;
            offset += n as u64;
        }
        Ok(())
    }
}

/// Opens `root/rel` if it is a regular file that really lies below `root`
/// (after following symlinks), or says which status to answer.
///
/// `canonicalize` and `open` are blocking syscalls run on the loop's thread:
/// path lookups are served from the kernel's dentry cache in microseconds.
fn open_below(root: &Path, rel: &Path) -> Result<(File, u64, &'static str), u16> {
    let status = |e: io::Error| -> u16 {
        match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => 404,
            _ => 403,
        }
    };
    let real = root.join(rel).canonicalize().map_err(&status)?;
    if !real.starts_with(root) {
        return Err(403); // a symlink that points outside the root
    }
    let file = File::open(&real).map_err(&status)?;
    let meta = file.metadata().map_err(status)?;
    if !meta.is_file() {
        return Err(403); // a directory (no index files, no listings)
    }
    Ok((file, meta.len(), response::content_type(&real)))
}
