//! `examples/hyper_server.rs` (hyper on ramen) driven by real clients: curl,
//! wrk and ApacheBench with keep-alive (`ab -k`). `#[ignore]`d because plain
//! `cargo test` must not need them; CI installs curl, wrk and apache2-utils
//! and runs `cargo test --test hyper_server_clients -- --include-ignored`.

#[path = "http_server/client.rs"]
mod client;

use std::process::{Command, Output};
use std::time::Duration;

use client::Server;

fn start() -> Server {
    Server::start_example("hyper_server", &[])
}

/// Runs `tool args...` under `timeout 60`; panics (naming the package to
/// install) when the tool is missing, since CI installs all of them.
fn run(tool: &str, package: &str, args: &[&str]) -> String {
    let out: Output = Command::new("timeout")
        .arg("60")
        .arg(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run timeout {tool}: {e}"));
    assert!(
        out.status.code() != Some(127),
        "{tool} is not installed (apt-get install {package})"
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number after `label` on the line that starts with it.
fn number_after(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{label} N` line in:\n{report}"))
}

/// Stops the server with SIGTERM and returns the requests it says it served.
fn stop(mut server: Server) -> u64 {
    server.signal(libc::SIGTERM);
    assert!(server.wait(Duration::from_secs(10)).success());
    let summary = server.line(Duration::from_secs(1));
    number_after(&summary, "shutdown:")
}

#[test]
#[ignore = "needs curl"]
fn curl_gets_hello_and_reuses_the_connection() {
    let server = start();
    let root = format!("http://{}/", server.addr);
    let missing = format!("http://{}/missing", server.addr);
    let silent = ["--silent", "--show-error", "--max-time", "10"];
    assert_eq!(
        run("curl", "curl", &[&silent[..], &[&root]].concat()),
        "hello"
    );
    // Two URLs in one curl: the second reuses the connection (0 new connects).
    let fmt = "%{http_code} %{num_connects}\\n";
    let null = ["-o", "/dev/null", "-o", "/dev/null"]; // one per URL
    let args = [&silent[..], &null, &["-w", fmt, &root, &missing]].concat();
    assert_eq!(run("curl", "curl", &args), "200 1\n404 0\n");
    assert_eq!(stop(server), 3);
}

#[test]
#[ignore = "needs wrk"]
fn wrk_keep_alive_run_has_no_errors() {
    let server = start();
    let url = format!("http://{}/", server.addr);
    let report = run("wrk", "wrk", &["-t1", "-c50", "-d2s", &url]);
    eprintln!("{report}");
    assert!(!report.contains("Socket errors"), "{report}");
    assert!(!report.contains("Non-2xx"), "{report}");
    let requests = report
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .map(|(n, _)| n.to_string())
        })
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no `N requests in` line:\n{report}"));
    assert!(requests > 1000, "{report}");
    // wrk counts completed responses; the server may have answered a few
    // more that wrk cut off at the end of its window.
    assert!(stop(server) >= requests);
}

#[test]
#[ignore = "needs ab (apache2-utils)"]
fn ab_keep_alive_gets_every_response_right() {
    let server = start();
    let url = format!("http://{}/", server.addr);
    let report = run(
        "ab",
        "apache2-utils",
        &["-k", "-n", "5000", "-c", "20", &url],
    );
    eprintln!("{report}");
    assert_eq!(
        number_after(&report, "Complete requests:"),
        5000,
        "{report}"
    );
    assert_eq!(number_after(&report, "Failed requests:"), 0, "{report}");
    assert_eq!(
        number_after(&report, "Keep-Alive requests:"),
        5000,
        "{report}"
    );
    assert_eq!(number_after(&report, "Document Length:"), 5, "{report}");
    assert_eq!(stop(server), 5000);
}
