//! # api_wait — "while waiting, do something else"
//!
//! The scenario from ramen's study note: a program calls an AI API a few
//! times, each answer takes a while to come back, and the program also has
//! some computing of its own to do.
//!
//! ```text
//! cargo run --example api_wait
//! cargo run --example api_wait -- --calls 8 --latency-ms 500 --work-ms 400
//! cargo run --example api_wait -- --trace api_wait.html   # an offline page: open it in any browser
//! cargo run --example api_wait -- --trace api_wait.json   # Chrome trace: https://ui.perfetto.dev
//! cargo run --example api_wait -- --calls 2 --explain      # the runtime narrates run 2 on stderr
//! ```
//!
//! A real HTTP server ("the AI API") runs on 127.0.0.1 on its own OS thread,
//! with its own ramen runtime: it lives "elsewhere" and must answer while the
//! client is blocked. Each request is handled in its own task that sleeps for
//! `--latency-ms` (the model "thinking") and then answers with a small JSON body.
//!
//! The client runs the same job twice:
//! 1. **sequential**: plain blocking `std::net` calls, one after another
//!    (`res = a(); print(res)`), then the computing;
//! 2. **ramen**: every call is a task, all in flight at once, and the
//!    computing runs in chunks between awaits (`ramen::yield_now`).
//!
//! What to look for in the output:
//! - `sequential total` is about `calls × latency + work`; `concurrent total`
//!   is about `max(latency, work)`: the waits overlapped each other *and* the
//!   computing (by default the computing, 200 ms, ends before the answers,
//!   300 ms: the thread then simply sleeps in the reactor until they arrive);
//! - the computing itself took the same time in both runs: coroutines do not
//!   make computation faster, they stop you from waiting;
//! - the timeline of run 2: one row per task, `█` when it held the (single)
//!   thread. The calls run for an instant to send, then wait (`·`) while
//!   `cpu work` computes; when the answers arrive they run again briefly.
//!   One thread, taking turns: a column covers a few milliseconds, so several
//!   short turns can land in the same column, but no two polls overlap.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use ramen::net::{TcpListener, TcpStream};
use ramen::{Either, TaskBuilder};

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: api_wait [--calls N] [--latency-ms MS] [--work-ms MS] \
                     [--chunk-ms MS] [--width COLS] [--trace FILE.html|FILE.json] [--explain]";

struct Args {
    calls: u32,
    latency: Duration,
    work_ms: u64,
    chunk_ms: u64,
    width: usize,
    trace: Option<String>,
    /// Narrate run 2 step by step (`Builder::explain`).
    explain: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        calls: 5,
        latency: Duration::from_millis(300),
        work_ms: 200,
        chunk_ms: 20,
        width: 72,
        trace: None,
        explain: false,
    };
    flags::parse("api_wait", USAGE, &["--explain"], |flag, value| {
        let number = || flags::number::<u64>(flag, &value);
        match flag {
            "--explain" => args.explain = true,
            "--calls" => args.calls = number()?.clamp(1, 200) as u32,
            "--latency-ms" => args.latency = flags::millis(flag, &value)?,
            "--work-ms" => args.work_ms = number()?,
            "--chunk-ms" => args.chunk_ms = number()?.max(1),
            "--width" => args.width = number()? as usize,
            "--trace" => args.trace = Some(value.clone()),
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args
}

// ---------------------------------------------------------------------------
// The CPU work: a deterministic loop, calibrated once so that both runs do
// exactly the same number of iterations.
// ---------------------------------------------------------------------------

#[path = "common/cpu.rs"]
mod cpu;
use cpu::{crunch, iterations_per_ms, thread_cpu_time};

// ---------------------------------------------------------------------------
// The "AI API": a tiny HTTP/1.1 server on its own thread and runtime.
// ---------------------------------------------------------------------------

struct ApiServer {
    addr: SocketAddr,
    stop: ramen::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

fn start_api_server(latency: Duration) -> ApiServer {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = ramen::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("ai-api-server".into())
        .spawn(move || {
            // The server's own runtime; its diagnostics stay quiet.
            let rt = ramen::Runtime::builder()
                .stall_warning(None)
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = match TcpListener::bind("127.0.0.1:0").await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = addr_tx.send(Err(e));
                        return;
                    }
                };
                let _ = addr_tx.send(listener.local_addr());
                let mut stop_rx = pin!(stop_rx);
                loop {
                    // The stop signal first: when both are ready, stopping wins.
                    match ramen::select(stop_rx.as_mut(), listener.accept()).await {
                        Either::Left(_) => break,
                        Either::Right(Ok((stream, _peer))) => {
                            // Detached: the handler finishes on its own.
                            drop(ramen::spawn(answer(stream, latency)));
                        }
                        Either::Right(Err(e)) => eprintln!("api server: accept failed: {e}"),
                    }
                }
            });
        })
        .expect("spawn the API server thread");
    let addr = addr_rx
        .recv()
        .expect("the API server thread ended early")
        .expect("bind the API server on 127.0.0.1");
    ApiServer { addr, stop, thread }
}

