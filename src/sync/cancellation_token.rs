//! `CancellationToken`: one "stop now" signal for a whole tree of tasks.
//!
//! **Naive approach:** an `Arc<AtomicBool>` that tasks check now and then.
//! **Its problems:** a task blocked in an `.await` never checks it (it must
//! be *woken*), and there is no structure: stopping one subsystem (a
//! connection and everything it spawned) without stopping the rest needs a
//! flag per subsystem and code that sets them all.
//!
//! **What this file does:** tokio-util's design. A token is an `Arc` of a
//! node: a `cancelled` flag, a [`Notify`] its waiters wait on, and weak links
//! to its children (a child holds a strong link to its parent, so there is
//! no cycle, and a child whose last handle drops unlinks itself).
//! [`CancellationToken::cancel`] sets the flag, wakes the waiters with
//! `notify_waiters`, then does the same for every child, walking the tree
//! with an explicit stack (a deep chain cannot overflow the thread's
//! stack). A child created from a cancelled parent is born cancelled; the
//! check and the link happen under the parent's lock, so "parent cancels
//! while a child is created" has no gap. Waiting uses `notify.rs`'s
//! `NotifyWait` (created before the flag is checked) on the node's
//! `Notify`, not a new waiter list.
//!
//! Node states: *live* → *cancelled* (one way; the children list is emptied
//! in the same critical section).

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use slab::Slab;

use super::notify::{Notify, NotifyWait};
use crate::loom::{Mutex, lock};

/// A signal that tasks can wait for with [`cancelled`](Self::cancelled);
/// clones share it; children are cancelled with their parent (not the
/// other way round). `Send + Sync`: cancel from any thread.
///
/// ```
/// use std::time::Duration;
/// use ramen::sync::CancellationToken;
/// ramen::block_on(async {
///     let root = CancellationToken::new();
///     let child = root.child_token();
///     let worker = ramen::spawn(async move {
///         ramen::select! {
///             _ = child.cancelled() => "stopped",
///             _ = ramen::time::sleep(Duration::from_secs(60)) => "slept",
///         }
///     });
///     root.cancel();
///     assert_eq!(worker.await.unwrap(), "stopped");
/// });
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    /// The parent and this node's key in its `children`.
    parent: Option<(Arc<Node>, usize)>,
    state: Mutex<NodeState>,
    notify: Notify,
}

struct NodeState {
    cancelled: bool,
    children: Slab<Weak<Node>>,
}

impl Node {
    fn new(parent: Option<(Arc<Node>, usize)>, cancelled: bool) -> Node {
        Node {
            parent,
            state: Mutex::new(NodeState {
                cancelled,
                children: Slab::new(),
            }),
            notify: Notify::new(),
        }
    }

    fn is_cancelled(&self) -> bool {
        let st = lock(&self.state);
        debug_assert!(
            !st.cancelled || st.children.is_empty(),
            "cancelling empties the children list, and no child links to a cancelled node"
        );
        st.cancelled
    }
}

impl Drop for Node {
    /// Unlinks this node from its parent. If that drops the parent's last
    /// reference too, the parent is unlinked here in the loop rather than by
    /// its own `Drop` (a chain of 100,000 children would otherwise recurse
    /// 100,000 deep and overflow the stack).
    fn drop(&mut self) {
        let mut link = self.parent.take();
        while let Some((parent, key)) = link {
            // `None` if the parent was cancelled and emptied its list.
            lock(&parent.state).children.try_remove(key);
            link = Arc::into_inner(parent).and_then(|mut p| p.parent.take());
        }
    }
}

