//! # ramen — ten cooks, or one cook who does not wait by the pot
//!
//! ```text
//! cargo run --example ramen
//! cargo run --example ramen -- --max-pots 1000          # skip the 100,000 size
//! cargo run --example ramen -- --sizes 10,5000 --max-threads 5000 --boil-ms 100
//! ```
//!
//! The analogy from ramen's study note: ten people cooking ten pots is
//! multithreading; one cook who puts the water on, lights the burner, moves
//! to the next pot and comes back when the water boils is a coroutine.
//!
//! Every pot "boils" (waits `--boil-ms`, 50 ms) and then needs a tiny bit of
//! stirring (`--stir-us`, 2 µs of CPU). Two kitchens cook 10, 1,000, 10,000
//! and 100,000 pots:
//! - **cooks** — one OS thread per pot (`std::thread::spawn`, blocking
//!   `std::thread::sleep`): the thread-per-connection server;
//! - **one cook** — one thread, one ramen task per pot (`ramen::spawn`,
//!   `ramen::time::sleep(..).await`).
//!
//! What to look for:
//! - first, the one cook's **timeline** with 10 pots: a short `█` per pot to
//!   light the burner, a staircase (the cook moves from pot to pot), then
//!   `·` while they all boil *at the same time*, then a second staircase when
//!   the cook comes back to each pot;
//! - then one line per kitchen and size: wall time, **memory** (peak growth of
//!   the process's resident memory, `rss`, and of its address space, `virt`,
//!   sampled from `/proc/self/statm` on Linux) and what spawning cost;
//! - threads stop scaling: each one is a kernel object with its own stack
//!   (2 MiB of address space by default, a few KiB resident; glibc also
//!   reserves up to 64 MiB of address space per malloc arena), created by a
//!   system call; the OS caps how many may exist (printed at the start). The
//!   example never starts more than `--max-threads` (10,000) threads or half
//!   of what the OS limits allow: beyond that it prints what the threads
//!   *would* cost, from the largest run it did, instead of exhausting the
//!   machine. If the OS refuses a thread, that is printed too;
//! - the one cook's pots cost a few hundred bytes each, and spawning one is
//!   a heap allocation, not a system call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ramen::TaskBuilder;

#[path = "common/flags.rs"]
mod flags;
const USAGE: &str = "usage: ramen [--sizes 10,1000,100000] [--max-pots N] [--max-threads N] \
                     [--boil-ms MS] [--stir-us US] [--width COLS]";