/// One connection: read the request head, "think" for `latency`, answer.
async fn answer(stream: TcpStream, latency: Duration) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
        return;
    }
    // Skip the headers, up to the empty line.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header).await {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    // GET /ask?q=3 HTTP/1.1
    let question: u32 = request_line
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.split("q=").nth(1))
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    // The model is "thinking": a timer, not a blocked thread.
    ramen::time::sleep(latency).await;
    let body = format!(
        "{{\"question\": {question}, \"answer\": \"{}\"}}",
        ANSWERS[question as usize % ANSWERS.len()]
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = reader.into_inner();
    if stream.write_all(response.as_bytes()).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

const ANSWERS: [&str; 5] = [
    "boil the water first",
    "three minutes for the noodles",
    "add the soup base while it boils",
    "an egg, if you like",
    "eat it while it is hot",
];

fn request(question: u32) -> String {
    format!("GET /ask?q={question} HTTP/1.1\r\nHost: ai-api.local\r\nConnection: close\r\n\r\n")
}

/// The JSON body of an HTTP response, checked against its Content-Length.
fn body_of(response: &[u8]) -> std::io::Result<String> {
    let text = String::from_utf8_lossy(response);
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(bad(head.lines().next().unwrap_or("empty response")));
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| bad("no Content-Length"))?;
    if body.len() != length {
        return Err(bad("body shorter than Content-Length"));
    }
    Ok(body.to_string())
}

/// Run 1's call: blocking std::net. The thread does nothing until it returns.
fn call_api_blocking(addr: SocketAddr, question: u32) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(request(question).as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?; // blocks for the whole latency
    body_of(&response)
}

/// Run 2's call: the same bytes over ramen's socket. Each `.await` that is
/// not ready hands the thread to another task.
async fn call_api(addr: SocketAddr, question: u32) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request(question).as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?; // waits without holding the thread
    body_of(&response)
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// The work both runs do: `calls` calls to the API, then `chunks` chunks of
/// computing, `chunk_iters` loop iterations each.
struct Work {
    addr: SocketAddr,
    calls: u32,
    chunks: u64,
    chunk_iters: u64,
}

/// What one run took: wall time in all, and CPU time spent computing.
struct Took {
    total: Duration,
    compute: Duration,
}

fn main() {
    let args = parse_args();
    let per_ms = iterations_per_ms();
    let chunk_iters = per_ms * args.chunk_ms;
    let chunks = args.work_ms.div_ceil(args.chunk_ms);
    let server = start_api_server(args.latency);
    let work = Work {
        addr: server.addr,
        calls: args.calls,
        chunks,
        chunk_iters,
    };

    println!(
        "api_wait: {} calls to an \"AI API\" at http://{} that answers after {} ms,",
        args.calls,
        server.addr,
        ms(args.latency)
    );
    println!(
        "          plus {} ms of computing ({} chunks of {} ms, {} loop iterations each)",
        args.work_ms, chunks, args.chunk_ms, chunk_iters
    );
    println!();

    let sequential = run_sequential(&work);
    let (concurrent, failures) = run_with_ramen(&work, &args);
    print_summary(&sequential, &concurrent);

    let _ = server.stop.send(());
    let _ = server.thread.join();
    if failures > 0 {
        eprintln!("{failures} call(s) failed");
        std::process::exit(1);
    }
}

/// Run 1: each call blocks the thread until its answer, then the computing.
fn run_sequential(work: &Work) -> Took {
    println!("run 1: sequential, blocking std::net (res = a(); print(res); ...)");
    let start = Instant::now();
    for question in 1..=work.calls {
        let sent = start.elapsed();
        match call_api_blocking(work.addr, question) {
            Ok(body) => println!(
                "  [{:>5} ms] call {question} answered after {} ms: {body}",
                ms(start.elapsed()),
                ms(start.elapsed() - sent)
            ),
            Err(e) => println!(
                "  [{:>5} ms] call {question} failed: {e}",
                ms(start.elapsed())
            ),
        }
    }
    let waited = start.elapsed();
    let mut sink = 0;
    let cpu_before = thread_cpu_time();
    for c in 0..work.chunks {
        sink ^= crunch(work.chunk_iters, c);
    }
    let compute = thread_cpu_time().saturating_sub(cpu_before);
    let total = start.elapsed();
    std::hint::black_box(sink);
    println!("  [{:>5} ms] cpu work done", ms(total));
    println!(
        "sequential total: {} ms  (waiting {} ms, computing {} ms of CPU time)",
        ms(total),
        ms(waited),
        ms(compute)
    );
    println!();
    Took { total, compute }
}

