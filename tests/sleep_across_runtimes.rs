//! A `Sleep` outlives its runtime: polled afterwards in another runtime, it
//! still never completes before its deadline (the first runtime cleared its
//! timer map when dropped). Failed before its fix.

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

/// A `Sleep` registered in a runtime that was then dropped must not
/// complete early when polled in another runtime.
#[test]
fn sleep_outliving_its_runtime_is_never_early() {
    let mut sleep = Box::pin(ramen::time::sleep(Duration::from_millis(300)));
    let first = ramen::Runtime::new().unwrap();
    first.block_on(std::future::poll_fn(|cx| {
        assert!(sleep.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    }));
    drop(first); // clears its timer map
    let second = ramen::Runtime::new().unwrap();
    second.block_on(sleep.as_mut());
    assert!(
        Instant::now() >= sleep.deadline().into_std(),
        "completed before its deadline"
    );
}
