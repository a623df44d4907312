//! The paused clock: `pause`, `advance`, `resume`, `Builder::start_paused`,
//! auto-advance (and when it must not happen), exact instants for sleeps,
//! timeouts and intervals, and durations near `Duration::MAX`.
//!
//! Every test that could hang on a broken clock (waiting an hour for real)
//! runs under `within`, a thread watchdog that fails it instead.

use std::cell::RefCell;
use std::future::{Future, pending};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use ramen::time::{
    Instant, MissedTickBehavior, advance, interval, interval_at, pause, resume, sleep, sleep_until,
    timeout, timeout_at,
};

const HOUR: Duration = Duration::from_secs(3600);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `f` on its own thread; fails the test if it takes over 60 s (a
/// paused clock that really waits would take an hour).
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("still running after 60 s of real time: the clock did not jump"),
    }
}

/// `block_on` on a runtime built with `start_paused(true)`.
fn paused<F: Future>(f: F) -> F::Output {
    let rt = ramen::Runtime::builder()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(f)
}

#[test]
fn an_hour_of_sleep_takes_no_real_time() {
    let (virtual_elapsed, wall) = within(|| {
        let wall = std::time::Instant::now();
        let elapsed = paused(async {
            let start = Instant::now();
            sleep(HOUR).await;
            start.elapsed()
        });
        (elapsed, wall.elapsed())
    });
    assert_eq!(
        virtual_elapsed, HOUR,
        "the clock moved exactly to the deadline"
    );
    assert!(
        wall < Duration::from_secs(30),
        "an hour passed in {wall:?} of real time"
    );
}

#[test]
fn advance_fires_timers_in_deadline_order_each_at_its_instant() {
    let (seen, after_first, now_after) = within(|| {
        ramen::block_on(async {
            pause();
            let start = Instant::now();
            let seen = Rc::new(RefCell::new(Vec::new()));
            for i in [7u64, 2, 9, 4, 1, 8, 3, 6, 5] {
                let seen = seen.clone();
                let _sleeper = ramen::spawn(async move {
                    sleep(ms(10 * i)).await;
                    seen.borrow_mut().push((i, Instant::now() - start));
                });
            }
            ramen::yield_now().await; // let every sleeper register
            assert!(seen.borrow().is_empty(), "nothing fires before advance");
            advance(ms(45)).await;
            let after_first = seen.borrow().len();
            assert_eq!(Instant::now() - start, ms(45));
            advance(ms(100)).await;
            let now_after = Instant::now() - start;
            (seen.take(), after_first, now_after)
        })
    });
    assert_eq!(
        after_first, 4,
        "advance(45 ms) fires the 10..40 ms timers only"
    );
    let expect: Vec<(u64, Duration)> = (1..=9).map(|i| (i, ms(10 * i))).collect();
    assert_eq!(
        seen, expect,
        "deadline order, each task sees its own deadline"
    );
    assert_eq!(now_after, ms(145));
}

#[test]
fn a_thirty_second_timeout_fires_exactly_at_its_deadline() {
    let (r, elapsed) = within(|| {
        paused(async {
            let start = Instant::now();
            let r = timeout(Duration::from_secs(30), pending::<()>()).await;
            (r, start.elapsed())
        })
    });
    assert!(r.is_err());
    assert_eq!(elapsed, Duration::from_secs(30));
}

/// tokio's documented behaviour: tasks waiting on I/O do not prevent
/// auto-advance (only a `spawn_blocking` job in flight does).
#[test]
fn auto_advance_still_happens_while_a_task_waits_on_a_socket() {
    let (r, elapsed) = within(|| {
        paused(async {
            let sock = ramen::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let start = Instant::now();
            let mut buf = [0u8; 16];
            let r = timeout(Duration::from_secs(30), sock.recv_from(&mut buf)).await;
            (r.is_err(), start.elapsed())
        })
    });
    assert!(r, "nothing was sent: the read timed out");
    assert_eq!(elapsed, Duration::from_secs(30));
}

