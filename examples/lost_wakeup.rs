//! The lost wakeup: what a `Waker` is for, in the smallest honest picture.
//!
//! A future that is not ready returns `Poll::Pending`. The runtime then does
//! **not** poll it again on its own: it polls a task only after someone calls
//! that task's `Waker` (a socket became readable, a timer fired, a message
//! arrived). The deal is: "if you return `Pending`, you must have handed
//! `cx.waker()` to whoever will make you ready". A future that forgets hangs
//! forever — even after the thing it waits for has happened.
//!
//! Both runs use a mailbox an OS thread fills after `--arrive-ms`:
//! 1. **broken**: `BrokenRecv` checks the mailbox and returns `Pending` without
//!    keeping the waker. The letter arrives, and nobody tells the task. After
//!    `--stall-ms` with nothing able to wake anything, ramen's stall
//!    explanation (built with `Runtime::builder().stall_warning(..)`) names the
//!    task and where it was spawned: "no waker exists". The run is ended by a
//!    rescue OS thread after `--rescue-ms`, which holds the `block_on`
//!    future's waker (something the runtime cannot see — a pending ramen
//!    timer would count as "something can still wake", and the stall
//!    explanation would rightly stay silent).
//! 2. **fixed**: `Recv` stores `cx.waker().clone()` in the mailbox; the
//!    sender wakes it after putting the letter in. Done at ~`--arrive-ms`.
//!
//! ```sh
//! cargo run --example lost_wakeup
//! cargo run --example lost_wakeup -- --arrive-ms 100 --stall-ms 300 --rescue-ms 1000
//! ```
//!
//! **What to look for:** in the broken run the letter is in the mailbox at
//! ~100 ms, yet the task is polled once and never again; the `ramen: stall:`
//! warning (also copied to stdout) names `examples/lost_wakeup.rs:<line>`; the
//! fixed run receives the letter at ~100 ms with one extra poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: lost_wakeup [--arrive-ms 100] [--stall-ms 300] [--rescue-ms 1000]";

#[path = "common/flags.rs"]
mod flags;

fn ms(t0: Instant) -> u128 {
    t0.elapsed().as_millis()
}

/// A one-letter mailbox shared with an OS thread.
#[derive(Default)]
struct Mailbox {
    letter: Option<String>,
    /// Who to wake when the letter arrives (only the fixed receiver sets it).
    waker: Option<Waker>,
}

/// An OS thread that puts `letter` in the box after `after`, and wakes
/// whichever waker was left there — if any.
fn deliver_later(mailbox: Arc<Mutex<Mailbox>>, after: Duration, t0: Instant) {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let waker = {
            let mut mb = mailbox.lock().unwrap();
            mb.letter = Some("hello".to_string());
            mb.waker.take()
        };
        match waker {
            Some(w) => {
                println!(
                    "[{:>4} ms] postman: letter delivered, waking the receiver",
                    ms(t0)
                );
                // Wake after releasing the lock: a waker may run arbitrary code.
                w.wake();
            }
            None => println!(
                "[{:>4} ms] postman: letter delivered — no waker was left, so nobody is told",
                ms(t0)
            ),
        }
    });
}

/// BROKEN: returns `Pending` without keeping `cx.waker()`.
struct BrokenRecv {
    mailbox: Arc<Mutex<Mailbox>>,
    polls: Arc<AtomicU32>,
    t0: Instant,
}

impl Future for BrokenRecv {
    type Output = String;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<String> {
        let n = self.polls.fetch_add(1, Ordering::Relaxed) + 1;
        println!("[{:>4} ms] BrokenRecv: poll #{n}", ms(self.t0));
        match self.mailbox.lock().unwrap().letter.take() {
            Some(letter) => Poll::Ready(letter),
            // The bug: "not yet" — and no way for anyone to say "now".
            None => Poll::Pending,
        }
    }
}

/// FIXED: stores the waker where the sender will find it, under the same lock
/// the sender takes, so a letter arriving between "check" and "store" is not
/// missed either.
struct Recv {
    mailbox: Arc<Mutex<Mailbox>>,
    polls: Arc<AtomicU32>,
    t0: Instant,
}

impl Future for Recv {
    type Output = String;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let n = self.polls.fetch_add(1, Ordering::Relaxed) + 1;
        println!("[{:>4} ms] Recv: poll #{n}", ms(self.t0));
        let mut mb = self.mailbox.lock().unwrap();
        match mb.letter.take() {
            Some(letter) => Poll::Ready(letter),
            None => {
                mb.waker = Some(cx.waker().clone()); // the one line BrokenRecv lacks
                Poll::Pending
            }
        }
    }
}

