//! Every file path the documentation names must exist.
//!
//! Files move (`runtime.rs` was split into `event_loop.rs`, say) and prose
//! pointing at them goes stale silently. This reads `README.md`,
//! `docs/ko/README.md` and `src/lib.rs`, collects every path that starts with
//! `src/`, `examples/`, `benches/`, `tests/` or `docs/`, plus the file names
//! in `src/lib.rs`'s reading-order table (relative to `src/`), and checks
//! that each exists in the repository. The `//!` module docs of every `.rs`
//! file in `src/`, `examples/`, `tests/` and `benches/` are checked the same
//! way. A markdown table cut by a blank line is caught too.

use std::path::Path;

const DOCS: [&str; 3] = ["README.md", "docs/ko/README.md", "src/lib.rs"];
const ROOTS: [&str; 5] = ["src/", "examples/", "benches/", "tests/", "docs/"];

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '*')
}

/// Paths starting with one of `ROOTS`, as written in `text`.
fn rooted_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        if !ROOTS.iter().any(|r| rest.starts_with(r)) {
            continue;
        }
        // Only at the start of a path, not inside one (`x/src/...`).
        if text[..i].chars().next_back().is_some_and(is_path_char) {
            continue;
        }
        let end = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches('.');
        if !path.contains('*') {
            found.push(path.to_string());
        }
    }
    found
}

/// File names in the reading-order table of `src/lib.rs` (lines like
/// "//! | `io/traits.rs`, `io/ext.rs` | ..."): the first cell's backticked
/// names ending in `.rs` or `/`, relative to `src/`.
fn reading_order_paths(lib_rs: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in lib_rs.lines() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let first_cell = row.split('|').next().unwrap_or("");
        for (n, piece) in first_cell.split('`').enumerate() {
            let inside_backticks = n % 2 == 1;
            if inside_backticks && (piece.ends_with(".rs") || piece.ends_with('/')) {
                found.push(format!("src/{piece}"));
            }
        }
    }
    found
}

#[test]
fn every_path_named_in_the_docs_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in DOCS {
        let text = std::fs::read_to_string(root.join(doc))
            .unwrap_or_else(|e| panic!("cannot read {doc}: {e}"));
        let mut paths = rooted_paths(&text);
        if doc == "src/lib.rs" {
            paths.extend(reading_order_paths(&text));
        }
        for p in paths {
            checked += 1;
            if !root.join(&p).exists() {
                missing.push(format!("{doc} names {p}"));
            }
        }
    }
    assert!(
        checked > 20,
        "found only {checked} paths: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "paths named in the docs that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_path_named_in_module_docs_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "examples", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let module_docs: String = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        for p in rooted_paths(&module_docs) {
            checked += 1;
            if !root.join(&p).exists() {
                let shown = file.strip_prefix(root).unwrap_or(file).display();
                missing.push(format!("{shown} names {p}"));
            }
        }
    }
    assert!(
        checked > 20,
        "found only {checked} paths: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "paths named in `//!` module docs that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn the_scan_finds_what_it_should() {
    let text =
        "see `src/waker.rs`, examples/processes.rs. and benches/ but not x/src/a.rs or src/*.rs";
    assert_eq!(
        rooted_paths(text),
        ["src/waker.rs", "examples/processes.rs", "benches/"]
    );
    let lib = "//! | `io/traits.rs`, `io/ext.rs` | [`io::AsyncRead`] `x.rs` |\n//! | `diag/` | y |";
    assert_eq!(
        reading_order_paths(lib),
        ["src/io/traits.rs", "src/io/ext.rs", "src/diag/"]
    );
}

/// Line numbers (1-based) where a markdown table is cut by a blank line: a
/// table row, then blank lines, then another table row that does not start
/// a new table (no `|---|` separator under it). Markdown ends a table at the
/// first blank line, so the rows after it render as raw text.
fn tables_cut_by_blank_lines(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cuts = Vec::new();
    let mut last_row: Option<usize> = None;
    let mut blank_since_row = false;
    let mut in_code = false;
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start();
        if line.starts_with("```") {
            in_code = !in_code;
            last_row = None;
            continue;
        }
        if in_code {
            continue;
        }
        if line.starts_with('|') {
            let starts_a_table = lines.get(i + 1).is_some_and(|next| {
                let next = next.trim();
                next.starts_with("|-") || next.starts_with("| -") || next.starts_with("|:")
            });
            if last_row.is_some() && blank_since_row && !starts_a_table {
                cuts.push(i + 1);
            }
            last_row = Some(i);
            blank_since_row = false;
        } else if line.is_empty() {
            blank_since_row = last_row.is_some();
        } else {
            last_row = None;
            blank_since_row = false;
        }
    }
    cuts
}

#[test]
fn no_markdown_table_is_cut_by_a_blank_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for doc in ["README.md", "docs/ko/README.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for line in tables_cut_by_blank_lines(&text) {
            broken.push(format!("{doc}:{line}"));
        }
    }
    assert!(
        broken.is_empty(),
        "a blank line ends a markdown table; these rows render as raw text:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_table_check_finds_a_cut_table() {
    let cut = "| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n";
    assert_eq!(tables_cut_by_blank_lines(cut), [5]);
    let two_tables = "| a |\n|---|\n\ntext between\n\n| b |\n|---|\n";
    assert!(tables_cut_by_blank_lines(two_tables).is_empty());
    let adjacent = "| a |\n|---|\n| 1 |\n\n| b |\n|---|\n| 2 |\n";
    assert!(tables_cut_by_blank_lines(adjacent).is_empty());
}
