//! `examples/http_server.rs` driven by real clients: `curl`, and `wrk` when it
//! is installed. `#[ignore]`d because plain `cargo test` must not need them;
//! CI installs curl (and wrk) and runs
//! `cargo test --test http_server_clients -- --include-ignored`.

#[path = "http_server/client.rs"]
mod client;

use std::process::{Command, Output};
use std::time::Duration;

use client::{Server, TempRoot};

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl must be installed for these tests (CI installs it)")
}

fn text(out: &Output) -> String {
    assert!(out.status.success(), "curl failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs curl"]
fn curl_get_root() {
    let server = Server::start(&[]);
    let out = curl(&[&format!("http://{}/", server.addr)]);
    assert_eq!(text(&out), "hello");
}

#[test]
#[ignore = "needs curl"]
fn curl_expect_100_continue_gets_its_answer_without_waiting() {
    let server = Server::start(&[]);
    let body = "x".repeat(2048);
    // curl sends `Expect: 100-continue` for a body over 1 KiB and waits up
    // to 1 s for the interim response before sending the body anyway.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{time_total}",
        "--data-binary",
        &body,
        &format!("http://{}/", server.addr),
    ]);
    let out = text(&out);
    let (code, secs) = out.split_once(' ').expect("code and time");
    assert_eq!(code, "405");
    // curl's own clock, from connect to the last byte (not process start-up).
    let took = Duration::from_secs_f64(secs.parse().expect("time_total"));
    assert!(
        took < Duration::from_millis(100),
        "took {took:?}: no 100 Continue?"
    );
}

#[test]
#[ignore = "needs curl"]
fn curl_head() {
    let server = Server::start(&[]);
    let out = text(&curl(&["--head", &format!("http://{}/", server.addr)]));
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(
        out.to_ascii_lowercase().contains("content-length: 5\r\n"),
        "{out}"
    );
}

#[test]
#[ignore = "needs curl"]
fn curl_static_file() {
    let root = TempRoot::new("curl");
    let server = Server::start(&["--root", root.path()]);
    let url = format!("http://{}/sub/b.html", server.addr);
    assert_eq!(text(&curl(&[&url])), "<p>b</p>\n");
    let code = text(&curl(&["-o", "/dev/null", "-w", "%{http_code}", &url]));
    assert_eq!(code, "200");
}

#[test]
#[ignore = "needs curl"]
fn curl_path_traversal_is_refused() {
    let root = TempRoot::new("curl-traversal");
    let server = Server::start(&["--root", root.path()]);
    for path in [
        "/../../../etc/passwd",
        "/sub/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/escape",
    ] {
        let url = format!("http://{}{path}", server.addr);
        let code = text(&curl(&[
            "--path-as-is",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url,
        ]));
        assert!(code == "403" || code == "404", "{path}: {code}");
    }
}

#[test]
#[ignore = "needs wrk (skipped with a note when missing)"]
fn wrk_short_run_has_no_errors() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("note: wrk is not on PATH; skipping the wrk run");
        return;
    }
    let mut server = Server::start(&[]);
    let out = Command::new("timeout")
        .args([
            "30",
            "wrk",
            "-t1",
            "-c50",
            "-d2s",
            &format!("http://{}/", server.addr),
        ])
        .output()
        .expect("run wrk");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert!(out.status.success(), "wrk failed: {out:?}");
    assert!(!report.contains("Socket errors"), "{report}");
    assert!(!report.contains("Non-2xx"), "{report}");
    let requests: u64 = report
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .map(|(n, _)| n.trim().to_string())
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `N requests in` line:\n{report}"));
    assert!(requests > 1000, "{report}");
    server.signal(libc::SIGTERM);
    assert!(server.wait(Duration::from_secs(5)).success());
}
