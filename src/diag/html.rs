//! The recorder drawn as one self-contained HTML page: an offline picture of
//! every poll.
//!
//! **Naive approach:** the Chrome trace (`trace.rs`) is enough; open it in
//! Perfetto. **Its problem:** Perfetto is a web application. A learner on a
//! train, behind a firewall, or simply without the habit of uploading files
//! to a website, has a JSON file and nothing to look at.
//!
//! **What this file does:** turns the same recording into a page that needs
//! nothing but a browser: inline SVG, inline CSS, no scripts, nothing
//! fetched. One row per task (and one for the reactor), one bar per poll
//! (green when it returned `Ready`, blue when `Pending`), a small triangle per
//! wake (orange when the wake came from another thread), and on the reactor
//! row the moments the loop found fds ready, fired timers or ran out of
//! budget. Hovering any mark shows its details (SVG `<title>`). Below the
//! picture, a table per task: polls, time on the thread, wakes. The gaps
//! between bars are the point: that is where a task was waiting and the
//! thread was free for the others.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::trace::{EventKind, Recorder};

/// At most this many marks are drawn; the table still counts everything.
const MAX_MARKS: usize = 20_000;
/// Width of the time axis in pixels (the label column is extra).
const PLOT_WIDTH: f64 = 1000.0;
const LABEL_WIDTH: f64 = 220.0;
const ROW_HEIGHT: f64 = 22.0;
const TOP: f64 = 30.0;

/// Per-task totals for the table under the picture.
#[derive(Default)]
struct TaskTotals {
    polls: u64,
    busy: Duration,
    wakes: u64,
    remote_wakes: u64,
    finished: bool,
}

/// Renders `rec` as a complete HTML document.
pub(crate) fn render(rec: &Recorder) -> String {
    let end = recording_end(rec).max(Duration::from_micros(1));
    let rows = row_order(rec);
    let row_of = |task: u64| rows.iter().position(|&t| t == task);
    let x = |at: Duration| LABEL_WIDTH + at.as_secs_f64() / end.as_secs_f64() * PLOT_WIDTH;
    let height = TOP + ROW_HEIGHT * rows.len() as f64 + 30.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         font-family=\"monospace\" font-size=\"12\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
        w = LABEL_WIDTH + PLOT_WIDTH + 20.0
    );
    draw_rows(&mut svg, rec, &rows);
    draw_axis(&mut svg, end, height - 20.0);

    let mut totals: BTreeMap<u64, TaskTotals> = BTreeMap::new();
    let mut drawn = 0usize;
    for ev in &rec.events {
        let mark = mark_for(&ev.kind, ev.at, &x, &row_of, &mut totals);
        if let Some(mark) = mark
            && drawn < MAX_MARKS
        {
            svg.push_str(&mark);
            drawn += 1;
        }
    }
    svg.push_str("</svg>");
    page(rec, &svg, &totals, end, drawn)
}

/// The time of the last thing recorded (a poll counts until it returned).
fn recording_end(rec: &Recorder) -> Duration {
    rec.events
        .iter()
        .map(|ev| match ev.kind {
            EventKind::Poll { dur, .. } => ev.at + dur,
            _ => ev.at,
        })
        .max()
        .unwrap_or_default()
}

/// Row 0 is the reactor; then every task in id order.
fn row_order(rec: &Recorder) -> Vec<u64> {
    let mut rows = vec![0];
    rows.extend(rec.labels.keys().copied().filter(|&t| t != 0));
    rows
}

fn row_y(row: usize) -> f64 {
    TOP + ROW_HEIGHT * row as f64
}

fn draw_rows(svg: &mut String, rec: &Recorder, rows: &[u64]) {
    for (i, task) in rows.iter().enumerate() {
        let y = row_y(i);
        let name = if *task == 0 {
            "reactor (I/O, timers, budget)".to_string()
        } else {
            rec.labels.get(task).cloned().unwrap_or_default()
        };
        let shade = if i % 2 == 0 { "#f4f4f4" } else { "#fbfbfb" };
        let _ = write!(
            svg,
            "<rect x=\"0\" y=\"{y}\" width=\"{w}\" height=\"{ROW_HEIGHT}\" fill=\"{shade}\"/>\
             <text x=\"4\" y=\"{ty}\">{}<title>{}</title></text>",
            escape(&truncate(super::format::short_label(&name), 30)),
            escape(&name),
            w = LABEL_WIDTH + PLOT_WIDTH + 20.0,
            ty = y + 15.0
        );
    }
}

