//! [`select!`](crate::select!): wait for the first of several branches,
//! with patterns, preconditions, an `else`, and a fair random start.
//!
//! **Naive approach:** [`select`](crate::select()) of two futures, nested for
//! more: `select(a, select(b, c))`. **Its problems:** it is biased (the first
//! argument is always polled first, so an always-ready first future starves
//! the others), it cannot skip a branch on a condition, and every caller
//! writes the `Either` unpacking by hand.
//!
//! **What this file does:** a `macro_rules!` macro (no proc-macro
//! dependency) with tokio's syntax and semantics. It parses the branches with
//! a token muncher, gives each branch a number and a variant of a local
//! output enum from a fixed list of 64 names, evaluates every precondition,
//! then every future, pins them in a tuple on the task's own frame and polls
//! them from one `poll_fn`, starting at a random branch unless `biased;`.
//! Handlers run *after* the futures are dropped and outside any closure or
//! loop of the macro, so `return`, `?`, `break` and `continue` in a handler
//! act on the caller's function and loops. A branch whose output does not
//! match its pattern is disabled; the rest keep going.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

/// Waits on several branches at once and runs the handler of the first one
/// that completes (with an output matching its pattern); the other branches'
/// futures are dropped.
///
/// ```text
/// ramen::select! {
///     biased;                                        // optional: poll in order
///     <pattern> = <future> (, if <precondition>)? => <handler>,
///     ...
///     else => <expression>                           // optional
/// }
/// ```
///
/// Must be used inside `async` code (it expands to an `.await`). Step by
/// step, as in tokio:
/// 1. every `<precondition>` is evaluated, in order; a branch whose
///    precondition is `false` is *disabled* for this `select!`;
/// 2. every `<future>` is evaluated (disabled branches' too: the expression
///    runs, its future is never polled), with `IntoFuture`;
/// 3. the enabled futures are polled, starting at a random branch (a cheap
///    per-thread xorshift), or in order from the first with `biased;`;
/// 4. when a future completes, its output is matched against its
///    `<pattern>`. No match: that branch is disabled, the others continue.
///    A match: every future is dropped, then the handler runs with the
///    pattern's bindings, and its value is the value of `select!`;
/// 5. if every branch is disabled, the `else` expression is the value. With
///    no `else`, `select!` panics.
///
/// The random start is what makes `select!` fair: an always-ready branch
/// wins only about `1/n` of the time, not always. With `biased;` the first
/// ready branch in written order wins: useful for "shutdown first", at the
/// price of that starvation.
///
/// ```
/// use std::time::Duration;
/// use ramen::sync::mpsc;
/// ramen::block_on(async {
///     let (tx, mut rx) = mpsc::channel::<u32>(4);
///     tx.send(7).await.unwrap();
///     drop(tx);
///     let mut got = Vec::new();
///     loop {
///         ramen::select! {
///             Some(v) = rx.recv() => got.push(v),
///             _ = ramen::time::sleep(Duration::from_secs(5)) => panic!("timed out"),
///             else => break, // never here: the sleep branch stays enabled
///         }
///         if got.len() == 1 { break; }
///     }
///     assert_eq!(got, [7]);
///
///     // `recv()` now returns `None`: the pattern fails, the branch is
///     // disabled; with the sleep disabled by its `if`, `else` is taken.
///     let what = ramen::select! {
///         Some(v) = rx.recv() => v,
///         _ = ramen::time::sleep(Duration::from_secs(5)), if false => 1,
///         else => 0,
///     };
///     assert_eq!(what, 0);
/// });
/// ```
///
/// # Cancellation: what happens to the losers
/// "Cancelled" means exactly this: the losing branches' futures are
/// **dropped** — before the winner's handler runs — in the middle of
/// whatever they were doing. No code after their current `.await` point
/// runs, their destructors do. Whether that loses data depends on the
/// future: it is *cancel-safe* if dropping it at an `.await` loses nothing,
/// so calling it again in the next loop iteration is correct. Dropping the
/// `select!` itself (its enclosing future) drops every branch the same way.
///
/// | future | cancel-safe? | what a drop loses |
/// |---|---|---|
/// | `mpsc::Receiver::recv` | yes | nothing: a message leaves the queue only in the poll that returns it |
/// | `mpsc::Sender::send` | no | the message (it was moved into the future); the slot reservation goes to the next sender, so nobody else loses anything |
/// | `oneshot::Receiver` (awaited as `&mut rx`) | yes | nothing; awaited by value, the receiver itself is dropped and the channel closes |
/// | `Mutex::lock` | yes* | the place in the queue; a lock already handed to it passes on |
/// | `RwLock::read`, `RwLock::write` | yes* | the place in the queue; permits set aside pass on |
/// | `Semaphore::acquire`, `acquire_many`, `acquire_owned` | yes* | the place in the queue; permits set aside pass on |
/// | `Notify::notified` | yes | a `notify_one` that picked it passes to the next waiter |
/// | `CancellationToken::cancelled` | yes | nothing |
/// | `Barrier::wait` | no | the arrival stays counted |
/// | `time::sleep` | yes | nothing (the timer entry is removed) |
/// | `time::Interval::tick` | yes | nothing: the next `tick` waits for the same tick |
/// | `net::TcpListener::accept` | yes | nothing: no connection was taken |
/// | `io::AsyncReadExt::read`, `AsyncWriteExt::write` | yes | nothing: no bytes moved |
/// | `io::AsyncReadExt::read_exact` | no | bytes read so far (their count) |
/// | `io::AsyncReadExt::read_to_end`, `AsyncBufReadExt::read_until` | yes | nothing: bytes read stay in the buffer; call again to continue |
/// | `io::AsyncBufReadExt::read_line` | no | a partial line; use `Lines::next_line`, which is |
/// | `io::AsyncWriteExt::write_all` | no | an unknown prefix may have been written |
/// | `JoinHandle` (awaited as `&mut handle`) | yes | nothing: the task keeps running, the output waits |
/// | `JoinSet::join_next` | yes | nothing |
///
/// *yes\**: nothing is lost or leaked, but a fair queue position is, as in
/// tokio. To keep a non-cancel-safe operation alive across iterations, pin
/// it outside the loop and select on `&mut fut`.
///
/// # Panics
/// When every branch is disabled and there is no `else` branch, with
/// tokio's message "all branches are disabled and there is no else
/// branch". A handler's own panics propagate.
///
/// # Limits
/// At most 64 branches. Patterns are matched twice: once through a
/// reference in the poll, with `mut`, `ref` and `&` removed (same
/// refutability, nothing moved), to decide whether the branch wins; then
/// by value for the handler. Parsing costs one level of macro recursion
/// per branch whose pattern is at most 3 token trees (`Some(v)` is 2), plus
/// one per 3 more tokens: 64 plain branches fit the
/// default `#![recursion_limit]`; huge patterns may need a higher one.
#[macro_export]
macro_rules! select {
    () => {
        ::core::compile_error!("ramen::select! needs at least one branch")
    };
    (biased; $($rest:tt)*) => {
        $crate::__select_parse!(@start [true] $($rest)*)
    };
    ($($rest:tt)*) => {
        $crate::__select_parse!(@start [false] $($rest)*)
    };
}

