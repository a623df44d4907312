//! # blocking — a blocking call inside a task freezes every task
//!
//! ```text
//! cargo run --example blocking
//! cargo run --example blocking -- --block-ms 1000 --tick-ms 50
//! ```
//!
//! A task that *waits* the blocking way — `std::thread::sleep`, or a read on
//! a `std::net::TcpStream` — does not give the thread back: the OS puts the
//! whole thread to sleep, and with it every other task of the runtime. It is
//! the same failure as a CPU hog (`examples/starvation.rs`), only the thread
//! is idle instead of busy, so it is easier to miss.
//!
//! A **heartbeat** task sleeps `--tick-ms` (100 ms) in a loop and prints how
//! late each wake-up was. Beside it, a **worker** task waits `--block-ms`
//! (500 ms) five ways:
//! 1. `std::thread::sleep` — frozen;
//! 2. a blocking `std::net` read from a local server (127.0.0.1) that answers
//!    after `--block-ms` — frozen;
//! 3. fix: `ramen::time::sleep(..).await` — a timer, the thread stays free;
//! 4. fix: the same read on `ramen::net::TcpStream` — the reactor watches the
//!    socket, the task waits without holding the thread;
//! 5. fix: the blocking `std::net` read moved into `ramen::spawn_blocking` —
//!    for libraries that only offer blocking calls.
//!
//! What to look for: the `N ms late` heartbeat lines, each run's
//! `max heartbeat delay [...]` line, the runtime's slow-poll warning for runs
//! 1 and 2 (on stderr, and printed again from `Runtime::warnings()` as
//! `runtime warning [...]:`), none for the fixes, and the summary.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::TaskBuilder;
use ramen::io::{AsyncBufReadExt, AsyncWriteExt};

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: blocking [--block-ms MS] [--tick-ms MS]";

struct Args {
    block: Duration,
    tick: Duration,
}

fn parse_args() -> Args {
    let mut args = Args {
        block: Duration::from_millis(500),
        tick: Duration::from_millis(100),
    };
    flags::parse("blocking", USAGE, &[], |flag, value| {
        let ms = flags::millis(flag, &value)?.max(Duration::from_millis(1));
        match flag {
            "--block-ms" => args.block = ms,
            "--tick-ms" => args.tick = ms,
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args
}

/// A slow server on 127.0.0.1: reads one line, waits `delay`, answers one
/// line. One connection at a time is plenty here. The thread ends with the
/// process.
fn start_slow_server(delay: Duration) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local_addr");
    std::thread::Builder::new()
        .name("slow-server".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                std::thread::sleep(delay);
                let _ = writeln!(stream, "pong after {} ms", delay.as_millis());
            }
        })
        .expect("spawn the server thread");
    addr
}

#[derive(Clone, Copy, PartialEq)]
enum Wait {
    ThreadSleep,
    StdRead,
    RamenSleep,
    RamenRead,
    SpawnBlocking,
}

impl Wait {
    fn label(self) -> &'static str {
        match self {
            Wait::ThreadSleep => "std::thread::sleep",
            Wait::StdRead => "std::net read",
            Wait::RamenSleep => "ramen::time::sleep",
            Wait::RamenRead => "ramen::net::TcpStream",
            Wait::SpawnBlocking => "spawn_blocking",
        }
    }
}

/// The blocking way: connect, send a line, wait for the answer line.
/// The calling thread sleeps in the kernel until the server answers.
fn std_ping(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(b"ping\n")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    Ok(answer.trim().to_string())
}

/// The same exchange on ramen's socket: every wait is an `.await`.
async fn ramen_ping(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = ramen::net::TcpStream::connect(addr).await?;
    stream.write_all(b"ping\n").await?;
    let mut answer = String::new();
    ramen::io::BufReader::new(stream)
        .read_line(&mut answer)
        .await?;
    Ok(answer.trim().to_string())
}

/// The worker: a short pause (so the heartbeat is seen ticking normally),
/// then one wait of the chosen kind. Returns what it got.
async fn worker(kind: Wait, pause: Duration, block: Duration, addr: SocketAddr) -> String {
    ramen::time::sleep(pause).await;
    let answer = match kind {
        Wait::ThreadSleep => {
            std::thread::sleep(block); // the whole runtime thread sleeps
            Ok("slept".to_string())
        }
        Wait::StdRead => std_ping(addr), // the whole runtime thread waits for the server
        Wait::RamenSleep => {
            ramen::time::sleep(block).await; // only this task waits
            Ok("slept".to_string())
        }
        Wait::RamenRead => ramen_ping(addr).await, // only this task waits
        Wait::SpawnBlocking => ramen::spawn_blocking(move || std_ping(addr))
            .await
            .expect("the blocking job does not panic"),
    };
    answer.unwrap_or_else(|e| format!("error: {e}"))
}

#[path = "common/heartbeat.rs"]
mod heartbeat;
use heartbeat::heartbeat;

/// One run on a fresh runtime; returns the heartbeat's max delay.
fn run(kind: Wait, args: &Args, addr: SocketAddr) -> Duration {
    let pause = args.tick * 3 / 2;
    let rt = ramen::Runtime::builder()
        // 100 ms is the debug-build default; set here so release builds warn too.
        .slow_poll_threshold(Some(Duration::from_millis(100)))
        // The watchdog warns while the blocking call is *still* running:
        // the slow-poll warning can only speak once the poll returns.
        .watchdog(true)
        .build()
        .expect("runtime");
    let (tick, block) = (args.tick, args.block);
    let t0 = Instant::now();
    let delays = rt.block_on(async move {
        let stop = Rc::new(Cell::new(false));
        let beat = TaskBuilder::new()
            .name("heartbeat")
            .spawn(heartbeat(tick, stop.clone(), t0));
        let work = TaskBuilder::new()
            .name("worker")
            .spawn(worker(kind, pause, block, addr));
        let answer = work.await.expect("worker");
        println!(
            "  [{:>5} ms] worker done ({answer})",
            t0.elapsed().as_millis()
        );
        // Two more beats to show the heartbeat back to normal, then stop.
        ramen::time::sleep(tick * 2).await;
        stop.set(true);
        beat.await.expect("heartbeat")
    });
    let max = heartbeat::report(kind.label(), &delays, &rt);
    println!();
    max
}

fn main() {
    let args = parse_args();
    let addr = start_slow_server(args.block);
    println!(
        "a heartbeat every {} ms, and a worker that waits {} ms, on one thread",
        args.tick.as_millis(),
        args.block.as_millis()
    );
    println!("(the slow server for the socket runs are at {addr})\n");

    let runs = [
        (Wait::ThreadSleep, "run 1: std::thread::sleep inside a task"),
        (
            Wait::StdRead,
            "run 2: a blocking std::net read inside a task",
        ),
        (
            Wait::RamenSleep,
            "run 3 (fix): ramen::time::sleep(..).await",
        ),
        (
            Wait::RamenRead,
            "run 4 (fix): the read on ramen::net::TcpStream",
        ),
        (
            Wait::SpawnBlocking,
            "run 5 (fix): the std::net read in spawn_blocking",
        ),
    ];
    let mut results = Vec::new();
    for (kind, title) in runs {
        println!("{title}");
        results.push((kind, run(kind, &args, addr)));
    }

    println!("summary, max heartbeat delay:");
    for (kind, max) in results {
        println!("  {:<24} {:>5} ms", kind.label(), max.as_millis());
    }
    println!(
        "a blocking call puts the runtime's only thread to sleep: every task waits with it. \
         Await instead (ramen::time, ramen::net), or hand the call to spawn_blocking."
    );
}
