//! The two reactor backends (`src/reactor/`): which one a runtime gets
//! (`RAMEN_REACTOR`, `Builder::reactor_backend`), and the read behaviour
//! that differs between them (a short read ends readiness only where
//! "read closed" is reported) and that must not lose an end of stream (the
//! TCP form of that check, on both backends, is `tests/tcp.rs`'s
//! `data_then_close_in_one_edge_is_seen`).

use std::future::Future;
use std::pin::pin;
use std::process::Command;
use std::task::{Context, Waker};
use std::time::Duration;

use ramen::ReactorBackend;
use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::net::UnixStream;
use ramen::time::timeout;

const DEFAULT: ReactorBackend = if cfg!(target_os = "linux") {
    ReactorBackend::Epoll
} else {
    ReactorBackend::Polling
};

/// Both backends where both exist.
fn backends() -> Vec<ReactorBackend> {
    if cfg!(target_os = "linux") {
        vec![ReactorBackend::Epoll, ReactorBackend::Polling]
    } else {
        vec![ReactorBackend::Polling]
    }
}

fn runtime(backend: ReactorBackend) -> ramen::Runtime {
    ramen::Runtime::builder()
        .reactor_backend(backend)
        .build()
        .unwrap()
}

/// Whether `f` is ready on its first poll.
fn ready_now<F: Future>(f: F) -> bool {
    let f = pin!(f);
    f.poll(&mut Context::from_waker(Waker::noop())).is_ready()
}

#[test]
fn outside_a_runtime_there_is_no_backend() {
    assert_eq!(ReactorBackend::current(), None);
}

#[test]
fn the_builder_choice_is_the_backend_used() {
    for backend in backends() {
        let got = runtime(backend).block_on(async { ReactorBackend::current() });
        assert_eq!(got, Some(backend));
    }
}

/// Re-runs this test binary with `RAMEN_REACTOR` set to each value and
/// reads back the backend the child's runtime got.
#[test]
fn the_env_var_selects_the_backend() {
    if std::env::var_os("RAMEN_TEST_PRINT_BACKEND").is_some() {
        let got = ramen::block_on(async { ReactorBackend::current() });
        println!("backend={got:?}");
        return;
    }
    let cases = [
        (None, DEFAULT),
        (Some("polling"), ReactorBackend::Polling),
        (Some("POLLING"), ReactorBackend::Polling),
        (Some("epoll"), DEFAULT),
        (Some("bogus"), DEFAULT),
    ];
    for (value, want) in cases {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "the_env_var_selects_the_backend", "--nocapture"])
            .env("RAMEN_TEST_PRINT_BACKEND", "1");
        match value {
            Some(v) => cmd.env("RAMEN_REACTOR", v),
            None => cmd.env_remove("RAMEN_REACTOR"),
        };
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{value:?}: {stderr}");
        assert!(
            stdout.contains(&format!("backend=Some({want:?})")),
            "RAMEN_REACTOR={value:?}: {stdout}"
        );
        assert_eq!(
            stderr.contains("is neither \"epoll\" nor \"polling\""),
            value == Some("bogus"),
            "an unknown value is reported, a known one is not: {stderr}"
        );
    }
}

/// A short read ends read readiness at once only on the backend that
/// reports "read closed": there the next `readable()` waits for new data
/// instead of letting a `recv` find `WouldBlock`.
#[test]
fn a_short_read_ends_readiness_only_with_rdhup() {
    for backend in backends() {
        runtime(backend).block_on(async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            b.write_all(b"ping").await.unwrap();
            let mut buf = [0u8; 64];
            assert_eq!(a.read(&mut buf).await.unwrap(), 4);
            let waits = !ready_now(a.readable());
            assert_eq!(waits, backend == ReactorBackend::Epoll, "{backend:?}");
            // Either way, new data is seen.
            b.write_all(b"pong").await.unwrap();
            assert_eq!(a.read(&mut buf).await.unwrap(), 4);
            assert_eq!(&buf[..4], b"pong");
        });
    }
}

/// "Read closed" is sticky: after the short read that takes the last data,
/// the end of stream is ready at once, on both backends.
#[test]
fn read_closed_stays_ready_after_the_short_read() {
    for backend in backends() {
        runtime(backend).block_on(async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            let mut buf = [0u8; 64];
            // Nothing yet: this clears the fresh source's readiness.
            let e = a.try_read(&mut buf).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
            b.write_all(b"x").await.unwrap();
            drop(b);
            ramen::yield_now().await; // one reactor turn: data + FIN, one edge
            assert_eq!(a.read(&mut buf).await.unwrap(), 1);
            assert!(ready_now(a.readable()), "{backend:?}: EOF must stay ready");
            assert_eq!(a.read(&mut buf).await.unwrap(), 0, "{backend:?}");
            assert_eq!(a.read(&mut buf).await.unwrap(), 0, "{backend:?}: EOF again");
        });
    }
}

/// A remote wake reaches a runtime asleep in either backend's wait.
#[test]
fn a_wake_from_another_thread_ends_the_wait() {
    for backend in backends() {
        let rt = runtime(backend);
        let handle = rt.handle();
        let got = rt.block_on(async move {
            // One registered fd, so the loop sleeps in the reactor, not in
            // `thread::park`.
            let (_a, _b) = UnixStream::pair().unwrap();
            let (tx, rx) = ramen::sync::oneshot::channel();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                drop(handle.spawn(async move { tx.send(7).unwrap() }));
            });
            timeout(Duration::from_secs(10), rx).await
        });
        assert_eq!(got.unwrap().unwrap(), 7, "{backend:?}");
    }
}