/// Implementation detail of [`select!`]: parses the branches.
///
/// One state, `@pat [biased] [names left] [branches] [pattern so far]
/// input`. Each step either finishes a branch — the pattern so far plus 0
/// to 3 more tokens, then `= future (, if cond)? => handler` — taking the
/// next `(index name)` pair, or moves 3 more pattern tokens into the
/// pattern. Most patterns (`v`, `_`, `Some(v)`, `Ok(n)`, `Msg::Quit`) are
/// 1 to 3 tokens, so most branches cost one level of macro recursion: 64
/// branches fit in the default `recursion_limit`. An empty pattern with
/// `else => expr` or nothing left emits the code.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    (@start [$bi:tt] $($rest:tt)*) => {
        $crate::__select_parse!(@pat [$bi] [
            (0 _0) (1 _1) (2 _2) (3 _3) (4 _4) (5 _5) (6 _6) (7 _7) (8 _8) (9 _9) (10 _10)
            (11 _11) (12 _12) (13 _13) (14 _14) (15 _15) (16 _16) (17 _17) (18 _18) (19 _19)
            (20 _20) (21 _21) (22 _22) (23 _23) (24 _24) (25 _25) (26 _26) (27 _27) (28 _28)
            (29 _29) (30 _30) (31 _31) (32 _32) (33 _33) (34 _34) (35 _35) (36 _36) (37 _37)
            (38 _38) (39 _39) (40 _40) (41 _41) (42 _42) (43 _43) (44 _44) (45 _45) (46 _46)
            (47 _47) (48 _48) (49 _49) (50 _50) (51 _51) (52 _52) (53 _53) (54 _54) (55 _55)
            (56 _56) (57 _57) (58 _58) (59 _59) (60 _60) (61 _61) (62 _62) (63 _63)
        ] [] [] $($rest)*)
    };
    (@pat $bi:tt $names:tt $br:tt [] else => $e:expr $(,)?) => {
        $crate::__select_parse!(@emit $bi $br [$e])
    };
    (@pat $bi:tt $names:tt $br:tt []) => {
        $crate::__select_parse!(@emit $bi $br [::core::panic!(
            "all branches are disabled and there is no else branch"
        )])
    };
    (@pat $bi:tt [] $br:tt [] $($rest:tt)+) => {
        ::core::compile_error!("ramen::select! supports at most 64 branches")
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] = $f:expr $(, if $cond:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* ] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] = $f:expr $(, if $cond:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* ] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] = $f:expr $(, if $cond:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* ] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] = $f:expr $(, if $cond:expr)? => $h:expr) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* ] [$f] [$($cond)?] [$h])] [] )
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt = $f:expr $(, if $cond:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt = $f:expr $(, if $cond:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt = $f:expr $(, if $cond:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt = $f:expr $(, if $cond:expr)? => $h:expr) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a] [$f] [$($cond)?] [$h])] [] )
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt = $f:expr $(, if $cond:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt = $f:expr $(, if $cond:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt = $f:expr $(, if $cond:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt = $f:expr $(, if $cond:expr)? => $h:expr) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b] [$f] [$($cond)?] [$h])] [] )
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt $c:tt = $f:expr $(, if $cond:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b $c] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt $c:tt = $f:expr $(, if $cond:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b $c] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt $c:tt = $f:expr $(, if $cond:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b $c] [$f] [$($cond)?] [$h])] [] $($rest)*)
    };
    (@pat $bi:tt [$cur:tt $($names:tt)*] [$($br:tt)*] [$($p:tt)*] $a:tt $b:tt $c:tt = $f:expr $(, if $cond:expr)? => $h:expr) => {
        $crate::__select_parse!(@pat $bi [$($names)*] [$($br)* ($cur [$($p)* $a $b $c] [$f] [$($cond)?] [$h])] [] )
    };
    (@pat $bi:tt $names:tt $br:tt [$($p:tt)*] $a:tt $b:tt $c:tt $($rest:tt)+) => {
        $crate::__select_parse!(@pat $bi $names $br [$($p)* $a $b $c] $($rest)+)
    };
    (@pat $bi:tt $names:tt $br:tt [$($p:tt)*] $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "ramen::select!: expected `<pattern> = <future> (, if <condition>)? => <handler>`, found `",
            ::core::stringify!($($p)* $($rest)*),
            "`"
        ))
    };
    (@emit [$b:tt] [$( (($i:tt $n:ident) [$($p:tt)*] [$f:expr] [$($c:expr)?] [$h:expr]) )+] [$e:expr]) => {{
        #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
        enum __SelectOut<$($n,)+> {
            $($n($n),)+
            Disabled,
        }
        // 1. Every precondition, before any future is created or polled.
        let mut __disabled: u64 = 0;
        $(
            if !(true $(&& $c)?) {
                __disabled |= 1u64 << $i;
            }
        )+
        let __n: u32 = [$($i),+].len() as u32;
        let __out = {
            // 2. Every future, disabled branches' included, each pinned in
            // place on this frame (`pin!`: no allocation, no `unsafe`).
            let mut __futs = ($(::core::pin::pin!(::core::future::IntoFuture::into_future($f)),)+);
            ::core::future::poll_fn(|__cx| {
                let __start = if $b { 0 } else { $crate::__private::select_start(__n) };
                let mut __pending = false;
                for __k in 0..__n {
                    let __branch = (__start + __k) % __n;
                    $(
                        if __branch == $i && __disabled & (1u64 << $i) == 0 {
                            match ::core::future::Future::poll(__futs.$i.as_mut(), __cx) {
                                ::core::task::Poll::Pending => __pending = true,
                                ::core::task::Poll::Ready(__v) => {
                                    // A completed future is never polled again.
                                    __disabled |= 1u64 << $i;
                                    #[allow(unused_variables, unreachable_patterns)]
                                    let __matched = match &__v {
                                        $crate::__select_clean!($($p)*) => true,
                                        _ => false,
                                    };
                                    if __matched {
                                        return ::core::task::Poll::Ready(__SelectOut::$n(__v));
                                    }
                                }
                            }
                        }
                    )+
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__SelectOut::Disabled)
                }
            })
            .await
            // 3. The block ends: every branch's future is dropped here,
            // before any handler runs.
        };
        #[allow(unreachable_patterns, unreachable_code)]
        match __out {
            $( __SelectOut::$n($($p)*) => $h, )+
            __SelectOut::Disabled => $e,
            _ => ::core::unreachable!("ramen::select!: the pattern matched by reference in the poll"),
        }
    }};
}

