//! Shared by `tests/mini_redis.rs` and `tests/mini_redis_clients.rs`: start
//! the `mini_redis` example binary on a free port (killed by PID on drop),
//! and a tiny blocking RESP client over `std::net`.
#![allow(dead_code)]

#[path = "../example_bin/mod.rs"]
mod example_bin;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `target/<profile>/examples/<name>` (see `tests/example_bin/mod.rs`).
pub fn example_binary(name: &str) -> PathBuf {
    example_bin::example_binary(name)
}

/// A running `mini_redis`; killed (by its PID) when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    /// Starts `mini_redis --addr 127.0.0.1:0` and reads `listening on ADDR`.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts it with `extra` arguments after `--addr 127.0.0.1:0`.
    pub fn start_with(extra: &[&str]) -> Server {
        let mut child = Command::new(example_binary("mini_redis"))
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mini_redis");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// The port it listens on.
    pub fn port(&self) -> String {
        self.addr.rsplit(':').next().unwrap().to_string()
    }

    /// A client connected to it (5 s read timeout: a lost reply fails, not hangs).
    pub fn client(&self) -> Client {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One RESP2 reply, rendered compactly: `+OK`, `-ERR ..`, `:1`, `$hi`,
/// `$nil`, `[a, b]`.
pub type Reply = String;

/// A blocking RESP client.
pub struct Client {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

/// The RESP encoding of a command.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    v
}

impl Client {
    /// Sends one command and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Reply {
        self.w.write_all(&encode(args)).unwrap();
        self.reply()
    }

    /// Reads one reply (panics on EOF or timeout).
    pub fn reply(&mut self) -> Reply {
        self.try_reply().expect("connection closed before a reply")
    }

    /// Reads one reply; `None` at end of stream.
    pub fn try_reply(&mut self) -> Option<Reply> {
        read_reply(&mut self.r)
    }
}

/// Reads one reply from `r`; `None` at end of stream (or on a read error).
pub fn read_reply(r: &mut impl BufRead) -> Option<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1);
    Some(match kind {
        "+" | "-" | ":" => line.to_string(),
        "$" => {
            let n: i64 = rest.parse().unwrap();
            if n < 0 {
                "$nil".to_string()
            } else {
                let mut b = vec![0; n as usize + 2];
                r.read_exact(&mut b).unwrap();
                format!("${}", String::from_utf8_lossy(&b[..n as usize]))
            }
        }
        "*" => {
            let n: i64 = rest.parse().unwrap();
            let items: Vec<_> = (0..n.max(0))
                .map(|_| read_reply(r).expect("array item"))
                .collect();
            format!("[{}]", items.join(", "))
        }
        _ => panic!("bad reply line {line:?}"),
    })
}
