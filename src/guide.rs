//! # Guide: one `read`, followed through the whole runtime
//!
//! This module has no code. It follows a single
//! [`TcpStream`](crate::net::TcpStream) read from the moment its task is
//! spawned until the bytes come back, naming each function on the way, so you
//! can open the files side by side and step through them. Private functions
//! are written in `backticks`; the file each one lives in is given as you meet
//! it.
//!
//! The program we follow:
//!
//! ```
//! use std::time::Duration;
//! use ramen::io::{AsyncReadExt, AsyncWriteExt};
//! use ramen::net::{TcpListener, TcpStream};
//!
//! ramen::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!
//!     // ① spawn: queued, not run yet
//!     let reader = ramen::spawn(async move {
//!         let mut stream = TcpStream::connect(addr).await.unwrap();
//!         let mut buf = [0u8; 5];
//!         // ② … ⑦ this one line is the whole guide
//!         let n = stream.read(&mut buf).await.unwrap();
//!         buf[..n].to_vec()
//!     });
//!
//!     let (mut peer, _) = listener.accept().await.unwrap();
//!     ramen::time::sleep(Duration::from_millis(20)).await; // the "server" is slow
//!     peer.write_all(b"hello").await.unwrap(); // ⑤ makes the socket readable
//!     assert_eq!(reader.await.unwrap(), b"hello");
//! });
//! ```
//!
//! ## Before ①: what `Future::poll`, `Poll` and `Context` are
//!
//! An `async` block compiles to a state machine that implements
//! [`Future`]. Its one method,
//! [`poll`](std::future::Future::poll), asks "can you make progress now?"
//! and runs the code up to the next `.await` that cannot finish. It answers
//! with a [`Poll`](std::task::Poll): `Ready(value)` (done, here is the
//! result) or `Pending` (not yet; call me again later). Nothing runs a future
//! but a call to `poll`: a future nobody polls does nothing at all.
//!
//! "Later" is the runtime's problem, and [`Context`](std::task::Context) is
//! how the future helps with it: it carries a [`Waker`](std::task::Waker), a
//! handle that means "poll this task again". The rule every future obeys:
//! **before returning `Pending`, leave a clone of `cx.waker()` with whoever
//! will know when progress is possible** (the reactor for a socket, the timer
//! map for a sleep, a channel for a message). When that moment comes, they call
//! `wake()`, and the runtime polls the task again. The rest of this guide is
//! that rule, followed through ramen's code.
//!
//! Sync code would call `read` and the thread would sleep inside the kernel
//! until the bytes arrive — and nothing else on the thread would run. Here the
//! read *returns* when there is nothing to read, and the task is picked up
//! again when there is. What follows is how.
//!
//! ## ① `spawn`: a task is created and queued
//!
//! [`spawn`](crate::spawn) (`spawn.rs`) finds this thread's runtime through
//! the thread-local in `rt/context.rs` (`context::with_current`) and calls
//! `Core::spawn` (`rt/event_loop.rs`). That:
//! - takes a task id (`Core::next_id`);
//! - makes the task's one allocation with `raw::allocate` (`rt/task/raw.rs`):
//!   a block holding the thread-safe `Header` (the state word a
//!   [`Waker`](std::task::Waker) touches, `rt/task/state.rs`), then the
//!   future, later its output, and the waker of whoever awaits the
//!   [`JoinHandle`](crate::JoinHandle). Its state starts as
//!   `SCHEDULED | HANDLE` with three references: the task list's, the
//!   handle's, and the queue entry's;
//! - adds it to the task list (`TaskList::insert`, `rt/task_list.rs`) and
//!   pushes a `TaskRef` (a counted pointer to the block) with
//!   `RunQueue::push` (`rt/run_queue.rs`).
//!
//! Nothing has run yet: the spawning code continues until it reaches an
//! `.await` that is not ready (here `listener.accept()`).
//!
//! ## ② The loop polls the task
//!
//! [`block_on`](crate::block_on) (`runtime.rs`) runs `Core::run`
//! (`rt/event_loop.rs`): pop a `TaskRef` with `RunQueue::pop` and poll it, up to
//! a budget of [`DEFAULT_BUDGET`](crate::DEFAULT_BUDGET) polls, then one
//! `Core::turn` (I/O, timers, wakes from other threads), and again.
//! `Core::run_task` polls one task:
//! - an entry for a task that already completed is skipped (`TaskRef::is_complete`);
//! - `waker_ref` (`rt/waker.rs`) makes a [`Waker`](std::task::Waker) that
//!   points at the block's header, through ramen's own `RawWakerVTable` — no
//!   allocation, no reference count taken;
//! - `TaskRef::poll` → `State::begin_poll` turns `SCHEDULED` into `RUNNING` —
//!   from now on a wake puts the task back in the queue, even a wake that
//!   happens *during* this poll — and calls the block's vtable: `raw::poll`
//!   polls the future inside `catch_unwind`, with a
//!   [`Context`](std::task::Context) holding that waker.
//!
//! The task connects (the same machinery, on the socket's *writable* side),
//! then reaches `stream.read(&mut buf).await`.
//!
//! ## ③ The read returns `Pending` — after leaving its waker
//!
//! [`AsyncReadExt::read`](crate::io::AsyncReadExt::read) (`io/ext.rs`) makes
//! a [`ReadSome`](crate::io::ReadSome) future; polling it calls
//! [`AsyncRead::poll_read`](crate::io::AsyncRead::poll_read) on the stream:
//! `TcpStream::poll_read` (generated, for TCP and Unix streams alike, by the
//! `impl_stream_io!` macro in `net/mod.rs`) → `IoSource::poll_read_stream` →
//! `IoSource::poll_io(READABLE, ..)` (`io/fd.rs`), the loop every socket
//! operation goes through:
//! 1. `IoSource::poll_ready` → `Reactor::poll_ready` (`reactor.rs`): the
//!    source's cached readiness still has `READABLE` set (every fd starts out
//!    "maybe ready"), so → `Ready`;
//! 2. the syscall: `read(2)` on the non-blocking socket. No data yet:
//!    `WouldBlock` (`EAGAIN`);
//! 3. `Reactor::clear_readiness`: not readable until the kernel says so;
//! 4. `Reactor::poll_ready` again: no readiness, so it stores
//!    `cx.waker().clone()` in the source's list of read waiters (the clone is
//!    `clone_waker` in `rt/waker.rs`: one more reference in the block's state
//!    word) and returns `Pending`.
//!
//! `Pending` travels up through `ReadSome::poll`, the `async` block, and
//! `raw::poll`. `Core::run_task` calls `TaskRef::end_poll` (`State::end_poll`:
//! clear `RUNNING`, give back the entry's reference) and returns. The task is
//! now in **no queue at all**: it sits in the task list, and the only way
//! back is the waker in the reactor. (A future that returns `Pending` without leaving its waker
//! anywhere is never polled again: `examples/lost_wakeup.rs` shows that, and
//! the stall explanation in `diag/stall.rs` that names it.)
//!
//! The registration with epoll happened once, when the socket was created
//! (`IoSource::new` → `Reactor::register`, edge-triggered, both directions);
//! nothing is registered per read.
//!
//! ## ④ Nothing is ready: the loop sleeps in the kernel
//!
//! The run queue empties; `Core::run` calls `Core::turn`:
//! - no task is ready, so the wait may block: until the next timer deadline
//!   (`Timers::next_deadline`, here the 20 ms sleep of the block_on future),
//!   or forever;
//! - `Inbox::park(Park::Reactor)` (`inbox.rs`) records "the loop is asleep
//!   in the reactor", so a wake from another thread knows to interrupt it
//!   through the reactor's unpark handle (a write to an eventfd);
//! - `Reactor::wait` → the Linux backend (`reactor/epoll.rs`) → `epoll_wait`
//!   (kqueue on macOS). The thread sleeps; no CPU is used.
//!
//! (A loop with *no* fd registered — only timers and other threads to wait
//! for — parks with `Park::Thread` in `std::thread::park_timeout` instead:
//! epoll would have nothing to report, and a futex sleep is one syscall.)
//!
//! ## ⑤ Meanwhile, another task makes the socket readable
//!
//! When the 20 ms are up, `Core::turn` calls `Timers::fire_due`
//! (`time/deadline_map.rs`), which wakes the block_on future's `Sleep`; the loop polls
//! it, and it runs on to `peer.write_all(b"hello")`
//! ([`AsyncWriteExt::write_all`](crate::io::AsyncWriteExt::write_all)): one
//! `write(2)` on the *other* end of the connection, which succeeds at once
//! (the socket's send buffer has room). The kernel moves the five bytes into
//! the reader socket's receive buffer — and that is what will make epoll
//! report it. The block_on future then awaits the
//! [`JoinHandle`](crate::JoinHandle): `Pending` again (its waker now waits in
//! the task's join slot), so the loop goes back to `Core::turn` and
//! `Reactor::wait`. No task is ready; the thread sleeps in `epoll_wait` — for
//! a moment only, because the kernel already has news.
//!
//! ## ⑥ The kernel says "readable": the waker is called
//!
//! The bytes arrived in the reader socket's kernel buffer, so `epoll_wait`
//! returns an event whose key is the source's slab key. `Reactor::wait`:
//! - sets `READABLE` in the source's readiness and takes every waker out of
//!   its list of read waiters (here just one: task 2's);
//! - after releasing its borrows (a waker may run any code), calls
//!   [`Waker::wake`](std::task::Waker::wake) → `wake` in `rt/waker.rs`:
//!   - `State::schedule_by_val`: `SCHEDULED` was clear (cleared by
//!     `begin_poll` in ②), so one compare-exchange sets it and this wake owns
//!     the task's single queue entry — the waker's reference becomes the
//!     entry's;
//!   - `schedule`: this thread runs the task's runtime (`context::current_id`
//!     matches the inbox's), so the local path: `Core::schedule_local` →
//!     `RunQueue::push`.
//!     No lock, no syscall. (From another thread — a `spawn_blocking` job, a
//!     channel sender — it would be `Inbox::push`, plus an unpark if the
//!     loop is parked.)
//!
//! ## ⑦ Polled again: `Ready`
//!
//! `Core::run` pops the task; `Core::run_task` → `TaskRef::poll` →
//! `raw::poll` resumes the `async` block exactly where it stopped, inside
//! `ReadSome::poll` → `TcpStream::poll_read` → `IoSource::poll_io`:
//! `Reactor::poll_ready` sees `READABLE` → `read(2)` returns 5 →
//! `Poll::Ready(Ok(5))`. The `.await` produces `5` and the task runs on. When
//! it returns, `raw::finish` drops the future, stores the output in the
//! block and wakes the [`JoinHandle`](crate::JoinHandle)'s waker: the
//! block_on future will get `b"hello"`. The loop takes the task out of its
//! list (`TaskList::remove`) and `TaskRef::complete` sets `COMPLETE` (every
//! later wake is a no-op) while giving back the list's and the popped
//! entry's references, in one atomic operation; the handle's read
//! (`output::read_output`) and drop give back the last, which frees the
//! block.
//!
//! ## What it cost
//! Two `read(2)` calls (one `EAGAIN`), a share of one `epoll_wait`, and no
//! thread switch: while the task waited, the same thread ran the block_on
//! future, the timer and anything else that was ready. That is the whole
//! trick of a coroutine runtime: **a future that cannot finish leaves its
//! waker with whoever will know, and returns; the loop sleeps in the kernel
//! until somebody knows.**
//!
//! ## Watching it happen
//!
//! The runtime can tell this story itself. Run the program above with
//! `RAMEN_EXPLAIN=1` (or build the runtime with
//! [`Builder::explain`](crate::Builder::explain)) and it narrates each
//! decision on stderr. This is a real run of it (the spawn site shortened),
//! with the step of this guide each line belongs to:
//!
//! ```text
//! [explain] poll block_on → Pending: spawned task 2; its waker now waits in the reactor for fd 6 to be readable   ① spawn; accept() waits
//! [explain] poll task 2 (spawned at …) → Pending: its waker now waits in the reactor for fd 7 to be readable       ② ③ connect, then read: EAGAIN
//! [explain] no task ready, no timer; epoll_wait(no timeout): only I/O or another thread can wake the loop         ④
//! [explain] fd 6 readable → wake block_on                                                                         (the connection arrived)
//! [explain] run queue [1]
//! [explain] poll block_on → Pending: its waker now waits in the timer map, due in 19 ms                           the "slow server" sleeps
//! [explain] no task ready; epoll_wait(timeout 19 ms): the next timer is block_on's                                ④ with a timeout
//! [explain] 1 timer(s) due → wake block_on
//! [explain] run queue [1]
//! [explain] poll block_on → Pending: its waker is held by what it awaits (a channel, a lock, a JoinHandle, another thread)   ⑤ write_all, then await the JoinHandle
//! [explain] no task ready, no timer; epoll_wait(no timeout): only I/O or another thread can wake the loop
//! [explain] fd 7 readable → wake task 2                                                                           ⑥
//! [explain] run queue [2]
//! [explain] poll task 2 → Ready (output stored; woke block_on)                                                    ⑦ and the JoinHandle's waker
//! [explain] poll block_on → Ready (output stored)
//! ```
//!
//! The functions behind each line: "waits in the reactor" is
//! `Reactor::poll_ready` keeping the waker (`reactor.rs`); `epoll_wait(..)`
//! is `Core::turn` calling `Reactor::wait` with the timeout from
//! `Timers::idle_wait`; "fd 7 readable → wake task 2" is `Reactor::wait`
//! taking the waiters of that fd; "run queue" is `RunQueue` after the turn;
//! "woke block_on" is the `JoinHandle`'s waker, called when the task's output
//! is stored (`task.rs`). The narrator itself is `diag/explain.rs`: it only
//! reads events the loop already records.
//!
//! ## Where to go next
//! - `examples/cancellation.rs`: why a task can only be stopped at an `.await`
//!   (the step ③ `Pending` is the only place the runtime gets control back);
//! - `examples/lost_wakeup.rs`: step ③ without the waker;
//! - `examples/starvation.rs` and `examples/blocking.rs`: a task that never
//!   reaches ③ stops every other task;
//! - the reading order of `src/` at the top of the [crate docs](crate).
