//! Notify: "something changed, go look", between tasks and threads.
//!
//! **Naive approach:** a flag that waiters poll, or a list of wakers that
//! `notify` drains. **Its problems:** polling spins; a bare list loses the
//! notification that arrives *just before* a waiter registers (the classic
//! lost wakeup), and a waiter dropped after being picked silently swallows it.
//!
//! **What this file does:** like tokio's `Notify`. [`Notify::notify_one`]
//! hands the notification to the front waiter, or stores one *permit* if
//! nobody waits, so a `notified().await` that comes later completes at once.
//! [`Notify::notify_waiters`] wakes every waiter registered at that moment and
//! stores nothing; a `Notified` future *created* before the call (even if not
//! yet polled) also completes, because it remembers the `generation` counter
//! it saw when created. A waiter dropped after `notify_one` picked it passes
//! the notification on.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitList, Wakers};
use super::waiter::{WaitQueue, Waiter};
use crate::loom::{AtomicUsize, Mutex, Ordering, lock};

/// Wakes tasks waiting on [`Notify::notified`]; FIFO for `notify_one`.
///
/// ```
/// use std::rc::Rc;
/// ramen::block_on(async {
///     let notify = Rc::new(ramen::sync::Notify::new());
///     let n = notify.clone();
///     let waiter = ramen::spawn(async move { n.notified().await; "woken" });
///     notify.notify_one(); // stored as a permit if the waiter has not run yet
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
pub struct Notify {
    state: Mutex<State>,
    /// Bumped (under the lock) by every `notify_waiters`.
    generation: AtomicUsize,
}

pub(crate) struct State {
    permit: bool,
    waiters: WaitList<Note>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Note {
    Waiting,
    /// Picked by `notify_one`: must be passed on if never observed.
    One,
    /// Woken by `notify_waiters`: nothing to pass on.
    All,
}

impl State {
    /// Gives one notification to the front waiter, or stores the permit.
    fn notify_one(&mut self) -> Option<std::task::Waker> {
        let waker = self.waiters.pop_front(Note::One);
        if waker.is_none() {
            self.permit = true;
        }
        waker
    }
}

impl Notify {
    /// A `Notify` with no stored permit.
    pub fn new() -> Notify {
        Notify {
            state: Mutex::new(State {
                permit: false,
                waiters: WaitList::new(),
            }),
            generation: AtomicUsize::new(0),
        }
    }

    /// Wakes the longest-waiting `notified()`, or, if nobody waits, stores a
    /// permit (at most one) that the next `notified()` consumes at once.
    pub fn notify_one(&self) {
        let waker = lock(&self.state).notify_one();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Like [`notify_one`](Self::notify_one), but wakes the most recently
    /// queued waiter (LIFO) instead of the longest-waiting one. If nobody
    /// waits, stores the permit exactly as `notify_one` does.
    pub fn notify_last(&self) {
        let waker = {
            let mut st = lock(&self.state);
            let waker = st.waiters.pop_back(Note::One);
            if waker.is_none() {
                st.permit = true;
            }
            waker
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every `notified()` future that exists now (registered, or just
    /// created and not yet polled). Stores no permit.
    pub fn notify_waiters(&self) {
        let mut wakers = Wakers::default();
        {
            let mut st = lock(&self.state);
            self.generation.fetch_add(1, Ordering::SeqCst);
            st.waiters.drain_into(Note::All, &mut wakers);
        }
        wakers.wake_all();
    }

    /// Waits for a notification. The future is not queued until it is first
    /// polled (or [`enable`](Notified::enable)d), but a `notify_waiters`
    /// issued after `notified()` returned completes it anyway.
    ///
    /// # Cancellation
    /// Dropping the future leaves the queue. If `notify_one` had already
    /// picked it, the notification goes to the next waiter (or becomes the
    /// stored permit): it is never lost. A `notify_waiters` wake is not
    /// passed on (every waiter got its own).
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            wait: NotifyWait::new(self),
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("permit", &lock(&self.state).permit)
            .finish_non_exhaustive()
    }
}

/// Future of [`Notify::notified`].
#[must_use = "futures do nothing unless you .await them"]
pub struct Notified<'a> {
    wait: NotifyWait<&'a Notify>,
}

impl Notified<'_> {
    /// Queues this future as a waiter *without* polling it, so a later
    /// `notify_one` picks it even before its first poll (tokio's
    /// `Notified::enable`). Returns `true` if it has already been notified
    /// (then the next poll is `Ready`). Calling it again is harmless.
    ///
    /// Takes `Pin<&mut Self>` as tokio does: pin the future first
    /// (`std::pin::pin!`), then `enable`, then check your condition, then
    /// `.await` it — no notification can fall between the check and the
    /// wait.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        Pin::into_inner(self).wait.poll(Waker::noop()).is_ready()
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::coop::budget!(cx, self.as_mut().poll(cx)); // cooperative budget (coop.rs)
        self.wait.poll(cx.waker())
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("queued", &self.wait.waiter.is_queued())
            .field("done", &self.wait.done)
            .finish()
    }
}

/// The [`WaitQueue`] of a [`Notify`] reached through `P`: a borrow
/// (`Notified`), or a handle that owns it (`CancellationToken`'s owned
/// future holds its node). A waiter dropped after `notify_one` picked it
/// passes the notification on.
pub(crate) struct OnNotify<P>(P);

impl<P: Deref<Target = Notify>> WaitQueue for OnNotify<P> {
    type Entry = Note;
    type Locked = State;