/// Implementation detail of [`select!`]: a pattern without `mut`, `ref` and
/// `&`, so it can be matched against a reference to the output (to decide
/// whether the branch wins) without moving anything out of it, in every
/// edition. (In a pattern, `&` is always a reference pattern, which never
/// makes a match fail, so removing it keeps the pattern's refutability.)
///
/// A token muncher with an explicit stack for groups: `@c [stack] [done]
/// rest...`; entering `( ... )`, `[ ... ]` or `{ ... }` pushes the outer
/// `done` and `rest`, reaching the end of the group pops them.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_clean {
    (@c $s:tt [$($d:tt)*] mut $($r:tt)*) => {
        $crate::__select_clean!(@c $s [$($d)*] $($r)*)
    };
    (@c $s:tt [$($d:tt)*] ref $($r:tt)*) => {
        $crate::__select_clean!(@c $s [$($d)*] $($r)*)
    };
    (@c $s:tt [$($d:tt)*] & $($r:tt)*) => {
        $crate::__select_clean!(@c $s [$($d)*] $($r)*)
    };
    (@c $s:tt [$($d:tt)*] && $($r:tt)*) => {
        $crate::__select_clean!(@c $s [$($d)*] $($r)*)
    };
    (@c [$($s:tt)*] [$($d:tt)*] ($($g:tt)*) $($r:tt)*) => {
        $crate::__select_clean!(@c [([$($d)*] paren [$($r)*]) $($s)*] [] $($g)*)
    };
    (@c [$($s:tt)*] [$($d:tt)*] [$($g:tt)*] $($r:tt)*) => {
        $crate::__select_clean!(@c [([$($d)*] bracket [$($r)*]) $($s)*] [] $($g)*)
    };
    (@c [$($s:tt)*] [$($d:tt)*] {$($g:tt)*} $($r:tt)*) => {
        $crate::__select_clean!(@c [([$($d)*] brace [$($r)*]) $($s)*] [] $($g)*)
    };
    (@c $s:tt [$($d:tt)*] $t:tt $($r:tt)*) => {
        $crate::__select_clean!(@c $s [$($d)* $t] $($r)*)
    };
    (@c [([$($pd:tt)*] paren [$($pr:tt)*]) $($s:tt)*] [$($d:tt)*]) => {
        $crate::__select_clean!(@c [$($s)*] [$($pd)* ($($d)*)] $($pr)*)
    };
    (@c [([$($pd:tt)*] bracket [$($pr:tt)*]) $($s:tt)*] [$($d:tt)*]) => {
        $crate::__select_clean!(@c [$($s)*] [$($pd)* [$($d)*]] $($pr)*)
    };
    (@c [([$($pd:tt)*] brace [$($pr:tt)*]) $($s:tt)*] [$($d:tt)*]) => {
        $crate::__select_clean!(@c [$($s)*] [$($pd)* {$($d)*}] $($pr)*)
    };
    (@c [] [$($d:tt)*]) => {
        $($d)*
    };
    ($($p:tt)*) => {
        $crate::__select_clean!(@c [] [] $($p)*)
    };
}

thread_local! {
    /// The xorshift state of this thread; 0 until first used (a `const`
    /// initializer: no lazy-init check on every access).
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A pseudo-random branch index in `0..n` for [`select!`]'s start.
///
/// xorshift64* (Marsaglia, Vigna): three shifts and a multiply, no lock, no
/// syscall. Not cryptographic; it only needs to spread the start evenly.
#[doc(hidden)]
pub fn select_start(n: u32) -> u32 {
    RNG.with(|rng| {
        let mut x = rng.get();
        if x == 0 {
            // Seeded once per thread from std's per-process random hasher
            // keys; never 0 (xorshift would stay at 0).
            x = RandomState::new().hash_one(0x5eed_u64) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        rng.set(x);
        let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // The high 32 bits, scaled to `0..n` without a division.
        (((r >> 32) * u64::from(n)) >> 32) as u32
    })
}