struct Args {
    sizes: Vec<usize>,
    boil: Duration,
    stir_us: u64,
    max_threads: usize,
    width: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        sizes: vec![10, 1_000, 10_000, 100_000],
        boil: Duration::from_millis(50),
        stir_us: 2,
        max_threads: 10_000,
        width: 72,
    };
    let mut max_pots = usize::MAX;
    flags::parse("ramen", USAGE, &[], |flag, value| {
        let number = || flags::number::<u64>(flag, &value);
        match flag {
            "--sizes" => {
                args.sizes = value
                    .split(',')
                    .map(|s| flags::number::<usize>(flag, s.trim()))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter(|&n| n > 0)
                    .collect();
            }
            "--max-pots" => max_pots = number()? as usize,
            "--max-threads" => args.max_threads = number()? as usize,
            "--boil-ms" => args.boil = Duration::from_millis(number()?),
            "--stir-us" => args.stir_us = number()?,
            "--width" => args.width = number()? as usize,
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    args.sizes.retain(|&n| n <= max_pots);
    args
}

// ---------------------------------------------------------------------------
// Stirring: a deterministic bit of CPU, calibrated to microseconds.
// ---------------------------------------------------------------------------

#[path = "common/cpu.rs"]
mod cpu;
use cpu::{crunch, iterations_per_ms};

// ---------------------------------------------------------------------------
// Memory: /proc/self/statm, sampled by a small thread to catch the peak.
// ---------------------------------------------------------------------------

/// (address space, resident) in bytes, or `None` off Linux.
fn statm() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let (size, resident) = (fields.next()??, fields.next()??);
    // SAFETY: sysconf only reads a configuration value; no memory is passed.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = if page > 0 { page as u64 } else { 4096 };
    Some((size * page, resident * page))
}

/// A thread that samples memory every millisecond, started once (so its own
/// stack and malloc arena are not charged to the first run).
struct Sampler {
    peak: Arc<(AtomicU64, AtomicU64)>,
}

impl Sampler {
    /// `None` off Linux.
    fn start() -> Option<Sampler> {
        statm()?;
        let peak = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let shared = peak.clone();
        let running = Arc::new(AtomicBool::new(false));
        let started = running.clone();
        std::thread::Builder::new()
            .name("memory-sampler".into())
            .spawn(move || {
                started.store(true, Ordering::Release);
                // Ends with the process.
                loop {
                    if let Some((virt, rss)) = statm() {
                        shared.0.fetch_max(virt, Ordering::Relaxed);
                        shared.1.fetch_max(rss, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .ok()?;
        while !running.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        Some(Sampler { peak })
    }

    /// Starts a measurement: the current usage is the baseline.
    fn begin(&self) -> (u64, u64) {
        let now = statm().unwrap_or((0, 0));
        self.peak.0.store(now.0, Ordering::Relaxed);
        self.peak.1.store(now.1, Ordering::Relaxed);
        now
    }

    /// (virt growth, rss growth) in bytes since `base`, at their peaks.
    fn end(&self, base: (u64, u64)) -> (u64, u64) {
        // One last sample, and give the sampler a moment for its own.
        std::thread::sleep(Duration::from_millis(2));
        if let Some((virt, rss)) = statm() {
            self.peak.0.fetch_max(virt, Ordering::Relaxed);
            self.peak.1.fetch_max(rss, Ordering::Relaxed);
        }
        (
            self.peak.0.load(Ordering::Relaxed).saturating_sub(base.0),
            self.peak.1.load(Ordering::Relaxed).saturating_sub(base.1),
        )
    }
}

/// Peak growth of (address space, resident memory) in bytes; `None` off Linux.
type Memory = Option<(u64, u64)>;

/// Measures `f`'s peak memory growth with `sampler`, if there is one.
fn measured<T>(sampler: Option<&Sampler>, f: impl FnOnce() -> T) -> (T, Memory) {
    let base = sampler.map(Sampler::begin);
    let out = f();
    let memory = sampler.zip(base).map(|(s, base)| s.end(base));
    (out, memory)
}

fn fmt_bytes(b: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if b as f64 >= 1024.0 * MIB {
        format!("+{:.1} GiB", b as f64 / (1024.0 * MIB))
    } else if b as f64 >= 10.0 * MIB {
        format!("+{:.0} MiB", b as f64 / MIB)
    } else {
        format!("+{} KiB", b / 1024)
    }
}

fn fmt_mem(m: Memory) -> String {
    match m {
        Some((virt, rss)) => format!("rss {:>9} | virt {:>9}", fmt_bytes(rss), fmt_bytes(virt)),
        None => "rss n/a (no /proc/self/statm) | virt n/a".to_string(),
    }
}

// ---------------------------------------------------------------------------
// The operating system's limits on threads.
// ---------------------------------------------------------------------------

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The pids cgroup's (max, current), for cgroup v2 or v1.
fn pids_cgroup() -> Option<(u64, u64)> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let dir = match controllers {
            "" => format!("/sys/fs/cgroup{path}"),
            c if c.split(',').any(|c| c == "pids") => format!("/sys/fs/cgroup/pids{path}"),
            _ => continue,
        };
        if let (Some(max), Some(cur)) = (
            read_number(&format!("{dir}/pids.max")),
            read_number(&format!("{dir}/pids.current")),
        ) {
            return Some((max, cur));
        }
    }
    None
}

/// Prints the limits and returns how many more threads are safe to start
/// (half of the tightest headroom, so the rest of the machine keeps working).
fn thread_headroom() -> Option<u64> {
    let mut room: Option<u64> = None;
    let mut tighten = |n: u64| room = Some(room.map_or(n, |r| r.min(n)));
    println!("limits on threads on this machine:");
    if let Some(n) = read_number("/proc/sys/kernel/threads-max") {
        println!("  kernel.threads-max (all threads, whole system): {n}");
        tighten(n);
    }
    if let Some(line) = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max processes"))
                .map(String::from)
        })
    {
        let soft = line.split_whitespace().nth(2).unwrap_or("?");
        println!("  RLIMIT_NPROC (threads of this user, ulimit -u): {soft}");
        if let Ok(n) = soft.parse() {
            tighten(n);
        }
    }
    if let Some((max, current)) = pids_cgroup() {
        println!("  pids cgroup: {current} in use of {max}");
        tighten(max.saturating_sub(current));
    }
    if let Some(n) = read_number("/proc/sys/vm/max_map_count") {
        // Each thread stack is a mapping plus a guard page mapping.
        println!("  vm.max_map_count (memory mappings; ~2 per thread stack): {n}");
        tighten(n / 2);
    }
    if room.is_none() {
        println!("  (not readable on this OS)");
    }
    room.map(|r| r / 2)
}

// ---------------------------------------------------------------------------
// The two kitchens.
// ---------------------------------------------------------------------------

/// What one kitchen did with one size.
struct Outcome {
    wall: Duration,
    spawn: Duration,
    slowest_spawn: Duration,
    refused: Option<(usize, std::io::Error)>,
}

/// One cook: one thread, one task per pot.
fn one_cook(pots: usize, boil: Duration, stir: u64) -> Outcome {
    let rt = ramen::Runtime::builder()
        .slow_poll_threshold(None)
        .build()
        .expect("runtime");
    let t0 = Instant::now();
    let spawn = rt.block_on(async move {
        let mut pots_on_fire = Vec::with_capacity(pots);
        for i in 0..pots {
            pots_on_fire.push(ramen::spawn(async move {
                ramen::time::sleep(boil).await; // the cook walks away
                crunch(stir, i as u64) // ... and comes back to stir
            }));
        }
        let spawn = t0.elapsed();
        for pot in pots_on_fire {
            std::hint::black_box(pot.await.expect("pot"));
        }
        spawn
    });
    let wall = t0.elapsed();
    Outcome {
        wall,
        spawn,
        slowest_spawn: Duration::ZERO,
        refused: None,
    }
}

/// Many cooks: one OS thread per pot, each waiting by its pot.
fn many_cooks(pots: usize, boil: Duration, stir: u64) -> Outcome {
    let t0 = Instant::now();
    let mut cooks = Vec::with_capacity(pots);
    let mut slowest_spawn = Duration::ZERO;
    let mut refused = None;
    for i in 0..pots {
        let s = Instant::now();
        let cook = std::thread::Builder::new().spawn(move || {
            std::thread::sleep(boil); // the cook stands by the pot
            crunch(stir, i as u64)
        });
        slowest_spawn = slowest_spawn.max(s.elapsed());
        match cook {
            Ok(cook) => cooks.push(cook),
            Err(e) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    let spawn = t0.elapsed();
    for cook in cooks {
        std::hint::black_box(cook.join().expect("cook"));
    }
    Outcome {
        wall: t0.elapsed(),
        spawn,
        slowest_spawn,
        refused,
    }
}

/// The picture: one cook, ten pots, a bit more stirring so it shows.
fn timeline(boil: Duration, per_ms: u64, width: usize) {
    println!(
        "one cook, 10 pots: light the burner (1 ms), boil ({} ms), stir (1 ms)",
        boil.as_millis()
    );
    let rt = ramen::Runtime::builder()
        .record_timeline(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut pots = Vec::new();
        for i in 1..=10u64 {
            let pot = TaskBuilder::new()
                .name(format!("pot {i}"))
                .spawn(async move {
                    let x = crunch(per_ms, i); // light the burner
                    ramen::time::sleep(boil).await; // boil: the cook moves on
                    crunch(per_ms, x) // stir and serve
                });
            pots.push(pot);
        }
        for pot in pots {
            std::hint::black_box(pot.await.expect("pot"));
        }
    });
    print!("{}", rt.timeline(width).unwrap_or_default());
    println!(
        "(the staircases are the cook moving from pot to pot; the dots, all pots boiling at once)\n"
    );
}

fn main() {
    let args = parse_args();
    let per_ms = iterations_per_ms();
    let stir = per_ms * args.stir_us / 1000;
    let sampler = Sampler::start();
    let headroom = thread_headroom();
    let cap = headroom.map_or(args.max_threads, |h| args.max_threads.min(h as usize));
    println!(
        "  => at most {cap} threads will be started (--max-threads {}{})\n",
        args.max_threads,
        match headroom {
            Some(h) => format!(", half the headroom above: {h}"),
            None => String::new(),
        }
    );

    timeline(args.boil, per_ms, args.width);

    println!(
        "each pot boils {} ms, then needs {} µs of stirring",
        args.boil.as_millis(),
        args.stir_us
    );
    // Per-thread costs from the largest thread run, to project the skipped sizes.
    let mut per_thread: Option<(usize, Outcome, Memory)> = None;
    let mut compared = None;
    for &pots in &args.sizes {
        println!("{pots} pots:");
        let (one, one_memory) = measured(sampler.as_ref(), || one_cook(pots, args.boil, stir));
        print_one_cook(pots, &one, one_memory);
        if pots > cap {
            print_skipped(pots, cap, per_thread.as_ref());
            continue;
        }
        let (many, many_memory) = measured(sampler.as_ref(), || many_cooks(pots, args.boil, stir));
        print_many_cooks(pots, &many, many_memory, args.boil);
        compared = Some((pots, one.wall, many.wall, one_memory, many_memory));
        per_thread = Some((pots, many, many_memory));
    }
    println!();
    if let Some((pots, one, many, one_mem, many_mem)) = compared {
        print_comparison(pots, one, many, one_mem, many_mem);
    }
    println!(
        "why threads stop scaling: every cook is an OS thread with its own stack (2 MiB of \
         address space reserved, a few KiB resident; glibc adds malloc arenas of up to 64 MiB \
         of address space), created by a system call and scheduled by the kernel, and the OS \
         caps how many can exist (limits above). A coroutine is a few hundred bytes on the \
         heap, and the one cook never stands by a pot: while the water boils it is at the next \
         one. (The one cook still stirs one pot at a time: coroutines do not make computation \
         faster, they stop you waiting.)"
    );
}

/// The coroutine kitchen's line for one size.
fn print_one_cook(pots: usize, one: &Outcome, memory: Memory) {
    println!(
        "  [pots {pots}] one cook, {pots} coroutines: wall {:>6} ms | {} | spawning {:.1} ms ({:.2} µs/pot){}",
        one.wall.as_millis(),
        fmt_mem(memory),
        one.spawn.as_secs_f64() * 1e3,
        one.spawn.as_secs_f64() * 1e6 / pots as f64,
        match memory {
            Some((_, rss)) if pots >= 1000 => format!(", ~{} B/pot", rss / pots as u64),
            _ => String::new(),
        }
    );
}

/// A size over the thread cap: not run, projected from the largest thread
/// run (`per_thread`), if there was one.
fn print_skipped(pots: usize, cap: usize, per_thread: Option<&(usize, Outcome, Memory)>) {
    println!(
        "  [pots {pots}] {pots} cooks, {pots} threads: skipped: {pots} threads is over the cap of {cap}"
    );
    if let Some((n, o, memory)) = per_thread {
        let scale = pots as f64 / *n as f64;
        let (virt, rss) = memory.unwrap_or((0, 0));
        println!(
            "      projected from the {n}-thread run: ~{} ms just to spawn them, rss {}, virt {}",
            (o.spawn.as_secs_f64() * 1e3 * scale).round(),
            fmt_bytes((rss as f64 * scale) as u64),
            fmt_bytes((virt as f64 * scale) as u64)
        );
    }
}

/// The thread kitchen's line for one size, and what went wrong spawning.
fn print_many_cooks(pots: usize, many: &Outcome, memory: Memory, boil: Duration) {
    println!(
        "  [pots {pots}] {pots} cooks, {pots} threads: wall {:>6} ms | {} | spawning {:.1} ms ({:.2} µs/thread, slowest {:.2} ms)",
        many.wall.as_millis(),
        fmt_mem(memory),
        many.spawn.as_secs_f64() * 1e3,
        many.spawn.as_secs_f64() * 1e6 / pots as f64,
        many.slowest_spawn.as_secs_f64() * 1e3
    );
    if let Some((i, e)) = &many.refused {
        println!(
            "      the OS refused thread #{}: {e} (stopped spawning there)",
            i + 1
        );
    }
    if many.spawn > boil {
        println!(
            "      spawning the threads took longer ({} ms) than the boil itself ({} ms)",
            many.spawn.as_millis(),
            boil.as_millis()
        );
    }
}

/// The largest size both kitchens cooked: wall time and memory, compared.
fn print_comparison(pots: usize, one: Duration, many: Duration, one_mem: Memory, many_mem: Memory) {
    print!(
        "largest size both kitchens cooked, {pots} pots: the threads took {:.1}x the wall time",
        many.as_secs_f64() / one.as_secs_f64().max(1e-9)
    );
    match (one_mem, many_mem) {
        (Some((_, a)), Some((_, b))) => {
            println!(
                " and {} of resident memory against {}",
                fmt_bytes(b),
                fmt_bytes(a)
            )
        }
        _ => println!(),
    }
}
