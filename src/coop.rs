//! The per-task cooperative budget: a task that only meets ready resources
//! still yields.
//!
//! **Naive approach:** a task yields when a resource it awaits is not ready,
//! and only then. **Its problem:** a loop that receives from an always-full
//! channel, or reads a socket whose peer keeps it full, never meets
//! `Pending`: its one poll runs forever, every other task starves, the loop
//! never reaches the reactor, and a `timeout` around the loop never fires
//! (its timer is only checked between polls). The run queue's budget
//! (`Builder::budget`) counts *tasks per turn*; it cannot interrupt the
//! inside of one poll.
//!
//! **What this file does:** tokio's "coop" idea, written by hand. Before each
//! task poll the event loop gives the task [`BUDGET`] units (a thread-local
//! counter, [`reset`]). Every ramen resource that can be ready without
//! waiting — socket read/write/accept/send/recv (`io/fd.rs`, one place), a
//! timer, a `JoinHandle`, channel send/receive, semaphore and mutex acquire,
//! `Notify` — asks [`poll_proceed`] first. With units left it proceeds and,
//! if it returns `Ready`, keeps the unit spent; if it returns `Pending` for
//! its own reason the unit is refunded (the [`RestoreOnPending`] guard), so a
//! task waiting on 500 things in a `join!` is not charged for waiting. With
//! no units left the resource wakes the task and returns `Pending` *although
//! it is ready* — the wake is deferred past the next reactor turn, as
//! `yield_now`'s is (tokio does the same) — so the other tasks run, the loop
//! reaches the reactor and the timers, and the task resumes where it stopped — nothing is consumed or lost,
//! since the resource did nothing.
//!
//! # Why 128
//! The same number as tokio, for the same reason: large enough that the
//! forced yield (a requeue, a poll of the task's future chain down to the
//! resource) is amortised over 128 operations — well under 1 % of a channel
//! message's cost — and small enough that a task draining a full socket
//! gives the others a turn every 128 reads (≈ 10–50 µs of work), so their
//! latency stays in microseconds, not "until the peer stops sending".
//!
//! # Opting out
//! [`unconstrained`](crate::task::unconstrained) runs a future with no
//! budget: it is never forced to yield (and consumes nothing from its task's
//! budget). Polls outside a runtime (a plain thread, `blocking_recv`, a
//! `spawn_blocking` job, another executor) are unconstrained too: the
//! thread-local starts unconstrained and only the event loop constrains it,
//! for the duration of one task poll.
//!
//! # Two ways to wire a resource
//! [`with_budget`] wraps a `poll` whose body is one call (`JoinHandle`,
//! mpsc send and receive, sockets through `io/fd.rs`): one thread-local read
//! and write per operation. [`budget!`] is one line at the top of a `poll`
//! with a longer body (timers, oneshot, semaphore, `Notify`), so that files
//! other work is changing get a one-line insertion: it charges, then polls
//! the same future again inside a charged scope where the macro lets the body
//! run (and inner resources pass free). The re-entry costs more than
//! `with_budget`'s single thread-local read and write, which is why the hot
//! paths use `with_budget`.
//!
//! # What it costs
//! One thread-local read and write per ready operation, two per channel
//! message (a send and a receive); socket operations cost microseconds and
//! the budget is lost in their noise. To see the figure on your machine, run
//! `cargo run -p ramen-benches --release --bin compare` (the mpsc and echo
//! rows) and `valgrind --tool=callgrind target/release/compare child profile
//! mpsc ramen 3` for instruction counts.
//!
//! # States
//! The thread-local is `Unconstrained` (outside any task poll, or inside
//! `unconstrained`) or `Constrained(left)`, `0 ≤ left ≤ BUDGET`. Transitions:
//! `reset` → `Constrained(BUDGET)`; a charge `left → left - 1` (only when
//! `left > 0`); a refund `left → left + 1` (only after a charge, so never
//! above `BUDGET`); the event loop's guard restores the state it found when
//! `block_on` returns. Orthogonally, the `SCOPE` bit is set while a charged
//! resource polls (inner resources are free), and cleared when it returns.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Units of work a task may do per poll before a ready resource makes it
/// yield (see the module docs for why 128).
pub(crate) const BUDGET: u8 = 128;

