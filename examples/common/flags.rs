//! The `--flag value` command lines of the examples: `--help`/`-h` prints
//! the usage and exits 0; a flag without a value, or one the caller rejects,
//! prints the problem and the usage and exits 2. Shared through
//! `#[path = "common/flags.rs"]`; each example uses the helpers it needs.
#![allow(dead_code)]

use std::str::FromStr;
use std::time::Duration;

/// Calls `set(flag, value)` for each flag of the command line, in order. A
/// flag listed in `switches` stands alone (`set` gets it with an empty
/// value); any other takes the next argument as its value. `set` returns
/// `Err(message)` for an unknown flag or a bad value.
pub fn parse(
    name: &str,
    usage: &str,
    switches: &[&str],
    mut set: impl FnMut(&str, String) -> Result<(), String>,
) {
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        let result = if switches.contains(&flag.as_str()) {
            set(&flag, String::new())
        } else {
            match it.next() {
                Some(value) => set(&flag, value),
                None => Err(format!("{flag} needs a value")),
            }
        };
        if let Err(msg) = result {
            fail(name, usage, &msg);
        }
    }
}

/// Prints `name: msg` and the usage to stderr, and exits with status 2.
pub fn fail(name: &str, usage: &str, msg: &str) -> ! {
    eprintln!("{name}: {msg}\n{usage}");
    std::process::exit(2);
}

/// The message for a flag set to something `set` does not accept.
pub fn unknown(flag: &str) -> String {
    format!("unknown option {flag}")
}

/// `value` as a number (`_` separators allowed: `100_000`), or a message
/// naming `flag`.
pub fn number<T: FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{flag}: expected a number, got {value:?}"))
}

/// As [`number`], and more than zero.
pub fn positive<T: FromStr + PartialOrd + Default>(flag: &str, value: &str) -> Result<T, String> {
    number(flag, value)
        .ok()
        .filter(|n: &T| *n > T::default())
        .ok_or_else(|| format!("{flag}: expected a positive number, got {value:?}"))
}

/// `value` as a number of milliseconds.
pub fn millis(flag: &str, value: &str) -> Result<Duration, String> {
    number(flag, value).map(Duration::from_millis)
}
