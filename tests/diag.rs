//! Diagnostics: slow-poll warnings, stall explanations, trace and timeline.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

fn quiet() -> ramen::Builder {
    // Explicit settings, whatever RAMEN_* the environment holds.
    ramen::Runtime::builder()
        .slow_poll_threshold(None)
        .stall_warning(None)
}

fn busy(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The line of this file holding `needle` (where `#[track_caller]` points).
fn line_of(needle: &str) -> usize {
    let src = include_str!("diag.rs");
    let i = src
        .lines()
        .position(|l| l.contains(needle) && !l.contains("line_of"));
    i.expect("needle in tests/diag.rs") + 1
}

/// A future woken by a plain OS thread after `after`: keeps `block_on`
/// alive without giving the runtime anything it can wake itself.
fn woken_by_thread(after: Duration) -> impl Future<Output = ()> {
    let mut started = false;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::future::poll_fn(move |cx| {
        if done.load(std::sync::atomic::Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !started {
            started = true;
            let (waker, done) = (cx.waker().clone(), done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(after);
                done.store(true, std::sync::atomic::Ordering::Release);
                waker.wake();
            });
        }
        Poll::Pending
    })
}

#[test]
fn slow_poll_names_the_task_and_its_spawn_site() {
    let rt = quiet()
        .slow_poll_threshold(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let line = line_of(".spawn(async { busy(Duration::from_millis(200)) })");
    rt.block_on(async {
        let hog = ramen::TaskBuilder::new()
            .name("hog")
            .spawn(async { busy(Duration::from_millis(200)) });
        let waiting: Vec<_> = (0..3).map(|_| ramen::spawn(async {})).collect();
        hog.await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
    });
    let warnings = rt.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = &warnings[0];
    assert!(w.contains("slow poll"), "{w}");
    assert!(w.contains("'hog'"), "{w}");
    assert!(w.contains(&format!("tests/diag.rs:{line}")), "{w}");
    // The 3 tasks queued behind the hog (not the block_on future it woke by
    // finishing: that one did not wait for it).
    assert!(w.contains("blocking 3 ready tasks"), "{w}");
    assert!(
        w.contains("yield_now") && w.contains("spawn_blocking"),
        "{w}"
    );
}

#[test]
fn slow_poll_stays_silent_for_tasks_that_yield() {
    let rt = quiet()
        .slow_poll_threshold(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    rt.block_on(async {
        ramen::spawn(async {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                busy(Duration::from_millis(1));
                ramen::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    assert!(rt.warnings().is_empty(), "{:#?}", rt.warnings());
}

/// Returns `Pending` once without storing the waker: the classic lost wakeup.
struct LostWakeup(bool);
impl Future for LostWakeup {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        Poll::Pending // nobody will ever wake us
    }
}

#[test]
fn stall_explains_a_lost_wakeup() {
    let rt = quiet()
        .stall_warning(Some(Duration::from_millis(150)))
        .build()
        .unwrap();
    let line = line_of("let stuck = ramen::spawn(LostWakeup(false));");
    rt.block_on(async {
        let stuck = ramen::spawn(LostWakeup(false));
        woken_by_thread(Duration::from_millis(1200)).await;
        assert!(!stuck.is_finished());
    });
    let warnings = rt.warnings();
    assert_eq!(warnings.len(), 1, "one report per stall: {warnings:#?}");
    let w = &warnings[0];
    assert!(w.contains("stall"), "{w}");
    let task_line = w
        .lines()
        .find(|l| l.contains(&format!("tests/diag.rs:{line}")))
        .expect(w);
    assert!(task_line.contains("no waker exists"), "{w}");
    assert!(task_line.contains("lost wakeup"), "{w}");
}

#[test]
fn stall_explains_a_channel_deadlock() {
    let rt = quiet()
        .stall_warning(Some(Duration::from_millis(150)))
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx_a, rx_a) = ramen::sync::oneshot::channel::<u8>();
        let (tx_b, rx_b) = ramen::sync::oneshot::channel::<u8>();
        // Each waits for the other to send first.
        let a = ramen::TaskBuilder::new().name("a").spawn(async move {
            let v = rx_b.await;
            let _ = tx_a.send(1);
            v
        });
        let b = ramen::TaskBuilder::new().name("b").spawn(async move {
            let v = rx_a.await;
            let _ = tx_b.send(2);
            v
        });
        woken_by_thread(Duration::from_millis(1200)).await;
        a.abort();
        b.abort();
    });
    let warnings = rt.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let w = &warnings[0];
    for name in ["'a'", "'b'"] {
        let l = w.lines().find(|l| l.contains(name)).expect(w);
        assert!(l.contains("held elsewhere"), "{w}");
    }
}

#[test]
fn no_stall_for_a_task_waiting_on_a_long_timer() {
    let rt = quiet()
        .stall_warning(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    rt.block_on(async {
        ramen::spawn(ramen::time::sleep(Duration::from_millis(700)))
            .await
            .unwrap();
    });
    assert!(rt.warnings().is_empty(), "{:#?}", rt.warnings());
}

#[test]
fn no_stall_while_a_blocking_job_runs() {
    let rt = quiet()
        .stall_warning(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    rt.block_on(async {
        ramen::spawn_blocking(|| std::thread::sleep(Duration::from_millis(700)))
            .await
            .unwrap();
    });
    assert!(rt.warnings().is_empty(), "{:#?}", rt.warnings());
}

#[test]
fn forced_yields_are_counted() {
    let rt = quiet().budget(4).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..20).map(|_| ramen::spawn(async {})).collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert!(rt.metrics().forced_yields >= 3, "{:?}", rt.metrics());
}

/// A clock that advances exactly 1 ms per reading: timelines become
/// independent of the machine's speed.
fn ticking_clock() -> impl Fn() -> Duration {
    let ticks = Rc::new(Cell::new(0u64));
    move || {
        ticks.set(ticks.get() + 1);
        Duration::from_millis(ticks.get())
    }
}

fn three_task_script() -> ramen::Runtime {
    let rt = quiet()
        .record_timeline(true)
        .trace_clock(ticking_clock())
        .build()
        .unwrap();
    rt.block_on(async {
        let mut hs = Vec::new();
        for (name, turns) in [("a", 1), ("b", 2), ("c", 3)] {
            hs.push(ramen::TaskBuilder::new().name(name).spawn(async move {
                for _ in 0..turns {
                    ramen::yield_now().await;
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    rt
}

#[test]
fn ascii_timeline_matches_golden() {
    let rt = three_task_script();
    let got = rt.timeline(33).unwrap();
    // Read it as a picture: one thread, so one █ per column at most. `a`
    // yields once, `b` twice, `c` three times; each resumes only after the
    // others had their turn, and block_on collects them in order.
    let golden = "\
timeline: 4 rows over 33.00 ms, 1 column = 1.00 ms  (█ running, · alive but not running)
block_on   | ·████··············█······█····█|
task 2 'a' |   ····█·····██                  |
task 3 'b' |    ·····█······█·····██         |
task 4 'c' |     ······█······█······█···██  |
";
    assert_eq!(got, golden, "\n{got}");
}

#[test]
fn chrome_trace_is_valid_json_with_one_pair_per_poll() {
    let rt = three_task_script();
    let json = rt.trace_json().unwrap();
    json_check::validate(&json).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{json}"));
    let begins = json.matches("\"ph\":\"B\"").count();
    let ends = json.matches("\"ph\":\"E\"").count();
    assert_eq!(begins, ends);
    assert_eq!(begins as u64, rt.metrics().polls);
    assert!(json.contains("task 2 'a'"));
}

#[test]
fn trace_file_is_written_even_when_block_on_panics() {
    let path = std::env::temp_dir().join(format!("ramen-trace-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let rt = quiet().trace_file(&path).build().unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            ramen::spawn(async {}).await.unwrap();
            panic!("the program ends badly");
        })
    }));
    assert!(r.is_err());
    drop(rt);
    let json = std::fs::read_to_string(&path).unwrap();
    json_check::validate(&json).unwrap();
    assert!(json.trim_end().ends_with("]}"));
    assert!(json.contains("\"ph\":\"B\""));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn unwritable_trace_path_disables_tracing_and_carries_on() {
    let rt = quiet()
        .trace_file("/nonexistent-dir/for/sure/trace.json")
        .build()
        .unwrap();
    assert_eq!(rt.block_on(async { 2 + 2 }), 4);
}

#[test]
fn waker_of_a_lost_wakeup_future_is_never_stored() {
    // Sanity for the example: a fixed future that stores the waker finishes.
    struct Fixed(Rc<Cell<Option<Waker>>>, bool);
    impl Future for Fixed {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.1 {
                return Poll::Ready(());
            }
            self.1 = true;
            self.0.set(Some(cx.waker().clone()));
            Poll::Pending
        }
    }
    let slot = Rc::new(Cell::new(None));
    let s = slot.clone();
    ramen::block_on(async move {
        let h = ramen::spawn(Fixed(s, false));
        ramen::yield_now().await;
        slot.take().unwrap().wake();
        h.await.unwrap();
    });
}

/// A small JSON syntax checker (no dependency needed for one test).
mod json_check {
    pub fn validate(s: &str) -> Result<(), String> {
        let b = s.as_bytes();
        let mut i = 0;
        value(b, &mut i)?;
        ws(b, &mut i);
        if i != b.len() {
            return Err(format!("trailing data at {i}"));
        }
        Ok(())
    }
    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }
    fn value(b: &[u8], i: &mut usize) -> Result<(), String> {
        ws(b, i);
        match b.get(*i) {
            Some(b'{') => {
                *i += 1;
                ws(b, i);
                if b.get(*i) == Some(&b'}') {
                    *i += 1;
                    return Ok(());
                }
                loop {
                    ws(b, i);
                    string(b, i)?;
                    ws(b, i);
                    if b.get(*i) != Some(&b':') {
                        return Err(format!("expected ':' at {i}"));
                    }
                    *i += 1;
                    value(b, i)?;
                    ws(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            return Ok(());
                        }
                        _ => return Err(format!("expected ',' or '}}' at {i}")),
                    }
                }
            }
            Some(b'[') => {
                *i += 1;
                ws(b, i);
                if b.get(*i) == Some(&b']') {
                    *i += 1;
                    return Ok(());
                }
                loop {
                    value(b, i)?;
                    ws(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b']') => {
                            *i += 1;
                            return Ok(());
                        }
                        _ => return Err(format!("expected ',' or ']' at {i}")),
                    }
                }
            }
            Some(b'"') => string(b, i),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                while *i < b.len() && (b[*i].is_ascii_digit() || b"+-.eE".contains(&b[*i])) {
                    *i += 1;
                }
                Ok(())
            }
            _ => {
                for lit in ["true", "false", "null"] {
                    if b[*i..].starts_with(lit.as_bytes()) {
                        *i += lit.len();
                        return Ok(());
                    }
                }
                Err(format!("unexpected byte at {i}"))
            }
        }
    }
    fn string(b: &[u8], i: &mut usize) -> Result<(), String> {
        if b.get(*i) != Some(&b'"') {
            return Err(format!("expected string at {i}"));
        }
        *i += 1;
        while let Some(&c) = b.get(*i) {
            match c {
                b'"' => {
                    *i += 1;
                    return Ok(());
                }
                b'\\' => *i += 2,
                c if c < 0x20 => return Err(format!("control byte in string at {i}")),
                _ => *i += 1,
            }
        }
        Err("unterminated string".into())
    }
}

#[test]
fn no_stall_for_a_task_waiting_on_io() {
    let rt = quiet()
        .stall_warning(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = ramen::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A plain thread connects after a while: until then the only thing
        // that can happen is I/O, and that is not a stall.
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            std::net::TcpStream::connect(addr).unwrap()
        });
        let (_stream, _) = listener.accept().await.unwrap();
        client.join().unwrap();
    });
    assert!(rt.warnings().is_empty(), "{:#?}", rt.warnings());
}

#[test]
fn watchdog_speaks_while_the_poll_is_still_running() {
    let rt = quiet()
        .slow_poll_threshold(Some(Duration::from_millis(100)))
        .watchdog(true)
        .build()
        .unwrap();
    let id = rt.block_on(async {
        let stuck = ramen::spawn(async { std::thread::sleep(Duration::from_millis(800)) });
        let id = stuck.id();
        stuck.await.unwrap();
        id
    });
    let warnings = rt.warnings();
    let watchdog = warnings
        .iter()
        .position(|w| w.contains("watchdog") && w.contains(&format!("task {id} ")))
        .unwrap_or_else(|| panic!("no watchdog warning: {warnings:#?}"));
    let slow = warnings
        .iter()
        .position(|w| w.contains("slow poll"))
        .unwrap_or_else(|| panic!("no slow-poll warning: {warnings:#?}"));
    assert!(
        watchdog < slow,
        "the watchdog spoke before the poll returned: {warnings:#?}"
    );
    assert!(warnings[watchdog].contains("has not returned yet"));
    // It names the task's spawn site, as the slow-poll warning does.
    assert!(
        warnings[watchdog].contains("(spawned at tests/diag.rs:"),
        "{}",
        warnings[watchdog]
    );
}