/// The thread's budget state, packed in one word so that every read sees
/// the last write whole (byte-wise fields cost a store-forwarding stall on
/// each access, measured: 3× the price of an mpsc message):
/// bits 0–7 = units left, [`UNCONSTRAINED`] bit, [`SCOPE`] bit.
type Budget = u16;

/// No budget: outside a task poll, or inside `unconstrained`.
const UNCONSTRAINED: Budget = 1 << 8;
/// Inside a charged resource's poll (see [`budget!`]): inner resources are free.
const SCOPE: Budget = 1 << 9;
const LEFT: Budget = 0xff;

#[cfg(not(loom))]
std::thread_local! {
    static CURRENT: Cell<Budget> = const { Cell::new(UNCONSTRAINED) };
}
#[cfg(loom)]
loom::thread_local! {
    static CURRENT: Cell<Budget> = Cell::new(UNCONSTRAINED);
}

/// `with`, not `try_with`: the value is `const`-initialised and needs no
/// drop, so the slot is valid for the whole life of the thread and `with`
/// cannot fail; `try_with` was measured to cost 9 % more instructions per
/// mpsc message (it was not inlined).
#[inline(always)]
fn get() -> Budget {
    CURRENT.with(Cell::get)
}

#[inline(always)]
fn set(b: Budget) {
    CURRENT.with(|c| c.set(b));
}

/// Gives the task about to be polled a full budget (the event loop calls it
/// before every task poll).
#[inline]
pub(crate) fn reset() {
    set(Budget::from(BUDGET));
}

/// Restores the budget state found at [`enter`] (when `block_on` returns,
/// also by unwinding): polls after the runtime are unconstrained again.
pub(crate) struct EnterGuard(Budget);

/// Marks the start of an event loop on this thread.
pub(crate) fn enter() -> EnterGuard {
    EnterGuard(get())
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        set(self.0);
    }
}

/// Asks for one unit of the current task's budget.
///
/// `Ready(guard)`: proceed; call [`RestoreOnPending::made_progress`] if the
/// resource returns `Ready`, otherwise dropping the guard refunds the unit.
/// `Pending`: the budget is spent; the task was woken (`wake_by_ref`) so it
/// runs again after the others.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let b = get();
    if b & UNCONSTRAINED != 0 {
        return Poll::Ready(RestoreOnPending { charged: false });
    }
    if b & LEFT == 0 {
        spent(cx);
        return Poll::Pending;
    }
    debug_assert!(b & LEFT <= Budget::from(BUDGET), "budget above its maximum");
    set(b - 1);
    Poll::Ready(RestoreOnPending { charged: true })
}

/// The budget is spent: requeue the task after the next reactor turn, as
/// `yield_now` does (and tokio's coop), so I/O and timers are seen before
/// it resumes.
#[cold]
fn spent(cx: &mut Context<'_>) {
    if crate::context::with_current(|core| core.defer(cx.waker())).is_none() {
        cx.waker().wake_by_ref();
    }
}

/// Gives back one unit (a resource that took it returned `Pending`).
#[inline]
fn refund(b: Budget) -> Budget {
    if b & UNCONSTRAINED != 0 {
        return b;
    }
    debug_assert!(b & LEFT < Budget::from(BUDGET), "refund without a charge");
    b + 1
}

/// A unit taken by [`poll_proceed`]: refunded on drop unless
/// [`made_progress`](Self::made_progress) was called.
#[must_use]
pub(crate) struct RestoreOnPending {
    charged: bool,
}

impl RestoreOnPending {
    /// The resource returned `Ready`: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(mut self) {
        self.charged = false;
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        if self.charged {
            set(refund(get()));
        }
    }
}

/// Polls `poll` as one budgeted resource operation: a unit is taken (or
/// the task yields if none is left) and refunded if `poll` is `Pending`.
/// The cheap form, for a `poll` whose body is one call: no re-entry, no
/// scope bit — one thread-local read and one write per operation.
#[inline(always)]
pub(crate) fn with_budget<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let coop = std::task::ready!(poll_proceed(cx));
    let poll = poll(cx);
    if poll.is_ready() {
        coop.made_progress();
    }
    poll
}

