//! The workloads behind every ramen comparison, written once and shared by the
//! criterion benches (`benches/executor.rs`, `io.rs`, `sync.rs`) and by the
//! one-command table (`benches/compare.rs`):
//!
//! ```sh
//! cargo run -p ramen-benches --release --bin compare   # the table, in a few minutes
//! cargo bench -p ramen-benches                         # criterion, per workload
//! ```
//!
//! Each workload exists once per contender, with the same shape: ramen, tokio
//! `current_thread` + `LocalSet`, smol (`async_executor::LocalExecutor` driven
//! by `async_io::block_on`, which is what `smol::block_on` is), futures'
//! `LocalPool` where it applies, monoio (thread-per-core, `!Send` spawn, the
//! closest in design; once on its io_uring driver and once on its legacy
//! epoll driver, see [`Monoio`]) where it has the pieces, OS threads where the
//! comparison means something, and a *floor*: the same work with no runtime
//! at all, so every runtime's overhead can be read off as a difference.
//!
//! | module | workloads |
//! |---|---|
//! | [`executor`] | spawn+join, yield, remote wake (OS thread ↔ task ping-pong) |
//! | [`timers`] | 100k tasks sleeping a seeded random 1–100 ms |
//! | [`echo`] | TCP echo: 100 connections × 1,000 round trips × 64 B, one thread |
//! | [`epoll_floor`] | the echo as a hand-written edge-triggered epoll state machine |
//! | [`channels`] | mpsc throughput, mpsc+oneshot request/reply |
//! | [`memory`] | bytes per idle task, bytes per parked OS thread (RSS deltas) |

use std::cell::RefCell;

use monoio::time::TimeDriver;

#[path = "workloads/channels.rs"]
pub mod channels;
#[path = "workloads/echo.rs"]
pub mod echo;
#[path = "workloads/epoll_floor.rs"]
pub mod epoll_floor;
#[path = "workloads/executor.rs"]
pub mod executor;
#[path = "workloads/memory.rs"]
pub mod memory;
#[path = "workloads/timers.rs"]
pub mod timers;

/// A new tokio `current_thread` runtime with I/O and timers enabled.
pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `fut` on tokio's `current_thread` runtime inside a fresh `LocalSet`
/// (so `spawn_local` works: the `!Send` equivalent of ramen's `spawn`).
pub fn tokio_local<F: std::future::Future>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output {
    tokio::task::LocalSet::new().block_on(rt, fut)
}

/// A smol `LocalExecutor` that lives for the rest of the process. (The
/// workloads spawn tasks that borrow the executor, which needs
/// `&'a LocalExecutor<'a>`; a leaked one gives that without lifetime knots.)
pub fn smol_ex() -> &'static async_executor::LocalExecutor<'static> {
    Box::leak(Box::new(async_executor::LocalExecutor::new()))
}

/// Runs `fut` on smol's pieces: `LocalExecutor::run` inside `async_io::block_on`.
pub fn smol_run<T>(
    ex: &async_executor::LocalExecutor<'_>,
    fut: impl std::future::Future<Output = T>,
) -> T {
    async_io::block_on(ex.run(fut))
}

/// A monoio runtime (timers enabled) on one of its two drivers. monoio's
/// `block_on` takes `&mut self` and its runtime type names its driver, so
/// this wraps both behind one `&self` method the workloads can share.
pub enum Monoio {
    /// The io_uring driver: I/O is submitted to and completed through rings.
    Uring(RefCell<monoio::Runtime<TimeDriver<monoio::IoUringDriver>>>),
    /// The legacy driver: readiness through epoll (mio), then the syscall.
    Epoll(RefCell<monoio::Runtime<TimeDriver<monoio::LegacyDriver>>>),
}

impl Monoio {
    /// A runtime for the contender named `monoio-uring` or `monoio-epoll`.
    /// `Err` says why it cannot run here (no io_uring in this kernel or
    /// sandbox, say), for the table's `n/a` note.
    pub fn new(name: &str) -> Result<Monoio, String> {
        match name {
            "monoio-uring" => {
                let rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
                    .enable_timer()
                    .build()
                    .map_err(|e| format!("cannot set up io_uring: {e}"))?;
                if !monoio::utils::detect_uring() {
                    return Err("io_uring lacks an operation monoio needs \
                                (or MONOIO_FORCE_LEGACY_DRIVER is set)"
                        .into());
                }
                Ok(Monoio::Uring(RefCell::new(rt)))
            }
            "monoio-epoll" => monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
                .enable_timer()
                .build()
                .map(|rt| Monoio::Epoll(RefCell::new(rt)))
                .map_err(|e| format!("legacy driver: {e}")),
            other => Err(format!("unknown monoio driver {other:?}")),
        }
    }

    /// Runs `fut` to completion on this runtime (`monoio::spawn` works inside).
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        match self {
            Monoio::Uring(rt) => rt.borrow_mut().block_on(fut),
            Monoio::Epoll(rt) => rt.borrow_mut().block_on(fut),
        }
    }
}

/// xorshift64*: a deterministic, seeded RNG small enough to read (no `rand`).
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (0 is replaced: xorshift's state must be non-zero).
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}
