//! `examples/multicore.rs`: the three ways past one core print what they
//! measured, every request is counted exactly once in each, and only the
//! shared-map mode waits for a lock. (Throughput is a lesson, not a test:
//! it depends on how many cores are free.) `cargo test` builds the example.

mod example_bin;

use std::process::Command;

#[test]
fn the_three_modes_count_every_request_and_only_sharing_waits_for_the_lock() {
    let out = Command::new(example_bin::example_binary("multicore"))
        .args(["--requests", "2000", "--workers", "2", "--cpu-us", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in:\n{stdout}"))
    };
    for mode in ["1. one loop", "2. a loop per core", "3. loops sharing"] {
        let l = line(mode);
        assert!(l.contains(" req/s") && l.contains("µs CPU/request"), "{l}");
    }
    assert!(line("1. one loop").contains("lock wait     0.0 ms"));
    assert!(line("2. a loop per core").contains("lock wait     0.0 ms"));
    let check = line("check multicore: ");
    for field in ["requests=2000", "one=2000", "own=2000", "shared=2000"] {
        assert!(check.contains(field), "{check}");
    }
    assert!(line("reading: ").contains("redis"));
}
