//! The echo's syscall row: `compare child echo <rt> <rounds>` counted under
//! `perf stat` (or `strace -c`, which slows everyone down), minus the same
//! child with 0 rounds (its setup), per round trip.

use std::process::Command;

use ramen_benches::Monoio;

use super::{COLS, CONNS, NA, ROUNDS, unavailable};

/// Counts syscalls of `compare child echo <rt> <rounds>`, minus the same with
/// 0 rounds (setup), per round trip. Returns the counter used and the cells.
pub(super) fn syscalls_per_round_trip(
    mono: &[Result<Monoio, String>; 2],
) -> (&'static str, [Option<f64>; 8]) {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let perf_ok = Command::new("perf")
        .args(["stat", "-e", "raw_syscalls:sys_enter", "-x,", "true"])
        .output()
        .is_ok_and(|o| o.status.success() && count_perf(&o.stderr).is_some());
    let strace_ok = !perf_ok
        && Command::new("strace")
            .args(["-c", "-f", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
    let count = |rtname: &str, rounds: usize| -> Option<f64> {
        let rounds = rounds.to_string();
        let child = [exe, "child", "echo", rtname, &rounds];
        if perf_ok {
            let o = Command::new("perf")
                .args(["stat", "-e", "raw_syscalls:sys_enter", "-x,", "--"])
                .args(child)
                .output()
                .ok()?;
            count_perf(&o.stderr)
        } else if strace_ok {
            let o = Command::new("strace")
                .args(["-c", "-f", "-o", "/dev/stderr"])
                .args(child)
                .output()
                .ok()?;
            count_strace(&o.stderr)
        } else {
            None
        }
    };
    let name = if perf_ok {
        "perf"
    } else if strace_ok {
        "strace: slows all"
    } else {
        "n/a"
    };
    let per =
        |rtname: &str| Some((count(rtname, ROUNDS)? - count(rtname, 0)?) / (CONNS * ROUNDS) as f64);
    let cells = std::array::from_fn(|i| match COLS[i] {
        _ if unavailable(mono, i) => Some(NA),
        "LocalPool" | "threads" => None,
        col => per(col),
    });
    (name, cells)
}

fn count_perf(stderr: &[u8]) -> Option<f64> {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().find(|l| l.contains("raw_syscalls:sys_enter"))?;
    line.split(',').next()?.trim().parse().ok()
}

fn count_strace(stderr: &[u8]) -> Option<f64> {
    let s = String::from_utf8_lossy(stderr);
    let line = s.lines().find(|l| l.trim_end().ends_with("total"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}
