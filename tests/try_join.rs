//! `try_join!` (first `Err` returns at once, the rest dropped) and `join!`
//! with zero arguments and `IntoFuture` arguments.

use std::cell::{Cell, RefCell};
use std::future::{Future, IntoFuture, Ready, pending, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Never completes; counts its drops.
struct CountDrop(Rc<Cell<u32>>);
impl Future for CountDrop {
    type Output = Result<u8, &'static str>;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn all_ok_gives_the_tuple_in_argument_order() {
    let log = RefCell::new(Vec::new());
    let got: Result<(u32, &str, ()), String> = ramen::block_on(async {
        ramen::try_join!(
            async {
                ramen::time::sleep(Duration::from_millis(20)).await;
                log.borrow_mut().push("slow");
                Ok(1)
            },
            async {
                log.borrow_mut().push("fast");
                Ok("two")
            },
            async { Ok(()) },
        )
    });
    assert_eq!(got, Ok((1, "two", ())));
    assert_eq!(*log.borrow(), ["fast", "slow"], "they ran concurrently");
}

#[test]
fn first_error_returns_at_once_and_drops_the_others() {
    let drops = Rc::new(Cell::new(0));
    let (got, drops_after) = ramen::block_on(async {
        let got = ramen::try_join!(
            CountDrop(drops.clone()),
            async {
                ramen::yield_now().await;
                Err::<u8, _>("boom")
            },
            CountDrop(drops.clone()),
            async {
                ramen::time::sleep(Duration::from_millis(10)).await;
                Err::<(), _>("later")
            },
        );
        (got, drops.get())
    });
    assert_eq!(got, Err("boom"));
    assert_eq!(drops_after, 2, "the pending futures were dropped on return");
}

#[test]
fn error_wins_even_if_others_never_finish() {
    let got: Result<((), u8), i32> = ramen::block_on(async {
        ramen::try_join!(pending::<Result<(), i32>>(), async { Err(-1) })
    });
    assert_eq!(got, Err(-1));
}

#[test]
fn zero_arguments() {
    ramen::block_on(async {
        let unit: () = ramen::join!();
        assert_eq!(unit, ());
        let ok: Result<(), String> = ramen::try_join!();
        assert_eq!(ok, Ok(()));
    });
}

/// A value that is not a future but turns into one.
struct Later(u32);
impl IntoFuture for Later {
    type Output = u32;
    type IntoFuture = Ready<u32>;
    fn into_future(self) -> Ready<u32> {
        ready(self.0 * 10)
    }
}

#[test]
fn into_future_arguments() {
    ramen::block_on(async {
        assert_eq!(ramen::join!(Later(1), async { 2 }), (10, 2));
        let r: Result<(u32,), ()> = ramen::try_join!(async { Ok(Later(3).await) });
        assert_eq!(r, Ok((30,)));
        let picked = ramen::select! {
            v = Later(4) => v,
        };
        assert_eq!(picked, 40);
    });
}
