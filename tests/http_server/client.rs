//! Shared by `tests/http_server.rs`, `tests/http_server_clients.rs` and the
//! `hyper_server` tests: start an example server binary on a free port (killed by PID on drop), and a minimal
//! blocking HTTP/1.1 client over `std::net::TcpStream`.

#![allow(dead_code)] // each test file uses a different part

#[path = "../example_bin/mod.rs"]
mod example_bin;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `target/<profile>/examples/http_server` (see `tests/example_bin/mod.rs`).
pub fn example_binary() -> PathBuf {
    example_bin::example_binary("http_server")
}

/// `target/<profile>/examples/<name>`.
pub fn example_binary_named(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test binary directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join("examples").join(name);
    assert!(
        bin.exists(),
        "example binary {} not found: run these tests with `cargo test` (it builds the \
         examples), or run `cargo build --examples` first",
        bin.display()
    );
    bin
}

/// A running `http_server`; dropping it kills the process (by PID).
pub struct Server {
    pub child: Child,
    pub addr: String,
    stdout: Option<mpsc::Receiver<String>>,
}

impl Server {
    /// Starts the server on `127.0.0.1:0` with `extra` arguments and waits
    /// for its `listening on ADDR` line.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_example("http_server", extra)
    }

    /// As [`Server::start`], for the example server `name`.
    pub fn start_example(name: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(example_binary_named(name))
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            stdout: Some(rx),
        };
        let first = server.line(Duration::from_secs(20));
        let addr = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line {first:?} is not `listening on ADDR`"));
        server.addr = addr.to_string();
        server
    }

    /// The next line the server prints (panics after `limit`).
    pub fn line(&mut self, limit: Duration) -> String {
        let rx = self.stdout.as_ref().expect("stdout reader");
        rx.recv_timeout(limit)
            .unwrap_or_else(|e| panic!("no line from http_server within {limit:?}: {e}"))
    }

    pub fn connect(&self) -> Client {
        Client::connect(&self.addr)
    }

    pub fn signal(&self, sig: i32) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: `kill` only sends a signal; `pid` is our own child, which
        // has not been reaped yet (we hold its `Child`), so the PID is its.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "http_server still running after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // `Child::kill` sends SIGKILL to this child's PID (no-op if it exited).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// One client connection with a read timeout (a hung server fails the test).
pub struct Client {
    pub reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: &str) -> Client {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }

    /// A client over an already connected stream.
    pub fn from_stream(s: TcpStream) -> Client {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }

    pub fn send(&mut self, raw: &[u8]) {
        self.reader.get_mut().write_all(raw).expect("write request");
    }

    /// Reads one response; `head_only` for the answer to a `HEAD`.
    pub fn response(&mut self, head_only: bool) -> Response {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .expect("read response head");
            assert!(n > 0, "connection closed in the middle of a head: {head:?}");
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let status = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let mut resp = Response {
            status,
            head,
            body: Vec::new(),
        };
        let len: usize = resp
            .header("content-length")
            .expect("every response has Content-Length")
            .parse()
            .unwrap();
        if !head_only {
            resp.body.resize(len, 0);
            self.reader.read_exact(&mut resp.body).expect("read body");
        }
        resp
    }

    /// Sends `raw` and reads one response.
    pub fn request(&mut self, raw: &[u8]) -> Response {
        self.send(raw);
        self.response(raw.starts_with(b"HEAD "))
    }

    /// True if the server closed the connection (EOF) within the read timeout.
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

/// `GET path` with `Host` (HTTP/1.1 keep-alive).
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// A temporary directory removed on drop, with a few files for the tests.
pub struct TempRoot {
    pub dir: PathBuf,
}

impl TempRoot {
    pub fn new(tag: &str) -> TempRoot {
        let dir = std::env::temp_dir().join(format!("ramen-http-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.txt"), b"file a\n").unwrap();
        std::fs::write(dir.join("sub/b.html"), b"<p>b</p>\n").unwrap();
        // A symlink pointing outside the root must be refused.
        std::os::unix::fs::symlink("/etc/passwd", dir.join("escape")).unwrap();
        TempRoot { dir }
    }

    pub fn path(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> &Path {
        std::fs::write(self.dir.join(name), bytes).unwrap();
        &self.dir
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
