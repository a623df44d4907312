//! # ramen — a coroutine runtime you can read
//!
//! ramen runs many cooperative tasks (coroutines) on **one thread**: a
//! hand-written executor, a hand-written `Waker`, and an epoll/kqueue reactor
//! (`epoll` on `libc` on Linux, [`polling`](https://docs.rs/polling) elsewhere). While one task waits for a
//! socket or a timer, the others run. Coroutines do not make computation
//! faster; they stop you from waiting.
//!
//! ```
//! use std::time::Duration;
//! let total = ramen::block_on(async {
//!     let a = ramen::spawn(async { ramen::time::sleep(Duration::from_millis(20)).await; 1 });
//!     let b = ramen::spawn(async { ramen::time::sleep(Duration::from_millis(20)).await; 2 });
//!     a.await.unwrap() + b.await.unwrap() // both sleeps overlap: ~20 ms, not 40
//! });
//! assert_eq!(total, 3);
//! ```
//!
//! ## The loop (one thread)
//! ```text
//!           spawn(fut) ──► RunQueue ◄── local wake (same thread, no lock)
//!                            │    ▲
//!                  pop ≤ budget   └── Inbox ◄── remote wake (other threads) + unpark
//!                            ▼
//!                      poll(task) ──► Ready: store output, wake JoinHandle
//!                            │
//!                         Pending: the future parked its Waker in a Reactor source,
//!                            │      a Timer, a channel, or a blocking job
//!                            ▼
//!       run queue empty or budget spent?
//!                            ▼
//!    Reactor::wait(timeout = 0 if ready tasks, else next timer deadline, else ∞)
//!                            ▼
//!      ready fds → wake their wakers;  due timers → wake;  drain Inbox → RunQueue;
//!      release yield_now'ed tasks → repeat
//! ```
//!
//! ## Reading order of `src/`
//! Each file opens with the naive approach, its problem, and what the file does.
//! Top to bottom: the runtime and its loop, what a task is and how it is woken,
//! how waiting on fds and clocks works, then the tools built on top, then the
//! instruments that watch it all.
//!
//! | file | what it is |
//! |---|---|
//! | `lib.rs` | this map, and the public re-exports |
//! | `guide.rs` | [`guide`]: one `TcpStream::read` followed from `spawn` to `Ready`, naming every function on the way |
//! | `runtime.rs` | [`Runtime`], [`block_on`]: create, run, drop |
//! | `builder.rs` | [`Builder`]: budget, blocking pool size, with the reasons for each default |
//! | `rt/` | **the core**, read in this order: |
//! | `rt/event_loop.rs` | the loop above: `Core::run`, `Core::run_task`, `Core::turn` |
//! | `rt/task/raw.rs`, `rt/task/output.rs` | a task's one allocation: header, future → output, vtable; its layout drawn; how the output leaves it |
//! | `rt/task/state.rs` | the task's state word: six flags and a reference count, each transition named |
//! | `rt/task/mod.rs` | `TaskRef`, the counted pointer to a task; the lifecycle step by step |
//! | `rt/task/join_handle.rs`, `rt/task/join_error.rs` | [`JoinHandle`], [`JoinError`] |
//! | `rt/waker.rs` | the hand-written `RawWakerVTable` over a task pointer |
//! | `rt/run_queue.rs`, `rt/task_list.rs` | the FIFO of ready tasks; every live task (for shutdown) |
//! | `rt/inbox.rs` | wakes from other threads, and how the sleeping loop is woken |
//! | `rt/context.rs` | "which runtime runs on this thread" (a thread-local) |
//! | `spawn.rs` | [`spawn`], [`TaskBuilder`], [`Spawner`] (`LocalSpawn`), [`yield_now`] |
//! | `task.rs` | [`task`]: tokio's `task::` names in one place |
//! | `coop.rs` | the per-task cooperative budget: ready resources still yield; [`task::unconstrained`] |
//! | `waker_slot.rs` | `WakerSlot`: store a waker unless the stored one `will_wake` the same task (every "who to wake" field) |
//! | `handle.rs`, `handle/remote.rs` | [`Handle`]: spawn onto a runtime from any thread; the `Send` [`RemoteJoinHandle`] |
//! | `reactor.rs`, `reactor/` | sources, readiness, waiters, `wait`; `reactor/epoll.rs` (Linux, on `libc`, `EPOLLRDHUP`) or `reactor/polling.rs` (kqueue, others), picked in `reactor/backend.rs`: [`ReactorBackend`] |
//! | `io/fd.rs`, `io/async_fd.rs` | the fd registration every socket uses (deregistered before close, many waiters), [`io::AsyncFd`] |
//! | `io/traits.rs`, `io/ext.rs` | [`io::AsyncRead`] / [`io::AsyncWrite`] and their `.await` forms |
//! | `io/buf_reader.rs` | [`io::BufReader`], `read_line`, `lines` |
//! | `io/copy.rs`, `io/buf_writer.rs`, `io/seek.rs`, `io/stdio.rs` | [`io::copy`], [`io::copy_bidirectional`], [`io::BufWriter`], [`io::AsyncSeek`], [`io::stdout`] |
//! | `fs/` | [`fs`]: files on the blocking pool, and why epoll cannot wait for them |
//! | `net/tcp.rs`, `net/udp.rs`, `net/unix.rs` | [`net::TcpListener`], [`net::TcpStream`], [`net::UdpSocket`], [`net::UnixStream`] |
//! | `net/unix_datagram.rs`, `net/readiness.rs` | [`net::UnixDatagram`]; sockets' `ready()`, `try_read`, `peek`, `poll_recv_from` |
//! | `net/split.rs`, `net/sys.rs` | `into_split` halves; the raw non-blocking `connect` |
//! | `net/borrowed.rs`, `net/tcp_socket.rs` | `split(&mut self)` halves; [`net::TcpSocket`] options before `bind`/`listen`/`connect`, `bind_reuseport` |
//! | `signal/` | [`signal`]: `ctrl_c`, `signal(kind)`: a process-wide handler, a self-pipe in the reactor |
//! | `process/` | [`process`]: `Command`, `Child`: pipes in the reactor, exit through a pidfd or `SIGCHLD` |
//! | `time.rs` | [`time`]: the clock essay (why tests need a paused clock) |
//! | `time/deadline_map.rs` | the deadline map behind every sleep (and why not a heap or a wheel), and the runtime's clock |
//! | `time/sleep.rs`, `time/timeout.rs`, `time/interval.rs` | [`time::sleep`], [`time::timeout`], [`time::interval`] |
//! | `time/clock.rs`, `time/instant.rs` | [`time::pause`], [`time::advance`], auto-advance; [`time::Instant`] |
//! | `blocking.rs` | [`spawn_blocking`]: the bounded pool of OS threads, and its shutdown |
//! | `sync/` | [`sync`]: `mpsc` (bounded, unbounded, permits), `oneshot`, `broadcast`, `watch`, `Mutex`, `RwLock`, `Semaphore`, `Notify`, `Barrier`, `CancellationToken`, on one FIFO `wait_list.rs` |
//! | `join.rs` | [`join!`], [`try_join!`]: several futures at once inside one task |
//! | `select.rs` | [`select()`], [`select_all`], [`Either`]: the first to finish wins |
//! | `select_macro.rs` | [`select!`]: branches with patterns, `if`, `else`, fair random start |
//! | `stream.rs` | feature `stream`: `Stream` for receivers, `Interval`, `Lines`, `JoinSet`, `incoming()` |
//! | `io/futures_io.rs` | feature `futures-io`: ramen's streams as `futures_io` types, and `io::Compat` |
//! | `join_set.rs` | [`JoinSet`]: many tasks, joined in completion order, aborted on drop |
//! | `workers.rs` | [`workers`]: N threads, a runtime each (thread per core), pinning, first panic stops all |
//! | `metrics.rs` | counters the loop pushes (polls, wakes, reactor waits, forced yields), joined with the plain `Gauges` it hands over |
//! | `diag/` | entered only through `hooks.rs` (one hook per loop event, plain data): slow-poll detector, watchdog, stall explanation, trace recorder, ASCII timeline, the narrator (`explain.rs`), the offline HTML page (`html.rs`) |
//! | `rt/event_loop/timed.rs` | what the loop answers the instruments (`LoopProbe`: ready tasks, due timers, notes) and the stall check |
//! | `loom.rs` | std/loom switch for the model-checked parts |
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
mod builder;
mod coop;
mod diag;
pub mod fs;
pub mod guide;
mod handle;
pub mod io;
mod join;
mod join_set;
mod loom;
mod metrics;
pub mod net;
pub mod process;
mod reactor;
mod rt;
mod runtime;
mod select;
mod select_macro;
pub mod signal;
mod spawn;
#[cfg(feature = "stream")]
#[cfg_attr(docsrs, doc(cfg(feature = "stream")))]
pub mod stream;
pub mod sync;
pub mod task;
pub mod time;
mod waker_slot;
mod workers;

// Short paths to the core's modules for the rest of the crate.
use rt::{context, event_loop, inbox, waker};

pub use blocking::spawn_blocking;
/// The README's code, compiled and run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use builder::{
    Builder, DEFAULT_BLOCKING_KEEP_ALIVE, DEFAULT_BUDGET, DEFAULT_MAX_BLOCKING_THREADS,
};
pub use handle::{Handle, RemoteJoinHandle, TryCurrentError};
#[doc(hidden)]
pub use join::__private;
pub use join_set::JoinSet;
pub use metrics::Metrics;
pub use reactor::ReactorBackend;
pub use runtime::{Runtime, block_on};
pub use select::{Either, Select, SelectAll, select, select_all};
pub use spawn::{Spawner, TaskBuilder, YieldNow, spawn, spawner, yield_now};
pub use task::{JoinError, JoinHandle};
pub use workers::{StopHandle, Worker, WorkerError, Workers, workers};
