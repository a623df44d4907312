//! The ASCII timeline: who ran when, who waited.
//!
//! The recorder's polls, drawn one row per task, one column per slice of
//! time. `█` means the task was being polled (it held the thread) during that
//! slice; `·` means it was alive but not running — waiting for I/O, a timer,
//! or simply for its turn. On one thread, at most one row is `█` at a time:
//! that is what "coroutines take turns" looks like.
//!
//! ```text
//! timeline: 3 rows over 12.0 ms, 1 column = 0.40 ms  (█ running, · alive but not running)
//! block_on    |█·······························█|
//! task 2 'a'  | █········█···················  |
//! task 3 'b'  |  █········█····················|
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::trace::{Event, EventKind};

/// Longest row label before it is cut.
const LABEL_MAX: usize = 24;

/// One task's line: its label, when it was born and finished, its polls.
struct Row {
    label: String,
    born: Duration,
    end: Option<Duration>,
    polls: Vec<(Duration, Duration)>,
}

/// Renders `events` (with their `labels`) `width` columns wide.
pub(crate) fn render(events: &[Event], labels: &BTreeMap<u64, String>, width: usize) -> String {
    let width = width.clamp(10, 400);
    let (rows, span) = collect_rows(events, labels);
    let col = (span / width as u32).max(Duration::from_nanos(1));
    let label_w = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "timeline: {} rows over {}, 1 column = {}  (█ running, · alive but not running)",
        rows.len(),
        fmt_ms(span),
        fmt_ms(col)
    );
    for row in &rows {
        let pad = label_w - row.label.chars().count();
        let _ = writeln!(
            out,
            "{}{} |{}|",
            row.label,
            " ".repeat(pad),
            cells(row, col, span, width)
        );
    }
    out
}

/// One row per task, in order of first appearance (spawn or first poll),
/// and the time the whole record spans (at least 1 ns).
fn collect_rows(events: &[Event], labels: &BTreeMap<u64, String>) -> (Vec<Row>, Duration) {
    let mut rows: Vec<Row> = Vec::new();
    let mut index: BTreeMap<u64, usize> = BTreeMap::new();
    let mut span = Duration::ZERO;
    for ev in events {
        let task = match &ev.kind {
            EventKind::Spawn { task, .. } | EventKind::Poll { task, .. } => *task,
            _ => continue,
        };
        let i = *index.entry(task).or_insert_with(|| {
            let label = labels
                .get(&task)
                .cloned()
                .unwrap_or_else(|| format!("task {task}"));
            rows.push(Row {
                label: short(&label),
                born: ev.at,
                end: None,
                polls: Vec::new(),
            });
            rows.len() - 1
        });
        if let EventKind::Poll { dur, ready, .. } = &ev.kind {
            let row = &mut rows[i];
            row.polls.push((ev.at, ev.at + *dur));
            if *ready {
                row.end = Some(ev.at + *dur);
            }
            span = span.max(ev.at + *dur);
        }
        span = span.max(ev.at);
    }
    (rows, span.max(Duration::from_nanos(1)))
}

/// A row's cells: `·` from birth to end (or to `span`), `█` over each poll.
fn cells(row: &Row, col: Duration, span: Duration, width: usize) -> String {
    let mut cells = vec![' '; width];
    let end = row.end.unwrap_or(span);
    for (c, cell) in cells.iter_mut().enumerate() {
        let start = col * c as u32;
        if start >= row.born && start < end {
            *cell = '·';
        }
    }
    for &(from, to) in &row.polls {
        let first = column_of(from, col, width);
        let last = column_of(
            to.saturating_sub(Duration::from_nanos(1)).max(from),
            col,
            width,
        );
        for cell in &mut cells[first..=last] {
            *cell = '█';
        }
    }
    cells.into_iter().collect()
}

fn column_of(t: Duration, col: Duration, width: usize) -> usize {
    ((t.as_nanos() / col.as_nanos()) as usize).min(width - 1)
}

fn short(label: &str) -> String {
    // Drop the "(spawned at …)" part: the timeline is about time, not place.
    let base = super::format::short_label(label);
    if base.chars().count() <= LABEL_MAX {
        base.to_string()
    } else {
        let cut: String = base.chars().take(LABEL_MAX - 1).collect();
        format!("{cut}…")
    }
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