fn draw_axis(svg: &mut String, end: Duration, y: f64) {
    let _ = write!(
        svg,
        "<line x1=\"{LABEL_WIDTH}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#888\"/>",
        x2 = LABEL_WIDTH + PLOT_WIDTH
    );
    for i in 0..=10 {
        let at = end.mul_f64(f64::from(i) / 10.0);
        let x = LABEL_WIDTH + PLOT_WIDTH * f64::from(i) / 10.0;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"{y}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"#888\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>",
            precise(at),
            y2 = y + 4.0,
            ty = y + 16.0
        );
    }
}

/// One SVG element for `kind` (or none), and the totals it adds to.
fn mark_for(
    kind: &EventKind,
    at: Duration,
    x: &impl Fn(Duration) -> f64,
    row_of: &impl Fn(u64) -> Option<usize>,
    totals: &mut BTreeMap<u64, TaskTotals>,
) -> Option<String> {
    let at_ms = at.as_secs_f64() * 1e3;
    match kind {
        EventKind::Spawn { .. } | EventKind::Waits { .. } | EventKind::IoReady { .. } => None,
        EventKind::Poll { task, dur, ready } => {
            let t = totals.entry(*task).or_default();
            t.polls += 1;
            t.busy += *dur;
            t.finished |= *ready;
            let y = row_y(row_of(*task)?) + 3.0;
            let (x0, x1) = (x(at), x(at + *dur));
            let (fill, outcome) = if *ready {
                ("#2e9e44", "Ready")
            } else {
                ("#3b6fd6", "Pending")
            };
            Some(format!(
                "<rect x=\"{x0:.2}\" y=\"{y}\" width=\"{:.2}\" height=\"16\" fill=\"{fill}\">\
                 <title>poll at {at_ms:.3} ms, {} → {outcome}</title></rect>",
                (x1 - x0).max(1.0),
                precise(*dur)
            ))
        }
        EventKind::Wake { task, remote } => {
            let t = totals.entry(*task).or_default();
            t.wakes += 1;
            t.remote_wakes += u64::from(*remote);
            let y = row_y(row_of(*task)?) + 19.0;
            let (fill, from) = if *remote {
                ("#e8801a", "another thread")
            } else {
                ("#555", "this thread")
            };
            let x0 = x(at);
            Some(format!(
                "<polygon points=\"{x0:.2},{y} {:.2},{:.2} {:.2},{:.2}\" fill=\"{fill}\">\
                 <title>woken at {at_ms:.3} ms from {from}</title></polygon>",
                x0 - 3.0,
                y + 3.0,
                x0 + 3.0,
                y + 3.0
            ))
        }
        EventKind::Io { fds } => reactor_mark(
            x(at),
            "#8a3bd6",
            &format!("{fds} fd(s) ready at {at_ms:.3} ms"),
        ),
        EventKind::Timers { fired } => reactor_mark(
            x(at),
            "#d63b3b",
            &format!("{fired} timer(s) fired at {at_ms:.3} ms"),
        ),
        EventKind::ForcedYield { ready } => reactor_mark(
            x(at),
            "#999",
            &format!("budget spent at {at_ms:.3} ms, {ready} task(s) still ready"),
        ),
    }
}

fn reactor_mark(x: f64, fill: &str, what: &str) -> Option<String> {
    let y = row_y(0) + 4.0;
    Some(format!(
        "<rect x=\"{:.2}\" y=\"{y}\" width=\"3\" height=\"14\" fill=\"{fill}\">\
         <title>{}</title></rect>",
        x - 1.0,
        escape(what)
    ))
}

