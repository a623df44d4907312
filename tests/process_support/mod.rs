//! The process tests, run twice: by `tests/process.rs` (pidfd where the
//! kernel has it) and by `tests/process_sigchld.rs` (the SIGCHLD path).

use std::cell::Cell;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::io::{AsyncReadExt, AsyncWriteExt};
use ramen::process::{Command, Stdio};

fn sh(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

/// Whether `pid` is a zombie child of this process (Linux `/proc`).
#[cfg(target_os = "linux")]
pub fn is_our_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false; // gone: reaped
    };
    // "pid (comm) state ppid ...": comm may hold spaces; split after ')'.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let mut f = rest.split_whitespace();
    let state = f.next().unwrap();
    let ppid: u32 = f.next().unwrap().parse().unwrap();
    state == "Z" && ppid == std::process::id()
}

/// Waits (up to 5 s) until `pid` is no zombie of ours, spawning and waiting
/// for a short child now and then (a spawn reaps the orphan list).
#[cfg(target_os = "linux")]
async fn until_reaped(pid: u32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        ramen::time::sleep(Duration::from_millis(20)).await;
        Command::new("true").status().await.unwrap();
        if !is_our_zombie(pid) && std::fs::metadata(format!("/proc/{pid}")).is_err() {
            return true;
        }
    }
    false
}

pub fn output_is_read_while_a_timer_ticks() {
    ramen::block_on(async {
        let ticks = Rc::new(Cell::new(0u32));
        let t = ticks.clone();
        let ticker = ramen::spawn(async move {
            let mut i = ramen::time::interval(Duration::from_millis(10));
            loop {
                i.tick().await;
                t.set(t.get() + 1);
            }
        });
        let mut child = sh("sleep 0.3; echo done")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = String::new();
        let mut stdout = child.stdout.take().unwrap();
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).await.unwrap();
        out.push_str(std::str::from_utf8(&buf).unwrap());
        let ticks_during_read = ticks.get();
        let status = child.wait().await.unwrap();
        ticker.abort();
        assert_eq!(out, "done\n");
        assert!(status.success());
        // 300 ms at one tick per 10 ms: generous lower bound.
        assert!(ticks_during_read >= 5, "ticks: {ticks_during_read}");
    });
}

pub fn a_hundred_children_at_once_leave_no_zombie() {
    ramen::block_on(async {
        let mut pids = Vec::new();
        let mut waits = Vec::new();
        for i in 0..100 {
            let mut child = sh(&format!("exit {}", i % 7)).spawn().unwrap();
            pids.push(child.id().unwrap());
            waits.push(ramen::spawn(async move {
                let s = child.wait().await.unwrap();
                assert_eq!(child.id(), None, "a reaped child has no pid");
                s
            }));
        }
        for (i, w) in waits.into_iter().enumerate() {
            let status = w.await.unwrap();
            assert_eq!(status.code(), Some(i as i32 % 7), "child {i}");
        }
        #[cfg(target_os = "linux")]
        for pid in pids {
            assert!(!is_our_zombie(pid), "child {pid} left a zombie");
        }
    });
}

pub fn missing_program_is_not_found() {
    ramen::block_on(async {
        let e = Command::new("/nonexistent/ramen-no-such-program")
            .spawn()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = Command::new("ramen-no-such-program-in-path")
            .output()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    });
}

pub fn a_killed_child_reports_its_signal() {
    ramen::block_on(async {
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        assert!(child.id().is_some());
        child.kill().await.unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status}");
        assert_eq!(status.code(), None);
        let e = child.start_kill().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        // A child that kills itself with SIGTERM.
        let status = sh("kill -TERM $$").status().await.unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
    });
}

