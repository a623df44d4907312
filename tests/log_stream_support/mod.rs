//! Shared by `tests/log_stream.rs` and `tests/log_stream_recovery.rs`: the
//! example's modules (compiled into each test), a temporary directory, and
//! the path of the example binary.
#![allow(dead_code)]

use std::path::PathBuf;

#[path = "../example_bin/mod.rs"]
mod example_bin;

#[path = "../../examples/log_stream/broker.rs"]
pub mod broker;
#[path = "../../examples/log_stream/consumer.rs"]
pub mod consumer;
#[path = "../../examples/log_stream/record.rs"]
pub mod record;
#[path = "../../examples/log_stream/report.rs"]
pub mod report;
#[path = "../../examples/log_stream/storage.rs"]
pub mod storage;

/// A fresh directory, removed on drop.
pub struct TempDir(pub PathBuf);
impl TempDir {
    /// `<tmp>/ramen-log_stream-<pid>-<name>`, emptied.
    pub fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("ramen-log_stream-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `target/<profile>/examples/log_stream` (see `tests/example_bin/mod.rs`).
pub fn example_binary() -> PathBuf {
    example_bin::example_binary("log_stream")
}