/// Run 2: every call a task, in flight at once, and the computing a task
/// that yields between chunks; then its timeline. Returns the failed calls.
fn run_with_ramen(work: &Work, args: &Args) -> (Took, u32) {
    println!("run 2: ramen, every call in flight at once, computing between awaits");
    let mut builder = ramen::Runtime::builder()
        .record_timeline(true)
        .explain(args.explain);
    if let Some(path) = &args.trace {
        builder = builder.trace_file(path);
    }
    let rt = builder.build().expect("client runtime");
    let compute = Rc::new(Cell::new(Duration::ZERO));
    let start = Instant::now();
    let failures = rt.block_on(calls_and_computing(work, compute.clone(), start));
    let took = Took {
        total: start.elapsed(),
        compute: compute.get(),
    };
    println!(
        "concurrent total: {} ms  (computing {} ms of CPU time, the waiting overlapped it)",
        ms(took.total),
        ms(took.compute)
    );
    println!();
    print_timeline(rt, args);
    (took, failures)
}

/// Run 2's tasks: one per call, one for the computing; the failed calls.
async fn calls_and_computing(work: &Work, compute: Rc<Cell<Duration>>, start: Instant) -> u32 {
    let addr = work.addr;
    let mut handles = Vec::new();
    for question in 1..=work.calls {
        let call = TaskBuilder::new()
            .name(format!("call {question}"))
            .spawn(async move {
                println!("  [{:>5} ms] call {question} sent", ms(start.elapsed()));
                let result = call_api(addr, question).await;
                match &result {
                    Ok(body) => println!(
                        "  [{:>5} ms] call {question} answered: {body}",
                        ms(start.elapsed())
                    ),
                    Err(e) => println!(
                        "  [{:>5} ms] call {question} failed: {e}",
                        ms(start.elapsed())
                    ),
                }
                result.is_ok()
            });
        handles.push(call);
    }
    let (chunks, chunk_iters) = (work.chunks, work.chunk_iters);
    let cpu = TaskBuilder::new().name("cpu work").spawn(async move {
        let mut sink = 0;
        for c in 0..chunks {
            let t = thread_cpu_time();
            sink ^= crunch(chunk_iters, c);
            compute.set(compute.get() + thread_cpu_time().saturating_sub(t));
            // Give the thread to whoever is ready: a call whose
            // answer arrived runs now, then we continue.
            ramen::yield_now().await;
        }
        println!("  [{:>5} ms] cpu work done", ms(start.elapsed()));
        sink
    });
    let mut failures = 0;
    for h in handles {
        if !h.await.unwrap_or(false) {
            failures += 1;
        }
    }
    std::hint::black_box(cpu.await.unwrap_or(0));
    failures
}

/// Run 2's timeline, metrics and warnings; drops the runtime, which writes
/// the trace file if one was asked for.
fn print_timeline(rt: ramen::Runtime, args: &Args) {
    let timeline = rt.timeline(args.width).unwrap_or_default();
    let metrics = rt.metrics();
    let warnings = rt.warnings();
    drop(rt); // writes the trace file, if one was asked for

    println!("timeline of run 2 (one thread: the rows take turns holding it):");
    print!("{timeline}");
    println!(
        "runtime: {} tasks, {} polls, {} reactor waits (each an epoll_wait / kevent)",
        metrics.tasks_spawned, metrics.polls, metrics.reactor_waits
    );
    for w in &warnings {
        println!("runtime warning: {w}");
    }
    if let Some(path) = &args.trace {
        if path.ends_with(".html") || path.ends_with(".htm") {
            println!(
                "trace written to {path} (open it in any browser: one row per task, a bar per poll)"
            );
        } else {
            println!(
                "trace written to {path} (open it in https://ui.perfetto.dev or chrome://tracing)"
            );
        }
    }
    println!();
}

/// The lesson: faster in all, the same computing.
fn print_summary(sequential: &Took, concurrent: &Took) {
    let speedup = sequential.total.as_secs_f64() / concurrent.total.as_secs_f64().max(1e-9);
    println!("speed-up: {speedup:.1}x");
    println!(
        "computing (CPU time): {} ms sequential, {} ms with ramen: the same work, no faster.",
        ms(sequential.compute),
        ms(concurrent.compute)
    );
    println!("coroutines don't make computation faster; they stop you waiting.");
}
