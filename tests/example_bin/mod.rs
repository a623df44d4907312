//! Where `cargo test` put an example's binary, for the tests that run one.
//! Included with `mod example_bin;` (or `#[path]` from a support module).

use std::path::PathBuf;

/// `target/<profile>/examples/<name>`, found from this test binary's own
/// path (`target/<profile>/deps/<test>-<hash>`). `cargo test` builds every
/// example first; a missing binary fails with that advice.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test binary directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "example binary {} not found: run these tests with `cargo test` (it builds the \
         examples), or run `cargo build --examples` first",
        bin.display()
    );
    bin
}
