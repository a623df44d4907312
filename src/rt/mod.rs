//! The runtime's core: what every other module is built on.
//!
//! | file | what it is |
//! |---|---|
//! | `event_loop.rs` | `Core`: the loop (`run`, `run_task`, `turn`), spawn, shutdown |
//! | `event_loop/timed.rs` | the loop's diagnostics hooks, all cold |
//! | `task/raw.rs`, `task/output.rs` | the task block: one allocation, its layout, its vtable; reading or dropping its output |
//! | `task/state.rs` | the task's state word: flags, reference count, transitions |
//! | `task/mod.rs` | `TaskRef`, the counted pointer every owner holds; the lifecycle |
//! | `task/join_handle.rs`, `task/join_error.rs` | [`JoinHandle`](crate::JoinHandle), [`JoinError`](crate::JoinError) |
//! | `waker.rs` | the hand-written `RawWakerVTable` over a `TaskRef` |
//! | `run_queue.rs` | the FIFO of ready tasks |
//! | `task_list.rs` | every live task, for shutdown |
//! | `inbox.rs` | wakes from other threads, and how the sleeping loop is woken |
//! | `context.rs` | "which runtime runs on this thread" (a thread-local) |
//! | `config.rs` | the settings the `Builder` fills in (plain data) |
//! | `yield_now.rs` | [`yield_now`](crate::yield_now): run again after the next reactor turn |
//!
//! The one import cycle here is the essential one: a wake (`waker.rs`)
//! reaches its runtime (`context.rs` → `event_loop.rs`), which polls tasks
//! (`task/`) through wakers.

pub(crate) mod config;
pub(crate) mod context;
pub(crate) mod event_loop;
pub(crate) mod inbox;
pub(crate) mod run_queue;
pub(crate) mod task;
pub(crate) mod task_list;
pub(crate) mod waker;
pub(crate) mod yield_now;