fn page(
    rec: &Recorder,
    svg: &str,
    totals: &BTreeMap<u64, TaskTotals>,
    end: Duration,
    drawn: usize,
) -> String {
    let mut out = String::with_capacity(svg.len() + 4096);
    out.push_str(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ramen trace</title>\
         <style>body{font-family:sans-serif;margin:16px}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\
         td:first-child,th:first-child{text-align:left}\
         .k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style></head><body>\n",
    );
    let _ = write!(
        out,
        "<h1>ramen trace</h1><p>{} task(s), {} event(s), {} recorded. One row per task, \
         one bar per poll; gaps are waits, when the thread was free for others.</p>\n<p>\
         <span class=\"k\" style=\"background:#3b6fd6\"></span>poll → Pending\
         <span class=\"k\" style=\"background:#2e9e44\"></span>poll → Ready\
         <span class=\"k\" style=\"background:#555\"></span>wake (this thread)\
         <span class=\"k\" style=\"background:#e8801a\"></span>wake (another thread)\
         <span class=\"k\" style=\"background:#8a3bd6\"></span>fds ready\
         <span class=\"k\" style=\"background:#d63b3b\"></span>timers fired\
         <span class=\"k\" style=\"background:#999\"></span>budget spent</p>\n",
        rec.labels.len(),
        rec.events.len(),
        precise(end)
    );
    if drawn < rec.events.len() && drawn >= MAX_MARKS {
        let _ = write!(
            out,
            "<p><b>Only the first {MAX_MARKS} marks are drawn</b>; the table counts all.</p>"
        );
    }
    out.push_str(svg);
    out.push_str(
        "\n<h2>Tasks</h2><table><tr><th>task</th><th>polls</th><th>time on the thread</th>\
         <th>wakes</th><th>from other threads</th><th>finished</th></tr>\n",
    );
    for (task, label) in &rec.labels {
        let t = totals.get(task);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(label),
            t.map_or(0, |t| t.polls),
            precise(t.map_or(Duration::ZERO, |t| t.busy)),
            t.map_or(0, |t| t.wakes),
            t.map_or(0, |t| t.remote_wakes),
            if t.is_some_and(|t| t.finished) {
                "yes"
            } else {
                "no"
            }
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

/// Durations on the picture's axis and in its table: one decimal of a
/// millisecond (polls of a few ms must stay distinguishable), unlike the
/// whole milliseconds of `format::human`.
fn precise(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.2} s", d.as_secs_f64())
    } else if d >= Duration::from_millis(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{} µs", d.as_micros())
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// HTML escaping for task names (user input) and tooltips.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recorder {
        let mut r = Recorder::default();
        let spawn = |task: u64, label: &str| EventKind::Spawn {
            task,
            label: label.into(),
        };
        r.push(Duration::ZERO, spawn(1, "block_on"));
        r.push(Duration::ZERO, spawn(2, "call <1> & \"x\""));
        let poll = |task, ms, ready| EventKind::Poll {
            task,
            dur: Duration::from_millis(ms),
            ready,
        };
        r.push(Duration::from_millis(1), poll(2, 2, false));
        r.push(Duration::from_millis(40), EventKind::Io { fds: 1 });
        let wake = EventKind::Wake {
            task: 2,
            remote: true,
        };
        r.push(Duration::from_millis(40), wake);
        r.push(Duration::from_millis(41), poll(2, 1, true));
        r.push(Duration::from_millis(42), poll(1, 1, true));
        r
    }

    #[test]
    fn the_page_names_every_task_and_draws_every_poll() {
        let html = render(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<td>block_on</td>"), "{html}");
        assert!(
            html.contains("call &lt;1&gt; &amp; &quot;x&quot;"),
            "{html}"
        );
        assert_eq!(html.matches("→ Pending</title>").count(), 1);
        assert_eq!(html.matches("→ Ready</title>").count(), 2);
        assert!(html.contains("from another thread"));
        assert!(html.contains("1 fd(s) ready at 40.000 ms"));
        // Nothing is fetched: no scripts, no external references.
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http"));
        assert!(!html.contains("href=\"http"));
    }

    #[test]
    fn the_table_counts_polls_time_and_wakes() {
        let html = render(&sample());
        let row = html
            .lines()
            .find(|l| l.starts_with("<tr><td>call"))
            .expect("row for task 2");
        assert_eq!(
            row,
            "<tr><td>call &lt;1&gt; &amp; &quot;x&quot;</td><td>2</td><td>3.0 ms</td>\
             <td>1</td><td>1</td><td>yes</td></tr>"
        );
    }

    #[test]
    fn an_empty_recording_is_still_a_page() {
        let html = render(&Recorder::default());
        assert!(html.contains("0 task(s), 0 event(s)"));
        assert!(html.ends_with("</html>\n"));
    }
}
