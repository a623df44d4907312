//! join!, select, select_all and JoinSet.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ramen::{Either, JoinSet, select, select_all};

#[test]
fn join_returns_outputs_in_argument_order() {
    let out = ramen::block_on(async {
        let log = RefCell::new(Vec::new());
        let out = ramen::join!(
            async {
                log.borrow_mut().push("a start");
                ramen::yield_now().await;
                log.borrow_mut().push("a end");
                1
            },
            async {
                log.borrow_mut().push("b start");
                "b"
            },
        );
        // Concurrent: b ran while a was waiting.
        assert_eq!(*log.borrow(), ["a start", "b start", "a end"]);
        out
    });
    assert_eq!(out, (1, "b"));
}

#[test]
fn join_one_and_eight() {
    ramen::block_on(async {
        let (one,) = ramen::join!(async { 1 });
        assert_eq!(one, 1);
        let eight = ramen::join!(
            async { 1 },
            async { 2u8 },
            async { 3u16 },
            async { "4" },
            async { 5i64 },
            async {
                ramen::yield_now().await;
                6
            },
            async { '7' },
            async { 8.0 },
        );
        assert_eq!(eight, (1, 2, 3, "4", 5, 6, '7', 8.0));
    });
}

#[test]
fn select_returns_first_and_drops_the_loser() {
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    ramen::block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let flag = Flag(dropped.clone());
        let slow = async move {
            let _flag = flag;
            std::future::pending::<u8>().await
        };
        let fast = async {
            ramen::yield_now().await;
            "fast"
        };
        let mut sel = std::pin::pin!(select(slow, fast));
        let out = (&mut sel).await;
        assert_eq!(out, Either::Right("fast"));
        assert!(dropped.get(), "loser dropped before the Select itself");
    });
}

#[test]
fn select_is_biased_to_the_first() {
    ramen::block_on(async {
        let out = select(async { 1 }, async { 2 }).await;
        assert_eq!(out, Either::Left(1));
    });
}

#[test]
fn select_all_gives_output_and_index() {
    ramen::block_on(async {
        let futs = (0..4u32).map(|i| async move {
            for _ in 0..(4 - i) {
                ramen::yield_now().await;
            }
            i * 10
        });
        assert_eq!(select_all(futs).await, (30, 3));
    });
}

#[test]
#[should_panic(expected = "no futures")]
fn select_all_of_nothing_panics() {
    drop(select_all(Vec::<std::future::Ready<()>>::new()));
}

#[test]
fn join_set_in_completion_order() {
    let order = ramen::block_on(async {
        let mut set = JoinSet::new();
        for i in 0..5u32 {
            set.spawn(async move {
                for _ in 0..(5 - i) {
                    ramen::yield_now().await;
                }
                i
            });
        }
        assert_eq!(set.len(), 5);
        let mut order = Vec::new();
        while let Some(r) = set.join_next().await {
            order.push(r.unwrap());
        }
        assert!(set.is_empty());
        order
    });
    assert_eq!(order, [4, 3, 2, 1, 0]);
}

#[test]
fn join_set_reports_panics_and_aborts() {
    ramen::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("boom") });
        let r = set.join_next().await.unwrap();
        assert!(r.unwrap_err().is_panic());
        set.spawn(std::future::pending::<()>());
        set.spawn(std::future::pending::<()>());
        set.abort_all();
        let mut cancelled = 0;
        while let Some(r) = set.join_next().await {
            assert!(r.unwrap_err().is_cancelled());
            cancelled += 1;
        }
        assert_eq!(cancelled, 2);
    });
}

#[test]
fn join_set_aborts_on_drop() {
    struct Flag(Rc<Cell<u32>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    ramen::block_on(async {
        let dropped = Rc::new(Cell::new(0));
        let mut set = JoinSet::new();
        for _ in 0..3 {
            let flag = Flag(dropped.clone());
            set.spawn(async move {
                let _flag = flag;
                std::future::pending::<()>().await
            });
        }
        ramen::yield_now().await; // they are running now
        assert_eq!(dropped.get(), 0);
        drop(set);
        ramen::yield_now().await;
        assert_eq!(dropped.get(), 3, "every task's future was dropped");
    });
}

#[test]
fn join_set_empty_returns_none() {
    ramen::block_on(async {
        let mut set = JoinSet::<()>::new();
        assert!(set.join_next().await.is_none());
    });
}
