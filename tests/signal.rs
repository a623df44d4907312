//! `ramen::signal`: deliveries raised in this process reach waiting tasks,
//! are coalesced, reach every runtime, and bad numbers are typed errors.
//!
//! Its own test binary: these tests raise process-wide signals. Each test
//! uses a different signal number (tests run on parallel threads), and
//! installs ramen's handler (by creating a `Signal`) before raising, so no
//! default action can end the process.

use std::io;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ramen::signal::{SignalKind, ctrl_c, signal};
use ramen::time::timeout;

fn raise(sig: libc::c_int) {
    // SAFETY: raise only sends a signal to this thread; ramen's handler for
    // `sig` is installed before every call in this file.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

#[test]
fn ctrl_c_wakes_a_waiting_task() {
    ramen::block_on(async {
        // Install the SIGINT handler first: a raise before ctrl_c's first
        // poll would otherwise hit the default action and end the test run.
        let _guard = signal(SignalKind::interrupt()).unwrap();
        let waiter = ramen::spawn(async { ctrl_c().await });
        ramen::yield_now().await; // the waiter is now listening
        assert!(!waiter.is_finished(), "ctrl_c returned before any SIGINT");
        raise(libc::SIGINT);
        let r = timeout(Duration::from_secs(5), waiter).await;
        r.expect("the SIGINT reached the waiting task")
            .unwrap()
            .unwrap();
    });
}

#[test]
fn deliveries_while_nobody_waits_are_coalesced() {
    ramen::block_on(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        for _ in 0..3 {
            raise(libc::SIGUSR1);
        }
        let first = timeout(Duration::from_secs(5), usr1.recv()).await;
        assert_eq!(first.unwrap(), Some(()));
        // Three deliveries, one report: the next recv waits.
        let second = timeout(Duration::from_millis(100), usr1.recv()).await;
        assert!(second.is_err(), "three raises were reported twice");
        raise(libc::SIGUSR1);
        let third = timeout(Duration::from_secs(5), usr1.recv()).await;
        assert_eq!(third.unwrap(), Some(()), "a new delivery is reported");
    });
}

#[test]
fn two_runtimes_on_two_threads_both_see_one_delivery() {
    let ready = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let ready = ready.clone();
            std::thread::spawn(move || {
                ramen::block_on(async move {
                    let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
                    ready.wait(); // blocks this runtime briefly; fine in a test
                    timeout(Duration::from_secs(5), usr2.recv()).await
                })
            })
        })
        .collect();
    ready.wait();
    // SAFETY: kill(getpid(), SIGUSR2) sends a process-directed signal; both
    // runtimes installed ramen's handler before the barrier.
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(Some(())), "a runtime missed it");
    }
}

#[test]
fn every_signal_of_a_runtime_sees_it_even_after_a_waiter_left() {
    ramen::block_on(async {
        // Installed before anything can raise SIGHUP.
        let _guard = signal(SignalKind::hangup()).unwrap();
        let wait_one = || async {
            let mut s = signal(SignalKind::hangup()).unwrap();
            s.recv().await
        };
        let a = ramen::spawn(wait_one());
        let b = ramen::spawn(wait_one());
        // Both wait; `b` polled last, so it was the last to touch the pipe.
        // Then `b` goes away: `a` must still be woken by the next delivery,
        // which arrives while this runtime sleeps in the reactor.
        ramen::yield_now().await;
        b.abort();
        assert!(b.await.unwrap_err().is_cancelled());
        let sender = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            // SAFETY: process-directed SIGHUP; ramen's handler is installed.
            unsafe { libc::kill(libc::getpid(), libc::SIGHUP) }
        });
        let r = timeout(Duration::from_secs(5), a).await;
        assert_eq!(
            r.expect("the remaining waiter was woken").unwrap(),
            Some(())
        );
        assert_eq!(sender.join().unwrap(), 0);
    });
}

#[test]
fn uncatchable_and_fault_signals_are_invalid_input() {
    ramen::block_on(async {
        for n in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            0,
            -1,
            1000,
        ] {
            let e = signal(SignalKind::from_raw(n)).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "signal {n}: {e}");
        }
        assert_eq!(SignalKind::from_raw(10).as_raw_value(), 10);
        assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    });
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    let e = signal(SignalKind::window_change()).unwrap_err();
    assert!(e.to_string().contains("block_on"), "{e}");
}

#[test]
fn a_signal_delivered_to_another_thread_wakes_a_sleeping_runtime() {
    ramen::block_on(async {
        let mut quit = signal(SignalKind::quit()).unwrap();
        let sender = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            // SAFETY: process-directed SIGQUIT; ramen's handler is installed.
            unsafe { libc::kill(libc::getpid(), libc::SIGQUIT) }
        });
        // This runtime sleeps in epoll_wait until the pipe byte arrives.
        let r = timeout(Duration::from_secs(5), quit.recv()).await;
        assert_eq!(r.unwrap(), Some(()));
        assert_eq!(sender.join().unwrap(), 0);
    });
}

#[test]
fn runtimes_taking_turns_on_one_thread_each_keep_their_signals() {
    let a = ramen::Runtime::new().unwrap();
    let b = ramen::Runtime::new().unwrap();
    let mut in_a = a.block_on(async { signal(SignalKind::alarm()).unwrap() });
    let mut in_b = b.block_on(async { signal(SignalKind::alarm()).unwrap() });
    // Back in `a`: a second Signal shares a's registration of the pipe.
    let mut second_in_a = a.block_on(async { signal(SignalKind::alarm()).unwrap() });
    raise(libc::SIGALRM);
    a.block_on(async {
        let both = ramen::join!(
            timeout(Duration::from_secs(5), in_a.recv()),
            timeout(Duration::from_secs(5), second_in_a.recv()),
        );
        assert_eq!(both, (Ok(Some(())), Ok(Some(()))));
    });
    let r = b.block_on(timeout(Duration::from_secs(5), in_b.recv()));
    assert_eq!(r, Ok(Some(())));
}
