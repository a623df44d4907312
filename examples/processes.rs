//! Processes: isolation, and what talking across the wall costs.
//!
//! §1 of the study note: a process has its own memory, so one that dies does
//! not take the others down — and because memory is separate, processes talk
//! through IPC: a **pipe**, a **socket**, or **shared memory** ("the fastest,
//! the hardest to manage"). This example re-executes itself as the child
//! (`std::env::current_exe()` with `--child <mode>`), so it needs nothing else.
//!
//! 1. **crash**: a child aborts (`SIGABRT`). The parent, a ramen runtime with
//!    a heartbeat task ticking every 10 ms, waits for it with
//!    `ramen::process::Child::wait` (the exit arrives as a reactor event: a
//!    pidfd on Linux, a SIGCHLD elsewhere; no thread is spent waiting),
//!    prints the exit status, and carries on.
//!    It also times creating a process (spawn → exit of a child that does
//!    nothing).
//! 2. **pipe**: the child's stdin and stdout are pipes; `ramen::process`
//!    hands the parent its ends already non-blocking and registered with the
//!    reactor (`ChildStdin` is an `AsyncWrite`, `ChildStdout` an
//!    `AsyncRead`), and the parent plays ping-pong: 8 bytes out, 8 bytes
//!    (the number + 1) back.
//! 3. **socket**: the same child, but its stdin and stdout are one end of a
//!    Unix socket pair; the parent holds the other end as a
//!    `ramen::net::UnixStream`.
//! 4. **shared memory** (Linux): a `memfd_create` region both processes
//!    `mmap` (`MAP_SHARED`); the numbers travel through that memory, not
//!    through the kernel. What crosses the kernel is only the "data ready"
//!    signal: an `eventfd` per direction. The parent's eventfd is wrapped in
//!    `AsyncFd`, so the reactor waits on it like on any socket. The child
//!    finds the region and the eventfds as inherited fds whose numbers are on
//!    its command line.
//!
//! ```sh
//! cargo run --example processes
//! cargo run --release --example processes -- --round-trips 10000
//! ```
//!
//! **What to look for:** the child's exit status (`signal 6 (SIGABRT)`) and
//! the heartbeat that kept ticking while it died; a process costs about a
//! millisecond to create; then the round-trip table. For 8 bytes the three
//! are within a small factor of each other, and their order depends on the
//! machine: every round trip, whatever the channel, puts a process to sleep
//! and wakes it twice, and those wake-ups (microseconds each) dominate.
//! Shared memory skips copying the data through the kernel, an advantage that
//! grows with the size of the data; so does the difficulty (the two sides
//! must agree on the layout and on who writes when).

#[cfg(unix)]
const USAGE: &str = "usage: processes [--round-trips 1000]";

#[cfg(unix)]
#[path = "common/flags.rs"]
mod flags;

#[cfg(unix)]
fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--child") => {
            let mode = args.next().unwrap_or_default();
            let rest: Vec<String> = args.collect();
            unix::child(&mode, &rest);
        }
        _ => {
            let mut round_trips = 1000;
            flags::parse("processes", USAGE, &[], |flag, value| match flag {
                "--round-trips" => {
                    round_trips = flags::positive(flag, &value)?;
                    Ok(())
                }
                _ => Err(flags::unknown(flag)),
            });
            unix::parent(round_trips);
        }
    }
}

#[cfg(not(unix))]
fn main() {
    println!(
        "processes: this example uses Unix pipes, socket pairs and signals; it runs on Unix only"
    );
}

