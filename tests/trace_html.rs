//! The offline HTML trace: `api_wait --trace run.html` writes a page that
//! names every task, and (ignored, run by `.ci/run` after installing
//! Debian's `chromium`) headless Chromium renders it to a screenshot that
//! is not blank.
//!
//! The example binary is built by `cargo test` into `target/<profile>/examples/`.

mod example_bin;

use std::path::PathBuf;
use std::process::Command;

use example_bin::example_binary;

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ramen-trace-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs api_wait with a small workload and an HTML trace; returns the page.
fn api_wait_page(dir: &std::path::Path) -> String {
    let path = dir.join("run.html");
    let out = Command::new(example_binary("api_wait"))
        .args([
            "--calls",
            "3",
            "--latency-ms",
            "60",
            "--work-ms",
            "20",
            "--trace",
        ])
        .arg(&path)
        .output()
        .expect("run api_wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "api_wait failed:\n{stdout}");
    assert!(
        stdout.contains("open it in any browser"),
        "api_wait should say how to open the page:\n{stdout}"
    );
    std::fs::read_to_string(&path).expect("the trace page was written")
}

#[test]
fn api_wait_writes_a_page_naming_every_task() {
    let dir = scratch_dir("names");
    let html = api_wait_page(&dir);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "no picture in the page");
    assert!(!html.contains("<script"), "the page must need no scripts");
    // Every task row of the table names a task; there is more than the
    // block_on future, and every named task has a row in the picture too.
    let names: Vec<&str> = html
        .lines()
        .filter_map(|l| l.strip_prefix("<tr><td>"))
        .filter_map(|l| l.split("</td>").next())
        .collect();
    assert!(
        names.len() >= 4,
        "expected block_on + 3 calls, got {names:?}"
    );
    for name in &names {
        assert!(
            html.contains(&format!("<title>{name}</title></text>")),
            "task {name} has no row in the picture"
        );
    }
    assert!(html.contains("→ Pending</title>") && html.contains("→ Ready</title>"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Debian's chromium (installed by .ci/run)"]
fn chromium_renders_the_page_and_it_is_not_blank() {
    let dir = scratch_dir("chromium");
    let html = api_wait_page(&dir);
    assert!(html.contains("<svg"));
    let shot = dir.join("shot.png");
    let profile = dir.join("profile");
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1300,700",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("run.html").display()))
        .status()
        .expect("run chromium (apt-get install chromium)");
    assert!(status.success(), "chromium failed: {status}");
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    // A blank white 1300x700 page compresses to a few KB; the bars, labels
    // and table make the picture much larger.
    assert!(
        png.len() > 20_000,
        "the screenshot is {} bytes: the page looks blank",
        png.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
