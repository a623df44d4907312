//! Child processes a task can `.await`: [`Command`], [`Child`].
//!
//! **Naive approach:** `std::process::Command` inside a task, then
//! `child.wait()` and `child.stdout.read(..)`. **Its problem:** both block
//! the thread, so every other task stops until the child ends or writes.
//! `spawn_blocking(move || child.wait())` keeps the loop going, at the price
//! of one pool thread asleep per running child — 100 children, 100 threads.
//!
//! **What this module does:** it turns the two OS events — "the pipe has
//! data" and "the child exited" — into reactor wakes, like a socket's:
//! - the parent's ends of the child's pipes are made non-blocking and
//!   registered with the reactor ([`ChildStdout`] is an
//!   [`AsyncRead`](crate::io::AsyncRead), [`ChildStdin`] an
//!   [`AsyncWrite`](crate::io::AsyncWrite));
//! - the exit is a readable *pidfd* (Linux ≥ 5.3: an fd that stands for one
//!   process), or else a `SIGCHLD` from [`crate::signal`] after which each
//!   waiting child checks its own pid (`reap.rs` explains why never
//!   `waitpid(-1)`: that would steal the exit status of children you started
//!   with `std::process`).
//!
//! # What it changes in the process
//! ramen's `SIGCHLD` handler (see [`crate::signal`]) is installed, for good,
//! the first time a child is awaited without a pidfd or a `Child` is dropped
//! while its process runs (so the orphan can be reaped when it dies). It
//! never reaps a pid it did not spawn, so `std::process` children and
//! their `wait` keep working.
//!
//! Spawning itself is std's (`fork`/`posix_spawn` + `exec`), so errors are
//! std's: a missing program is [`io::ErrorKind::NotFound`].
//!
//! ```
//! ramen::block_on(async {
//!     let out = ramen::process::Command::new("echo").arg("hi").output().await?;
//!     assert_eq!(out.stdout, b"hi\n");
//!     # Ok::<(), std::io::Error>(())
//! }).unwrap();
//! ```
//!
//! | file | what it is |
//! |---|---|
//! | `mod.rs` | [`Command`]: std's builder, plus `kill_on_drop`, `status`, `output` |
//! | `child.rs` | [`Child`], `wait`/`try_wait`/`kill`, the pipe ends |
//! | `reap.rs` | how a waiting `Child` learns of its exit: pidfd or `SIGCHLD` |
//! | `orphans.rs` | dropped, still-running children, reaped by the `SIGCHLD` handler itself |

mod child;
mod orphans;
mod reap;

use std::ffi::OsStr;
use std::io;
use std::path::Path;

pub use child::{Child, ChildStderr, ChildStdin, ChildStdout, Wait};
pub use std::process::{ExitStatus, Output, Stdio};

use crate::io::AsyncReadExt;

/// Called by the signal module after it dispatched a `SIGCHLD`.
pub(crate) fn on_sigchld() {
    orphans::reap_orphans();
}

/// Called by the signal handler on `SIGCHLD` (async-signal-safe: see
/// `orphans::sweep_slots`).
pub(crate) fn sweep_orphans_in_handler() {
    orphans::sweep_slots();
}

/// A process builder mirroring [`std::process::Command`], whose
/// [`spawn`](Self::spawn) returns a ramen [`Child`].
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
        }
    }
}

impl Command {
    /// A command for `program` (looked up in `PATH` if it has no `/`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }
    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }
    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }
    /// Sets one environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }
    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }
    /// Removes one environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }
    /// Starts the child with an empty environment (plus what `env` adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }
    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }
    /// The child's stdin (default: inherited, or null for `output`).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }
    /// The child's stdout (default: inherited, or piped for `output`).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }
    /// The child's stderr (default: inherited, or piped for `output`).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }
    /// Whether dropping the [`Child`] (or a `status`/`output` future) while
    /// the process runs sends it `SIGKILL`. Default `false`, as in std.
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }
    /// The std builder inside.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }
    /// The std builder inside, mutably (for options this type does not
    /// mirror, such as `std::os::unix::process::CommandExt`).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the process. Must run inside `ramen::block_on` (its pipes and
    /// its exit are registered with the current runtime).
    ///
    /// Errors: std's spawn errors (a missing program is
    /// [`io::ErrorKind::NotFound`]); an error outside a runtime, before any
    /// process is started.
    pub fn spawn(&mut self) -> io::Result<Child> {
        if crate::context::current_id() == 0 {
            return Err(io::Error::other(
                "ramen::process: spawn must be called inside ramen::block_on \
                 (no ramen runtime is running on this thread)",
            ));
        }
        orphans::reap_orphans();
        let std = self.std.spawn()?;
        Child::new(std, self.kill_on_drop)
    }

    /// Spawns the child with its stdio inherited (unless set), closes its
    /// stdin pipe if one was asked for, and waits for it to exit.
    ///
    /// # Cancellation
    /// Dropping the future drops the [`Child`]: the process keeps running
    /// (and is reaped later) unless [`kill_on_drop`](Self::kill_on_drop).
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await // `wait` closes a piped stdin
    }

    /// Spawns the child with stdout and stderr piped and stdin null (unless
    /// set), and collects both outputs while waiting for it to exit. The
    /// command keeps those settings for later spawns, as in tokio.
    ///
    /// # Cancellation
    /// Dropping the future drops the [`Child`] and the output read so far;
    /// the process keeps running (and is reaped later) unless
    /// [`kill_on_drop`](Self::kill_on_drop).
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::piped());
        }
        let mut child = self.spawn()?;
        drop(child.stdin.take());
        let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr, status) =
            crate::join!(read_all(out.as_mut()), read_all(err.as_mut()), child.wait());
        Ok(Output {
            status: status?,
            stdout: stdout?,
            stderr: stderr?,
        })
    }
}

/// Reads a pipe to its end (an absent pipe reads as empty).
async fn read_all<R: crate::io::AsyncRead + Unpin>(r: Option<&mut R>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(r) = r {
        r.read_to_end(&mut buf).await?;
    }
    Ok(buf)
}