/// The body of [`budget!`]: `None` means "already inside a charged resource
/// (or unconstrained): run the poll body"; `Some(poll)` is the answer.
#[inline(always)]
pub(crate) fn charge<T>(
    cx: &mut Context<'_>,
    again: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Option<Poll<T>> {
    let b = get();
    if b & (SCOPE | UNCONSTRAINED) != 0 {
        return None;
    }
    if b & LEFT == 0 {
        spent(cx);
        return Some(Poll::Pending);
    }
    set((b - 1) | SCOPE); // one unit taken, and inner resources are free
    let poll = again(cx);
    // Leave the scope: `b - 1` if the resource was ready, `b` (refunded) if
    // not. Nothing else changes the budget inside the scope (inner
    // resources are free), so the value is known without reading it back.
    // If `again` panics, the scope stays set until the next task poll's
    // `reset` — the unwinding ends this task poll anyway.
    set(if poll.is_ready() { b - 1 } else { b });
    Some(poll)
}

/// One line at the top of a resource's `poll`: charges a unit of the task's
/// budget (or yields if it is spent), polling `$again` — the same poll — in
/// the charged scope, where this macro lets the body run.
///
/// `budget!(cx, self.as_mut().poll(cx))`
macro_rules! budget {
    ($cx:ident, $again:expr) => {
        if let Some(poll) = $crate::coop::charge($cx, |$cx| $again) {
            return poll;
        }
    };
}
pub(crate) use budget;

/// Runs `future` with no cooperative budget: see
/// [`task::unconstrained`](crate::task::unconstrained).
#[must_use = "futures do nothing unless you .await them"]
#[derive(Debug)]
pub struct Unconstrained<F> {
    inner: F,
}

/// Runs `future` without a cooperative budget: ramen resources inside it are
/// never forced to yield, and it consumes nothing of its task's budget.
///
/// Every ramen resource (socket, channel, timer, lock, `JoinHandle`) takes
/// one unit of a task's budget of 128 per poll when it is ready; when the
/// budget is spent it makes the task yield although it is ready, so a task
/// that only meets ready resources cannot starve the others (see
/// `coop.rs`). Use `unconstrained` for a section that must not be
/// interrupted — knowing that while it runs, nothing else on this thread
/// does.
///
/// ```
/// use ramen::sync::mpsc;
/// ramen::block_on(async {
///     let (tx, mut rx) = mpsc::channel(1000);
///     for i in 0..1000 {
///         tx.try_send(i).unwrap();
///     }
///     // 1000 ready receives in one poll, no forced yield on the way.
///     let sum = ramen::task::unconstrained(async {
///         let mut sum = 0;
///         for _ in 0..1000 {
///             sum += rx.recv().await.unwrap();
///         }
///         sum
///     })
///     .await;
///     assert_eq!(sum, 999 * 1000 / 2);
/// });
/// ```
///
/// # Cancellation
/// Dropping it drops `future`; nothing else happens.
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { inner: future }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of
        // `self` and `Unconstrained` has no `Drop` impl or `Unpin` override.
        let inner = unsafe { self.map_unchecked_mut(|u| &mut u.inner) };
        let saved = EnterGuard(get());
        set(UNCONSTRAINED);
        let poll = inner.poll(cx);
        drop(saved); // restore the task's budget (also by unwinding)
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn charge_refund_and_exhaustion() {
        let _g = enter();
        let mut cx = Context::from_waker(Waker::noop());
        reset();
        // A refunded unit (Pending for its own reason) costs nothing.
        for _ in 0..1000 {
            let Poll::Ready(g) = poll_proceed(&mut cx) else {
                panic!("budget spent by refunded units")
            };
            drop(g);
        }
        for _ in 0..BUDGET {
            let Poll::Ready(g) = poll_proceed(&mut cx) else {
                panic!("budget spent early")
            };
            g.made_progress();
        }
        assert!(poll_proceed(&mut cx).is_pending());
        reset();
        assert!(poll_proceed(&mut cx).is_ready());
    }

    #[test]
    fn outside_a_runtime_is_unconstrained() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10 * BUDGET as usize {
            let Poll::Ready(g) = poll_proceed(&mut cx) else {
                panic!("constrained outside a runtime")
            };
            g.made_progress();
        }
    }
}