#[cfg(unix)]
mod unix {
    use std::io::{Read, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    use ramen::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use ramen::process::{Child, Command, ExitStatus, Stdio};

    /// Round trips before the timed ones (page faults, first wake-ups).
    const WARM_UP: u32 = 20;

    fn this_program() -> Command {
        let exe = std::env::current_exe().expect("cannot find this program's path");
        Command::new(exe)
    }

    // ------------------------------------------------------------------
    // The child side: plain blocking code (a child has nothing else to do).
    // ------------------------------------------------------------------

    pub fn child(mode: &str, rest: &[String]) {
        match mode {
            "crash" => crash(),
            "noop" => {}
            "echo" => echo(),
            #[cfg(target_os = "linux")]
            "shm" => shm::child(rest),
            other => {
                eprintln!("child: unknown mode {other:?} (args {rest:?})");
                std::process::exit(2);
            }
        }
    }

    fn crash() -> ! {
        // No core file for a crash we cause on purpose.
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `setrlimit` reads the struct we pass by pointer; it is a
        // valid, initialized `rlimit` that outlives the call.
        unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_DUMPABLE with 0 only changes this process's
        // dumpable flag (also stopping core-dump helpers); no pointers.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
        println!(
            "  child {}: something went badly wrong, crashing now (abort)",
            std::process::id()
        );
        let _ = std::io::stdout().flush();
        std::process::abort();
    }

    /// Reads 8-byte numbers from stdin and answers each with the number + 1,
    /// until end of input. Stdin/stdout are pipes or a socket: the child
    /// neither knows nor cares.
    fn echo() {
        let mut input = std::io::stdin().lock();
        let mut output = std::io::stdout().lock();
        let mut buf = [0u8; 8];
        while input.read_exact(&mut buf).is_ok() {
            let v = u64::from_le_bytes(buf) + 1;
            if output.write_all(&v.to_le_bytes()).is_err() || output.flush().is_err() {
                break;
            }
        }
    }

    // ------------------------------------------------------------------
    // The parent side: one ramen runtime.
    // ------------------------------------------------------------------

    pub fn parent(round_trips: u32) {
        println!(
            "parent {}: starting children with {:?} --child <mode>",
            std::process::id(),
            std::env::current_exe().unwrap_or_default()
        );
        let rt = ramen::Runtime::builder()
            .slow_poll_threshold(None)
            .build()
            .expect("cannot create the runtime");
        rt.block_on(async {
            let status = crash_part().await;
            let spawn_cost = spawn_cost().await;
            println!();
            println!("== IPC: {round_trips} round trips of 8 bytes each way (after {WARM_UP} warm-up)");
            let pipe = pipe_part(round_trips).await;
            let socket = socket_part(round_trips).await;
            let shm = shm_part(round_trips).await;
            println!();
            println!("  {:<44} {:>12}", "what", "cost");
            println!("  {:<44} {:>9.1} µs", "create a process (spawn + exit)", micros(spawn_cost));
            println!("  {:<44} {:>9.1} µs", "round trip: pipe (ChildStdin/ChildStdout)", micros(pipe));
            println!("  {:<44} {:>9.1} µs", "round trip: Unix socket pair (UnixStream)", micros(socket));
            match shm {
                Some(d) => println!(
                    "  {:<44} {:>9.1} µs",
                    "round trip: shared memory + eventfd",
                    micros(d)
                ),
                None => println!("  {:<44} {:>12}", "round trip: shared memory + eventfd", "(Linux only)"),
            }
            println!();
            println!(
                "check processes: crash_status=\"{}\" spawn_us={:.1} pipe_us={:.1} socket_us={:.1} shm_us={}",
                describe(status),
                micros(spawn_cost),
                micros(pipe),
                micros(socket),
                shm.map_or("none".to_string(), |d| format!("{:.1}", micros(d)))
            );
        });
    }

    fn micros(d: Duration) -> f64 {
        d.as_secs_f64() * 1e6
    }

    fn describe(status: ExitStatus) -> String {
        match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(sig)) => {
                let name = match sig {
                    libc::SIGABRT => " (SIGABRT)",
                    libc::SIGSEGV => " (SIGSEGV)",
                    libc::SIGKILL => " (SIGKILL)",
                    _ => "",
                };
                format!("signal {sig}{name}")
            }
            (None, None) => format!("{status}"),
        }
    }

    /// Waits for a child without blocking the runtime thread: the task
    /// sleeps until the reactor reports the exit.
    async fn wait(mut child: Child) -> ExitStatus {
        child.wait().await.expect("waitpid failed")
    }

    async fn crash_part() -> ExitStatus {
        println!("== 1. a child crashes; the parent carries on");
        let t0 = Instant::now();
        let beats = Rc::new(std::cell::Cell::new(0u32));
        let b = beats.clone();
        let heartbeat = ramen::spawn(async move {
            let mut tick = ramen::time::interval(Duration::from_millis(10));
            loop {
                tick.tick().await;
                b.set(b.get() + 1);
            }
        });
        let child = this_program()
            .args(["--child", "crash"])
            .spawn()
            .expect("cannot start the child");
        let pid = child.id().expect("running");
        let status = wait(child).await;
        ramen::time::sleep(Duration::from_millis(30)).await; // let the heart beat on
        heartbeat.abort();
        println!(
            "  parent: child {pid} ended with {} after {} ms",
            describe(status),
            t0.elapsed().as_millis()
        );
        println!(
            "  parent: still running (pid {}); the heartbeat task ticked {} times meanwhile",
            std::process::id(),
            beats.get()
        );
        status
    }

    async fn spawn_cost() -> Duration {
        const N: u32 = 5;
        let start = Instant::now();
        for _ in 0..N {
            let child = this_program()
                .args(["--child", "noop"])
                .spawn()
                .expect("cannot start the child");
            let status = wait(child).await;
            assert!(status.success(), "noop child failed: {status}");
        }
        let each = start.elapsed() / N;
        println!(
            "  creating a process that does nothing, {N} times: {:.2} ms each",
            each.as_secs_f64() * 1e3
        );
        each
    }

    /// `n` timed round trips (after a warm-up): send a number, expect it + 1.
    async fn ping_pong<R, W>(reader: &mut R, writer: &mut W, n: u32) -> Duration
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut start = Instant::now();
        let mut buf = [0u8; 8];
        for i in 0..(WARM_UP + n) {
            if i == WARM_UP {
                start = Instant::now();
            }
            let v = u64::from(i) * 7;
            writer
                .write_all(&v.to_le_bytes())
                .await
                .expect("write to child");
            reader.read_exact(&mut buf).await.expect("read from child");
            assert_eq!(u64::from_le_bytes(buf), v + 1, "the child answered wrong");
        }
        start.elapsed() / n
    }

    async fn pipe_part(n: u32) -> Duration {
        let mut child = this_program()
            .args(["--child", "echo"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot start the child");
        let mut to_child = child.stdin.take().expect("piped stdin");
        let mut from_child = child.stdout.take().expect("piped stdout");
        let avg = ping_pong(&mut from_child, &mut to_child, n).await;
        drop(to_child); // end of input: the child's loop ends
        let status = wait(child).await;
        println!(
            "  pipe:           {:>8.1} µs per round trip (child {})",
            micros(avg),
            describe(status)
        );
        avg
    }

    async fn socket_part(n: u32) -> Duration {
        let (mine, theirs) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        let theirs_too = theirs.try_clone().expect("dup");
        let child = this_program()
            .args(["--child", "echo"])
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs_too)))
            .spawn()
            .expect("cannot start the child");
        // `Command` closed the parent's copies of the child's end after the spawn.
        let stream = ramen::net::UnixStream::from_std(mine).expect("register the socket");
        let (mut rd, mut wr) = stream.into_split();
        let avg = ping_pong(&mut rd, &mut wr, n).await;
        drop((rd, wr)); // end of stream for the child
        let status = wait(child).await;
        println!(
            "  unix socket:    {:>8.1} µs per round trip (child {})",
            micros(avg),
            describe(status)
        );
        avg
    }

    #[cfg(target_os = "linux")]
    async fn shm_part(n: u32) -> Option<Duration> {
        let avg = shm::parent(n).await;
        Some(avg)
    }

    #[cfg(not(target_os = "linux"))]
    async fn shm_part(_n: u32) -> Option<Duration> {
        println!(
            "  shared memory:  skipped: this part uses memfd_create and eventfd, which are Linux-only"
        );
        None
    }

    #[cfg(target_os = "linux")]
    mod shm {
        use std::fs::File;
        use std::io::{self, Read, Write};
        use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::time::{Duration, Instant};

        use ramen::io::{AsyncFd, AsyncReadExt};

        use super::{WARM_UP, describe, micros, this_program, wait};

        const LEN: usize = 4096;
        /// Slot indexes (8-byte words) in the region.
        const REQUEST: usize = 0;
        const RESPONSE: usize = 1;
        /// A request that tells the child to exit.
        const STOP: u64 = u64::MAX;

        /// A `MAP_SHARED` mapping of a memfd: the same physical page in both
        /// processes. Only ever accessed through `AtomicU64`s.
        struct Region {
            ptr: *mut libc::c_void,
        }

        impl Region {
            fn map(fd: BorrowedFd<'_>) -> io::Result<Region> {
                // SAFETY: a fresh mapping (null hint) of LEN bytes of an open
                // memfd at offset 0; it touches no existing memory. The result
                // is checked against MAP_FAILED before use.
                let ptr = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        LEN,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_SHARED,
                        fd.as_raw_fd(),
                        0,
                    )
                };
                if ptr == libc::MAP_FAILED {
                    return Err(io::Error::last_os_error());
                }
                Ok(Region { ptr })
            }

            fn slot(&self, i: usize) -> &AtomicU64 {
                assert!((i + 1) * 8 <= LEN);
                // SAFETY: the mapping is LEN bytes, page-aligned (so every
                // 8-byte slot is aligned for AtomicU64), readable and writable,
                // and lives until `self` is dropped, which the returned
                // borrow cannot outlive. The memfd starts zeroed, a valid
                // AtomicU64. Both processes only use atomic operations on it,
                // so there is no data race even across processes.
                unsafe { &*self.ptr.cast::<AtomicU64>().add(i) }
            }
        }

        impl Drop for Region {
            fn drop(&mut self) {
                // SAFETY: `ptr` is the LEN-byte mapping made in `map`, and no
                // borrow from `slot` outlives `self`.
                unsafe { libc::munmap(self.ptr, LEN) };
            }
        }

        /// An fd the child inherits: created *without* close-on-exec, so it
        /// stays open (at the same number) across the child's `exec`.
        fn check(fd: RawFd, what: &str) -> io::Result<OwnedFd> {
            if fd < 0 {
                let e = io::Error::last_os_error();
                return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
            }
            // SAFETY: `fd` was just returned by the syscall that created it
            // (non-negative: checked above) and nothing else owns it.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }

        fn memfd() -> io::Result<OwnedFd> {
            // SAFETY: the name is a valid NUL-terminated string; flags 0
            // (inheritable, see `check`).
            let fd = check(
                unsafe { libc::memfd_create(c"ramen-shm".as_ptr(), 0) },
                "memfd_create",
            )?;
            // SAFETY: sizing the memfd we own.
            if unsafe { libc::ftruncate(fd.as_raw_fd(), LEN as libc::off_t) } < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(fd)
        }

        fn eventfd() -> io::Result<File> {
            // SAFETY: creates a new eventfd with counter 0; flags 0
            // (blocking, inheritable, see `check`).
            let fd = check(unsafe { libc::eventfd(0, 0) }, "eventfd")?;
            Ok(File::from(fd))
        }

        /// Rings an eventfd: adds 1 to its counter. Never blocks in practice
        /// (it would only if the counter reached u64::MAX - 1).
        fn ring(bell: &File) -> io::Result<()> {
            (&*bell).write_all(&1u64.to_ne_bytes())
        }

        pub async fn parent(n: u32) -> Duration {
            let region_fd = memfd().expect("memfd");
            let region = Region::map(region_fd.as_fd()).expect("mmap");
            let to_child = eventfd().expect("eventfd");
            let to_parent = eventfd().expect("eventfd");
            let child = this_program()
                .args([
                    "--child".to_string(),
                    "shm".to_string(),
                    region_fd.as_raw_fd().to_string(),
                    to_child.as_raw_fd().to_string(),
                    to_parent.as_raw_fd().to_string(),
                ])
                .spawn()
                .expect("cannot start the child");
            // The reactor waits on this one: "the child wrote its answer".
            // (AsyncFd makes it non-blocking; the child only writes to it.)
            let doorbell = AsyncFd::new(to_parent).expect("register the eventfd");
            let mut counter = [0u8; 8];
            let mut start = Instant::now();
            for i in 0..(WARM_UP + n) {
                if i == WARM_UP {
                    start = Instant::now();
                }
                let v = u64::from(i) * 7;
                region.slot(REQUEST).store(v, Ordering::Release);
                ring(&to_child).expect("ring the child");
                (&doorbell)
                    .read_exact(&mut counter)
                    .await
                    .expect("read the eventfd");
                let answer = region.slot(RESPONSE).load(Ordering::Acquire);
                assert_eq!(answer, v + 1, "the child answered wrong");
            }
            let avg = start.elapsed() / n;
            region.slot(REQUEST).store(STOP, Ordering::Release);
            ring(&to_child).expect("ring the child");
            let status = wait(child).await;
            println!(
                "  shared memory:  {:>8.1} µs per round trip (child {}; data in a memfd mapping, signal via eventfd)",
                micros(avg),
                describe(status)
            );
            avg
        }

        /// The child: blocks on its eventfd, answers in shared memory.
        pub fn child(args: &[String]) {
            let fds: Vec<RawFd> = args.iter().filter_map(|a| a.parse().ok()).collect();
            let [region_fd, to_child, to_parent] = fds[..] else {
                eprintln!("child shm: expected three fd numbers, got {args:?}");
                std::process::exit(2);
            };
            for fd in [region_fd, to_child, to_parent] {
                // SAFETY: F_GETFD only reads the fd's flags; a bad number
                // gives EBADF, no UB. It proves the fd is open before we
                // take ownership of it below.
                if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
                    eprintln!("child shm: fd {fd} is not open (not inherited?)");
                    std::process::exit(2);
                }
            }
            // SAFETY: the three fds are open (checked above), were inherited
            // from the parent for this child alone, and are owned by nothing
            // else in this process.
            let (region_fd, mut to_child, to_parent) = unsafe {
                (
                    OwnedFd::from_raw_fd(region_fd),
                    File::from_raw_fd(to_child),
                    File::from_raw_fd(to_parent),
                )
            };
            let region = Region::map(region_fd.as_fd()).expect("child mmap");
            let mut counter = [0u8; 8];
            loop {
                to_child
                    .read_exact(&mut counter)
                    .expect("child: read eventfd");
                let v = region.slot(REQUEST).load(Ordering::Acquire);
                if v == STOP {
                    break;
                }
                region.slot(RESPONSE).store(v + 1, Ordering::Release);
                ring(&to_parent).expect("child: ring the parent");
            }
        }
    }
}