pub fn stdin_and_stdout_pipes_round_trip() {
    ramen::block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let d = data.clone();
        // Writing 200 kB to cat while nobody reads would fill both pipes:
        // write and read concurrently.
        let writer = ramen::spawn(async move {
            stdin.write_all(&d).await.unwrap();
            drop(stdin); // EOF for cat
        });
        let mut back = Vec::new();
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_to_end(&mut back)
            .await
            .unwrap();
        writer.await.unwrap();
        assert!(back == data, "cat changed the bytes");
        assert!(child.wait().await.unwrap().success());
        let out = sh("echo out; echo err >&2; exit 3")
            .env("X", "1")
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));
        let out = sh("echo $RAMEN_T; pwd")
            .env_clear()
            .env("RAMEN_T", "yes")
            .current_dir("/")
            .output()
            .await
            .unwrap();
        assert_eq!(out.stdout, b"yes\n/\n");
    });
}

pub fn kill_on_drop_kills_and_drop_alone_does_not() {
    ramen::block_on(async {
        // kill_on_drop: the process dies and is reaped, not left a zombie.
        let child = Command::new("sleep")
            .arg("10")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        drop(child);
        #[cfg(target_os = "linux")]
        assert!(until_reaped(pid).await, "killed child {pid} not reaped");
        #[cfg(not(target_os = "linux"))]
        let _ = pid;

        // Plain drop: the process keeps running (it writes its file later).
        let dir = std::env::temp_dir().join(format!("ramen-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join(format!("m{}", Instant::now().elapsed().as_nanos()));
        let _ = std::fs::remove_file(&marker);
        let child = sh(&format!("sleep 0.2; echo alive > {}", marker.display()))
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        drop(child);
        let start = Instant::now();
        while !marker.exists() && start.elapsed() < Duration::from_secs(5) {
            ramen::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(marker.exists(), "a dropped child was killed");
        #[cfg(target_os = "linux")]
        assert!(until_reaped(pid).await, "dropped child {pid} not reaped");
        #[cfg(not(target_os = "linux"))]
        let _ = pid;
        let _ = std::fs::remove_dir_all(&dir);
    });
}

pub fn a_child_spawned_with_std_is_not_reaped_by_ramen() {
    // The user's own std child exits while ramen waits for its children;
    // its status must still be there for std's wait.
    let mut theirs = std::process::Command::new("sh")
        .args(["-c", "exit 42"])
        .spawn()
        .unwrap();
    ramen::block_on(async {
        for _ in 0..3 {
            let s = sh("sleep 0.05; exit 1").status().await.unwrap();
            assert_eq!(s.code(), Some(1));
        }
    });
    assert_eq!(theirs.wait().unwrap().code(), Some(42));
}

pub fn a_dropped_wait_loses_nothing() {
    ramen::block_on(async {
        let mut child = sh("sleep 0.1; exit 5").spawn().unwrap();
        let early = ramen::time::timeout(Duration::from_millis(10), child.wait()).await;
        assert!(early.is_err(), "exited too soon");
        let status = child.wait().await.unwrap();
        assert_eq!(status.code(), Some(5));
    });
}

pub fn wait_closes_a_piped_stdin_first() {
    ramen::block_on(async {
        // `cat` reads until end of input: it ends only if `wait` closes stdin.
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(child.stdin.is_some());
        let status = ramen::time::timeout(Duration::from_secs(5), child.wait()).await;
        assert!(status.expect("wait closed stdin").unwrap().success());
        assert!(child.stdin.is_none());
    });
}

/// No spawn, no wait afterwards: only the SIGCHLD handler can reap it.
pub fn a_dropped_child_is_reaped_by_the_sigchld_handler() {
    ramen::block_on(async {
        let child = sh("sleep 0.1").spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        #[cfg(target_os = "linux")]
        {
            let start = Instant::now();
            let gone = || std::fs::metadata(format!("/proc/{pid}")).is_err();
            while !gone() && start.elapsed() < Duration::from_secs(5) {
                ramen::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(gone() && !is_our_zombie(pid), "orphan {pid} not reaped");
        }
        #[cfg(not(target_os = "linux"))]
        let _ = pid;
    });
}