    #[inline]
    fn mutex(&self) -> &Mutex<State> {
        &self.0.state
    }

    #[inline]
    fn list<'l>(&self, st: &'l mut State) -> &'l mut WaitList<Note> {
        &mut st.waiters
    }

    fn pass_on(&self, st: &mut State, note: Note, wakers: &mut Wakers) {
        if note == Note::One {
            wakers.push_some(st.notify_one());
        }
    }
}

/// One `notified()` wait on the `Notify` behind `P`: the generation it
/// started in and its [`Waiter`] (which leaves the queue, passing a picked
/// notification on, when dropped). [`Notified`] is one with a borrow; a
/// type that owns its `Notify` (`CancellationToken`'s owned future) uses
/// its own `P`.
///
/// States: *fresh* (not queued, `done: false`) → *queued* → *done*; or
/// fresh → done directly (permit or `notify_waiters` seen).
pub(crate) struct NotifyWait<P: Deref<Target = Notify>> {
    generation: usize,
    done: bool,
    waiter: Waiter<OnNotify<P>>,
}

impl<P: Deref<Target = Notify>> NotifyWait<P> {
    /// A wait that started now: a `notify_waiters` from here on completes it.
    pub(crate) fn new(notify: P) -> NotifyWait<P> {
        NotifyWait {
            generation: notify.generation.load(Ordering::SeqCst),
            done: false,
            waiter: Waiter::new(OnNotify(notify)),
        }
    }

    /// The handle it waits through.
    pub(crate) fn handle(&self) -> &P {
        &self.waiter.queue().0
    }

    /// Polls the wait, registering `waker`.
    pub(crate) fn poll(&mut self, waker: &Waker) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let generation = self.generation;
        let out = self.waiter.poll_grant(
            waker,
            |q, st| {
                if q.0.generation.load(Ordering::SeqCst) != generation {
                    Ok(())
                } else if st.permit {
                    st.permit = false;
                    Ok(())
                } else {
                    Err(Note::Waiting)
                }
            },
            |_, note| debug_assert_ne!(note, Note::Waiting, "a waiting entry is linked"),
        );
        debug_assert!(
            !(out.is_ready() && self.waiter.is_queued()),
            "done waiters hold no entry"
        );
        self.done = out.is_ready();
        out
    }

    /// The wait is abandoned: leave the queue, pass on a `notify_one` that
    /// picked it but was never observed (what `Drop` does).
    pub(crate) fn cancel(&mut self) {
        self.waiter.cancel();
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::{Arc, thread};

    /// `notify_one` on another thread races a waiter registering: whichever
    /// comes first, the waiter completes (loom reports a deadlock if the
    /// notification were lost between "no permit" and "registered").
    #[test]
    fn notify_one_races_new_waiter() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let n = notify.clone();
            let t = thread::spawn(move || n.notify_one());
            crate::sync::loom_block_on(notify.notified());
            t.join().unwrap();
            assert!(!lock(&notify.state).permit, "the permit was consumed");
        });
    }

    /// Two waiters, one `notify_one`, and the first waiter is dropped
    /// (possibly after being picked): the notification reaches the second.
    #[test]
    fn dropped_picked_waiter_passes_on() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let waker = futures_task::noop_waker();
            let mut cx = Context::from_waker(&waker);
            let mut first = notify.notified();
            assert!(Pin::new(&mut first).poll(&mut cx).is_pending());
            let n = notify.clone();
            let second = thread::spawn(move || crate::sync::loom_block_on(n.notified()));
            let n = notify.clone();
            let t = thread::spawn(move || n.notify_one());
            drop(first);
            t.join().unwrap();
            second.join().unwrap();
        });
    }
}