/// The way out of the broken run: an OS thread that, after `after`, sets a
/// flag and wakes the `block_on` future. The runtime cannot see it coming,
/// so the stall explanation still fires meanwhile.
struct Rescue {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Rescue {
    fn start(after: Duration, t0: Instant) -> Arc<Rescue> {
        let r = Arc::new(Rescue {
            fired: AtomicBool::new(false),
            waker: Mutex::new(None),
        });
        let r2 = r.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            println!(
                "[{:>4} ms] rescue thread: giving up on the receiver",
                ms(t0)
            );
            r2.fired.store(true, Ordering::Release);
            if let Some(w) = r2.waker.lock().unwrap().take() {
                w.wake();
            }
        });
        r
    }

    /// `true` once fired; otherwise keeps `cx.waker()` (done right, as in `Recv`).
    fn poll_fired(&self, cx: &mut Context<'_>) -> bool {
        let mut slot = self.waker.lock().unwrap();
        if self.fired.load(Ordering::Acquire) {
            return true;
        }
        *slot = Some(cx.waker().clone());
        false
    }
}

struct Args {
    arrive: Duration,
    stall: Duration,
    rescue: Duration,
}

fn parse_args() -> Args {
    let mut args = Args {
        arrive: Duration::from_millis(100),
        stall: Duration::from_millis(300),
        rescue: Duration::from_millis(1000),
    };
    flags::parse("lost_wakeup", USAGE, &[], |flag, value| {
        let ms = flags::millis(flag, &value)?;
        match flag {
            "--arrive-ms" => args.arrive = ms,
            "--stall-ms" => args.stall = ms,
            "--rescue-ms" => args.rescue = ms,
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    if !(args.arrive < args.rescue && args.stall < args.rescue) {
        flags::fail(
            "lost_wakeup",
            USAGE,
            "--rescue-ms must be larger than --arrive-ms and --stall-ms",
        );
    }
    args
}

fn runtime(stall: Duration) -> ramen::Runtime {
    ramen::Runtime::builder()
        .stall_warning(Some(stall))
        .slow_poll_threshold(None)
        .build()
        .expect("cannot create the runtime")
}

fn run_broken(args: &Args) {
    println!("== 1. BrokenRecv: returns Pending without keeping the waker");
    let rt = runtime(args.stall);
    let t0 = Instant::now();
    let mailbox = Arc::new(Mutex::new(Mailbox::default()));
    let polls = Arc::new(AtomicU32::new(0));
    deliver_later(mailbox.clone(), args.arrive, t0);
    let rescue = Rescue::start(args.rescue, t0);
    let recv = BrokenRecv {
        mailbox: mailbox.clone(),
        polls: polls.clone(),
        t0,
    };
    let mut task = rt.spawn(recv);
    let got = rt.block_on(std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = Pin::new(&mut task).poll(cx) {
            return Poll::Ready(r.ok());
        }
        if rescue.poll_fired(cx) {
            task.abort();
            return Poll::Ready(None);
        }
        Poll::Pending
    }));
    let waiting = mailbox.lock().unwrap().letter.is_some();
    println!(
        "[{:>4} ms] main: received {got:?}; the letter is still sitting in the mailbox: {waiting}",
        ms(t0)
    );
    let warnings = rt.warnings();
    println!(
        "[{:>4} ms] main: rt.warnings() holds {} warning(s):",
        ms(t0),
        warnings.len()
    );
    for w in &warnings {
        for line in w.lines() {
            println!("    | {line}");
        }
    }
    let stalls = warnings.iter().filter(|w| w.contains("stall")).count();
    println!(
        "check broken: received={} polls={} letter_waiting={waiting} stall_warnings={stalls}",
        got.is_some(),
        polls.load(Ordering::Relaxed)
    );
    println!();
}

fn run_fixed(args: &Args) {
    println!("== 2. Recv: stores cx.waker().clone(); the sender wakes it");
    let rt = runtime(args.stall);
    let t0 = Instant::now();
    let mailbox = Arc::new(Mutex::new(Mailbox::default()));
    let polls = Arc::new(AtomicU32::new(0));
    deliver_later(mailbox.clone(), args.arrive, t0);
    let recv = Recv {
        mailbox,
        polls: polls.clone(),
        t0,
    };
    let task = rt.spawn(recv);
    let got = rt.block_on(task).ok();
    let at = ms(t0);
    println!("[{at:>4} ms] main: received {got:?}");
    println!(
        "check fixed: received={} at_ms={at} polls={} stall_warnings={}",
        got.is_some(),
        polls.load(Ordering::Relaxed),
        rt.warnings().iter().filter(|w| w.contains("stall")).count()
    );
}

fn main() {
    let args = parse_args();
    run_broken(&args);
    run_fixed(&args);
    println!();
    println!("Pending is a promise: \"someone holds my waker and will call it\".");
    println!("Break the promise and the task sleeps forever, with its data already there.");
}