#[test]
fn auto_advance_waits_for_a_spawn_blocking_job_in_flight() {
    let (during, sleeper_done, after) = within(|| {
        paused(async {
            let start = Instant::now();
            let done = Rc::new(RefCell::new(false));
            let d = done.clone();
            let sleeper = ramen::spawn(async move {
                sleep(HOUR).await;
                *d.borrow_mut() = true;
            });
            ramen::yield_now().await; // the hour-long timer is registered
            // While this job runs the loop is idle with a timer pending: an
            // auto-advance now would jump an hour.
            ramen::spawn_blocking(|| std::thread::sleep(ms(50)))
                .await
                .unwrap();
            let during = Instant::now() - start;
            let sleeper_done = *done.borrow();
            sleeper.await.unwrap(); // now idle, no job in flight: jumps
            (during, sleeper_done, Instant::now() - start)
        })
    });
    assert_eq!(
        during,
        Duration::ZERO,
        "the clock stood still during the job"
    );
    assert!(!sleeper_done);
    assert_eq!(after, HOUR);
}

#[test]
fn a_paused_clock_ignores_real_time_until_resumed() {
    let (frozen, resumed) = within(|| {
        paused(async {
            let start = Instant::now();
            std::thread::sleep(ms(20)); // real time passes, the clock does not
            let frozen = Instant::now() - start;
            advance(HOUR).await;
            resume();
            sleep(ms(5)).await; // a real 5 ms wait
            (frozen, Instant::now() - start)
        })
    });
    assert_eq!(frozen, Duration::ZERO);
    assert!(
        resumed >= HOUR + ms(5),
        "resume continues from the paused time"
    );
    assert!(resumed < HOUR + Duration::from_secs(30));
}

#[test]
fn interval_ticks_at_exact_instants() {
    let ticks = within(|| {
        paused(async {
            let start = Instant::now();
            let mut iv = interval(ms(10));
            let mut ticks = Vec::new();
            for _ in 0..5 {
                let t = iv.tick().await;
                assert_eq!(Instant::now(), t, "auto-advance lands on the tick");
                ticks.push(t - start);
            }
            ticks
        })
    });
    assert_eq!(ticks, [0, 10, 20, 30, 40].map(ms));
}

#[test]
fn interval_ticks_at_each_instant_inside_one_advance() {
    let seen = within(|| {
        ramen::block_on(async {
            pause();
            let start = Instant::now();
            let seen = Rc::new(RefCell::new(Vec::new()));
            let s = seen.clone();
            let ticker = ramen::spawn(async move {
                let mut iv = interval_at(start + ms(10), ms(10));
                loop {
                    iv.tick().await;
                    s.borrow_mut().push(Instant::now() - start);
                }
            });
            ramen::yield_now().await;
            advance(ms(35)).await;
            ticker.abort();
            seen.take()
        })
    });
    assert_eq!(seen, [10, 20, 30].map(ms));
}

#[test]
fn missed_tick_behaviors_after_a_jump() {
    let run = |behavior| {
        paused(async move {
            let start = Instant::now();
            let mut iv = interval(ms(10));
            iv.set_missed_tick_behavior(behavior);
            assert_eq!(iv.missed_tick_behavior(), behavior);
            iv.tick().await;
            advance(ms(35)).await; // three ticks missed
            let mut ticks = Vec::new();
            for _ in 0..3 {
                ticks.push(iv.tick().await - start);
            }
            ticks
        })
    };
    let ticks = within(move || {
        [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ]
        .map(run)
    });
    assert_eq!(ticks[0], [10, 20, 30].map(ms), "Burst: back to back");
    assert_eq!(ticks[1], [10, 45, 55].map(ms), "Delay: period after now");
    assert_eq!(ticks[2], [10, 40, 50].map(ms), "Skip: next grid slot");
}

#[test]
fn interval_resets() {
    let got = within(|| {
        paused(async {
            let start = Instant::now();
            let at = |t: Instant| t - start;
            let mut iv = interval(ms(10));
            assert_eq!(at(iv.tick().await), ms(0));
            advance(ms(3)).await;
            iv.reset(); // next: now + period
            let a = at(iv.tick().await);
            iv.reset_after(ms(4));
            let b = at(iv.tick().await);
            iv.reset_immediately();
            let c = at(iv.tick().await);
            iv.reset_at(start + ms(100));
            let d = at(iv.tick().await);
            let e = at(iv.tick().await); // the grid restarted at 100
            [a, b, c, d, e]
        })
    });
    assert_eq!(got, [13, 17, 17, 100, 110].map(ms));
}

