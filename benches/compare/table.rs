//! Printing the report: one markdown table, with the machine, the date and
//! the load average (a loaded machine slows every contender alike, but says
//! how far to trust small differences), then the notes.

use std::process::Command;

use super::{COLS, PEERS, Row};

pub(super) fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn fmt(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(x) if x.is_nan() => "n/a".into(),
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

pub(super) fn print_table(rows: &[Row], load_before: String, notes: &[String]) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "`cargo run -p ramen-benches --release --bin compare` — {date}, {nproc} × {model}, load average {load_before} (before) / {} (after)\n",
        loadavg()
    );
    println!(
        "| workload | unit | {} | ramen÷best peer |",
        COLS.join(" | ")
    );
    println!("|---|---|{}---|", "---:|".repeat(COLS.len()));
    for r in rows {
        let peers = PEERS
            .filter(|&i| Some(i) != r.not_peer)
            .filter_map(|i| r.cells[i])
            .fold(f64::INFINITY, f64::min);
        let ratio = match r.cells[0] {
            Some(x) if peers.is_finite() && peers > 0.0 => format!("{:.2}", x / peers),
            _ => "–".into(),
        };
        let cells: Vec<String> = r.cells.iter().map(|&c| fmt(c)).collect();
        println!(
            "| {} | {} | {} | {ratio} |",
            r.workload,
            r.unit,
            cells.join(" | ")
        );
    }
    for note in notes {
        println!("\n{note}");
    }
}