impl CancellationToken {
    /// A new, uncancelled root token.
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(None, false)),
        }
    }

    /// A token that is cancelled when this one is (or already is, if this
    /// one is cancelled). Cancelling the child does not touch the parent.
    pub fn child_token(&self) -> CancellationToken {
        let mut st = lock(&self.node.state);
        if st.cancelled {
            return CancellationToken {
                node: Arc::new(Node::new(None, true)),
            };
        }
        let key = st.children.vacant_key();
        let child = Arc::new(Node::new(Some((self.node.clone(), key)), false));
        st.children.insert(Arc::downgrade(&child));
        CancellationToken { node: child }
    }

    /// Cancels this token and all its descendants: every `cancelled()`
    /// future of them completes. Calling it again does nothing.
    pub fn cancel(&self) {
        let mut stack = vec![self.node.clone()];
        while let Some(node) = stack.pop() {
            let children = {
                let mut st = lock(&node.state);
                if st.cancelled {
                    continue;
                }
                st.cancelled = true;
                std::mem::take(&mut st.children)
            };
            node.notify.notify_waiters();
            stack.extend(children.into_iter().filter_map(|(_, w)| w.upgrade()));
        }
    }

    /// Whether this token (or an ancestor) has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Completes once the token is cancelled (at once if it already is).
    ///
    /// # Cancellation
    /// Cancel-safe: dropping the future only removes its waiter; the token
    /// is unaffected and a new `cancelled()` sees the same state.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            wait: NotifyWait::new(OnNode(&*self.node)),
        }
    }

    /// [`cancelled`](Self::cancelled) holding a clone of the token, so the
    /// future is `'static` (it can move into a spawned task).
    ///
    /// # Cancellation
    /// Cancel-safe, as `cancelled`.
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            wait: NotifyWait::new(OnNode(self.node)),
        }
    }

    /// A guard that cancels the token when dropped (unless
    /// [`DropGuard::disarm`]ed): ties cancellation to a scope.
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl Default for CancellationToken {
    fn default() -> CancellationToken {
        CancellationToken::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// A token's node (borrowed or owned), seen as the `Notify` its waiters
/// wait on.
struct OnNode<N>(N);

impl<N: Deref<Target = Node>> Deref for OnNode<N> {
    type Target = Notify;
    fn deref(&self) -> &Notify {
        &self.0.notify
    }
}

/// The poll shared by both futures: the flag first, then the wait (which
/// was created before this check, so a cancel in between is not missed).
fn poll_cancelled<N: Deref<Target = Node>>(
    wait: &mut NotifyWait<OnNode<N>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if wait.handle().0.is_cancelled() {
        wait.cancel();
        return Poll::Ready(());
    }
    // Only `cancel` notifies this `Notify`, and it sets the flag first.
    wait.poll(cx.waker())
}

/// Future of [`CancellationToken::cancelled`].
#[must_use = "futures do nothing unless you .await them"]
pub struct WaitForCancellationFuture<'a> {
    wait: NotifyWait<OnNode<&'a Node>>,
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_cancelled(&mut self.wait, cx)
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .finish_non_exhaustive()
    }
}

/// Future of [`CancellationToken::cancelled_owned`].
#[must_use = "futures do nothing unless you .await them"]
pub struct WaitForCancellationFutureOwned {
    /// Owns the token's node (what the token itself holds).
    wait: NotifyWait<OnNode<Arc<Node>>>,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        poll_cancelled(&mut self.wait, cx)
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .finish_non_exhaustive()
    }
}

/// Cancels its token when dropped; see [`CancellationToken::drop_guard`].
#[must_use = "the token is cancelled as soon as the guard is dropped"]
#[derive(Debug)]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("only `disarm` or `drop` empties it")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::loom::thread;

    /// `cancel` on another thread races a waiter's first poll (flag check,
    /// then registration): the waiter always completes (loom reports a
    /// deadlock if the wake fell between the two).
    #[test]
    fn cancel_races_cancelled_registration() {
        loom::model(|| {
            let token = CancellationToken::new();
            let t2 = token.clone();
            let t = thread::spawn(move || t2.cancel());
            crate::sync::loom_block_on(token.cancelled());
            t.join().unwrap();
            assert!(token.is_cancelled());
        });
    }

    /// The parent is cancelled while another thread creates a child and
    /// waits on it: the child is cancelled either way (born cancelled, or
    /// reached through the parent's list).
    #[test]
    fn parent_cancel_races_child_creation() {
        loom::model(|| {
            let parent = CancellationToken::new();
            let p2 = parent.clone();
            let t = thread::spawn(move || {
                let child = p2.child_token();
                crate::sync::loom_block_on(child.cancelled_owned());
            });
            parent.cancel();
            t.join().unwrap();
            assert!(lock(&parent.node.state).children.is_empty());
        });
    }
}