#[test]
fn sleep_reset_and_timeout_at_use_the_paused_clock() {
    let (reset_elapsed, is_elapsed, at_result, at_elapsed, inner) = within(|| {
        paused(async {
            let start = Instant::now();
            let mut s = sleep(HOUR);
            assert!(!s.is_elapsed());
            Pin::new(&mut s).reset(start + ms(5));
            (&mut s).await;
            let reset_elapsed = start.elapsed();
            let mut t = timeout_at(start + ms(20), sleep(HOUR));
            assert_eq!(t.get_ref().deadline(), start + ms(5) + HOUR);
            Pin::new(t.get_mut()).reset(start + Duration::from_secs(7200));
            let at_result = t.await;
            let ok = timeout(ms(1), async { 7 });
            let inner = ok.into_inner().await;
            (
                reset_elapsed,
                s.is_elapsed(),
                at_result,
                start.elapsed(),
                inner,
            )
        })
    });
    assert_eq!(reset_elapsed, ms(5));
    assert!(is_elapsed);
    assert!(at_result.is_err());
    assert_eq!(at_elapsed, ms(20));
    assert_eq!(inner, 7);
}

#[test]
fn durations_near_max_never_panic() {
    let (first_tick_at, second, sleep_far, forever, ok, after_max) = within(|| {
        paused(async {
            let start = Instant::now();
            let mut iv = interval(Duration::MAX);
            let first_tick_at = iv.tick().await - start;
            // The second tick is ~30 years away: an hour's timeout wins.
            let second = timeout(HOUR, iv.tick()).await.is_err();
            let s = sleep(Duration::MAX);
            let sleep_far = s.deadline() - Instant::now();
            let forever = timeout(HOUR, s).await.is_err();
            let ok = timeout(Duration::MAX, sleep(ms(3))).await;
            let before = Instant::now();
            advance(Duration::MAX).await;
            (
                first_tick_at,
                second,
                sleep_far,
                forever,
                ok,
                Instant::now() - before,
            )
        })
    });
    assert_eq!(first_tick_at, Duration::ZERO, "interval(MAX) ticks at once");
    assert!(second, "and then never");
    assert!(sleep_far > Duration::from_secs(86_400 * 365 * 29));
    assert!(forever);
    assert_eq!(ok, Ok(()), "timeout(MAX, f) behaves as f");
    assert!(after_max > Duration::from_secs(86_400 * 365 * 29));
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn interval_zero_panics_with_tokios_message() {
    let _ = interval(Duration::ZERO);
}

#[test]
#[should_panic(expected = "outside a ramen runtime")]
fn pause_outside_a_runtime_panics() {
    pause();
}

#[test]
#[should_panic(expected = "time is already frozen")]
fn pausing_twice_panics() {
    paused(async { pause() });
}

#[test]
#[should_panic(expected = "time is not frozen")]
fn advance_without_pause_panics() {
    ramen::block_on(advance(ms(1)));
}

#[test]
#[should_panic(expected = "time is not frozen")]
fn resume_without_pause_panics() {
    ramen::block_on(async { resume() });
}

#[test]
fn instant_conversions_and_arithmetic() {
    let std_now = std::time::Instant::now();
    let i = Instant::from(std_now);
    assert_eq!(i.into_std(), std_now);
    assert_eq!(std::time::Instant::from(i + ms(5)), std_now + ms(5));
    assert_eq!((i + ms(5)) - i, ms(5));
    assert_eq!(i - (i + ms(5)), Duration::ZERO, "saturating");
    assert_eq!(i.checked_duration_since(i + ms(1)), None);
    assert_eq!(i.checked_add(Duration::MAX), None);
    assert_eq!(i.checked_sub(ms(1)).map(|e| i - e), Some(ms(1)));
    let mut j = i;
    j += ms(2);
    j -= ms(1);
    assert_eq!(j, i + ms(1));
    assert!(j > i);
    assert_eq!(sleep_until(j).deadline(), j);
    // Code holding a std instant migrates with `.into()`.
    assert_eq!(sleep_until(std_now).deadline(), i);
    assert_eq!(format!("{i:?}"), format!("{std_now:?}"));
}
