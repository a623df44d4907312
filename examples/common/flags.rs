//! The `--flag value` command lines of the example servers: `--help`/`-h`
//! prints the usage and exits 0; a flag without a value, or one the caller
//! rejects, prints the problem and the usage and exits 2.

/// Calls `set(flag, value)` for each `--flag value` pair of the command line;
/// `set` returns `Err(message)` for an unknown flag or a bad value.
pub fn parse(name: &str, usage: &str, mut set: impl FnMut(&str, String) -> Result<(), String>) {
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        let result = match it.next() {
            Some(value) => set(&flag, value),
            None => Err(format!("{flag} needs a value")),
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
