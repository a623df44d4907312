//! [`join!`](crate::join!): run several futures concurrently inside one task.
//!
//! **Naive approach:** `a.await; b.await;`. **Its problem:** that is
//! sequential: `b` does not start until `a` is done, so two 20 ms sleeps take
//! 40 ms. Spawning both works, but needs `'static` futures and two tasks.
//!
//! **What this file does:** the macro pins each future in place (on the
//! awaiting task's own frame: no allocation), wraps it in a [`MaybeDone`]
//! that keeps its output once finished, and polls every unfinished one each
//! time the task is woken, until all are done. All futures share the task's
//! waker, so any of them waking re-polls them all (fine for a handful; use
//! [`JoinSet`](crate::JoinSet) for many).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs all the given futures concurrently in the current task and waits
/// for all of them, returning their outputs as a tuple (in argument order).
/// Arguments may be anything `IntoFuture`; with none, `join!()` is `()`.
///
/// Must be used inside an `async` context (it expands to an `.await`).
/// Futures are polled in argument order on every wake; each is polled at
/// most until it completes, then its output is kept.
///
/// # Cancellation
/// Dropping the enclosing future drops every future that has not finished,
/// and the outputs of those that have.
///
/// ```
/// use std::time::{Duration, Instant};
/// ramen::block_on(async {
///     let start = Instant::now();
///     let (a, b) = ramen::join!(
///         async { ramen::time::sleep(Duration::from_millis(20)).await; 1 },
///         async { ramen::time::sleep(Duration::from_millis(20)).await; "two" },
///     );
///     assert_eq!((a, b), (1, "two"));
///     assert!(start.elapsed() < Duration::from_millis(200)); // overlapped
/// });
/// ```
#[macro_export]
macro_rules! join {
    () => {
        async {}.await
    };
    ($($fut:expr),+ $(,)?) => {
        $crate::__join_impl!(@acc [] $($fut,)+)
    };
}

/// Like [`join!`], for futures that return `Result<_, E>` (one `E` for all):
/// returns `Ok` of the tuple of their `Ok` values once all succeed, or the
/// first `Err` **as soon as** any fails.
///
/// Futures are polled in argument order on every wake. With no arguments
/// it is `Ok(())`, as in tokio.
///
/// # Cancellation
/// On the first `Err`, every other future (finished or not) is dropped
/// before `try_join!` returns: the unfinished ones are cancelled, at
/// whatever `.await` they had reached. Dropping the enclosing future drops
/// them all the same way.
///
/// ```
/// ramen::block_on(async {
///     let ok: Result<(u8, &str), String> = ramen::try_join!(
///         async { Ok(1) },
///         async { Ok("two") },
///     );
///     assert_eq!(ok, Ok((1, "two")));
///
///     let failed: Result<(u8, ()), String> = ramen::try_join!(
///         async { Err("no".to_string()) },
///         std::future::pending::<Result<(), String>>(), // dropped at once
///     );
///     assert_eq!(failed, Err("no".to_string()));
/// });
/// ```
#[macro_export]
macro_rules! try_join {
    () => {
        async { ::core::result::Result::Ok(()) }.await
    };
    ($($fut:expr),+ $(,)?) => {
        $crate::__join_impl!(@try [] $($fut,)+)
    };
}

/// Implementation detail of [`join!`] and [`try_join!`]: gives every future
/// its own local.
///
/// Each recursion step writes the identifier `fut`; macro hygiene makes each
/// of those a different variable, so no counting is needed. `@acc` builds
/// `join!`, `@try` builds `try_join!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    (@$mode:ident [$($done:tt)*] $head:expr, $($rest:expr,)*) => {
        $crate::__join_impl!(@$mode [$($done)* (fut $head)] $($rest,)*)
    };
    (@acc [$(($name:ident $e:expr))*]) => {{
        $(
            let mut $name = ::core::pin::pin!($crate::__private::MaybeDone::new(
                ::core::future::IntoFuture::into_future($e)
            ));
        )*
        ::core::future::poll_fn(|cx| {
            let mut all_done = true;
            $(
                all_done &= $name.as_mut().poll_done(cx);
            )*
            if all_done {
                ::core::task::Poll::Ready(($($name.as_mut().take_output(),)*))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
    (@try [$(($name:ident $e:expr))*]) => {{
        $(
            let mut $name = ::core::pin::pin!($crate::__private::MaybeDone::new(
                ::core::future::IntoFuture::into_future($e)
            ));
        )*
        ::core::future::poll_fn(|cx| {
            let mut all_done = true;
            $(
                if $name.as_mut().poll_done(cx) {
                    if let ::core::option::Option::Some(e) = $name.as_mut().take_err() {
                        return ::core::task::Poll::Ready(::core::result::Result::Err(e));
                    }
                } else {
                    all_done = false;
                }
            )*
            if all_done {
                ::core::task::Poll::Ready(::core::result::Result::Ok(
                    ($($name.as_mut().take_ok(),)*)
                ))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
        // The block ends here: on `Err`, the other futures are dropped now.
    }};
}

/// Items the macros need at a `$crate` path; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::MaybeDone;
    pub use crate::select_macro::select_start;
}

impl<T, E, F: Future<Output = Result<T, E>>> MaybeDone<F> {
    /// `try_join!`: takes the error out of a finished future that failed
    /// (leaving it `Taken`); `None` (and nothing changes) if it succeeded.
    pub fn take_err(self: Pin<&mut Self>) -> Option<E> {
        // SAFETY: we move out of `self` only after checking it holds a
        // `Done(Err)` output, which is not pinned (the future itself was
        // already dropped in place by `poll_done`).
        let this = unsafe { self.get_unchecked_mut() };
        if !matches!(this, MaybeDone::Done(Err(_))) {
            return None;
        }
        match std::mem::replace(this, MaybeDone::Taken) {
            MaybeDone::Done(Err(e)) => Some(e),
            _ => unreachable!("checked just above"),
        }
    }

    /// `try_join!`: the `Ok` value of a finished future.
    ///
    /// # Panics
    /// If it is not finished, or failed (`try_join!` returned early then).
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.take_output() {
            Ok(v) => v,
            Err(_) => unreachable!("ramen::try_join!: errors return early"),
        }
    }
}

/// A future, then its output, then nothing: one slot of [`join!`].
#[doc(hidden)]
pub enum MaybeDone<F: Future> {
    /// Still running.
    Running(F),
    /// Finished; the output waits to be taken.
    Done(F::Output),
    /// The output was taken.
    Taken,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not been polled.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone::Running(future)
    }

    /// Polls the future if it still runs; `true` once it has finished.
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: we never move out of `self` here: the `Running` future is
        // only re-pinned in place, and `set` (which drops it in place, as Pin
        // allows) replaces the whole value once it finished.
        let this = unsafe { self.get_unchecked_mut() };
        let output = match this {
            MaybeDone::Running(f) => {
                // SAFETY: `f` lives inside `self`, which is pinned, and is
                // never moved (only dropped in place below): structural pinning.
                match unsafe { Pin::new_unchecked(f) }.poll(cx) {
                    Poll::Ready(output) => output,
                    Poll::Pending => return false,
                }
            }
            MaybeDone::Done(_) => return true,
            MaybeDone::Taken => panic!("ramen::join!: polled after the output was taken"),
        };
        // Assigning drops the finished future in place, then writes the output.
        *this = MaybeDone::Done(output);
        true
    }

    /// Takes the output after [`poll_done`](Self::poll_done) returned `true`.
    ///
    /// # Panics
    /// If the future has not finished, or the output was already taken.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: we move out of `self` only after checking it is `Done`: the
        // pinned future no longer exists then, and the output is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(
            matches!(this, MaybeDone::Done(_)),
            "ramen::join!: output taken before the future finished"
        );
        match std::mem::replace(this, MaybeDone::Taken) {
            MaybeDone::Done(output) => output,
            _ => unreachable!("checked just above"),
        }
    }
}
