//! `ramen::select!`: fairness of the random start, `biased;`, `if`
//! preconditions (evaluated first, disabled futures never polled), `else`,
//! failed patterns, losers dropped before the handler, control flow in
//! handlers.

use std::cell::{Cell, RefCell};
use std::future::{Future, pending, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A future that fails the test if it is ever polled.
struct MustNotPoll;
impl Future for MustNotPoll {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        panic!("a disabled branch was polled")
    }
}

/// Never completes; counts its drops.
struct CountDrop(Rc<Cell<u32>>);
impl Future for CountDrop {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn random_start_is_fair_between_two_ready_branches() {
    let (a, b) = ramen::block_on(async {
        let (mut a, mut b) = (0, 0);
        for _ in 0..1000 {
            ramen::select! {
                _ = ready(()) => a += 1,
                _ = ready(()) => b += 1,
            }
        }
        (a, b)
    });
    assert_eq!(a + b, 1000);
    assert!(a >= 100 && b >= 100, "unfair start: {a} vs {b}");
}

#[test]
fn always_ready_branch_does_not_starve_a_channel() {
    // `unconstrained`: this is about `select!`'s random start alone. (Under
    // the cooperative budget, `recv` would also return `Pending` once the
    // task has received 128 messages in one poll, as in tokio.)
    let (ticks, msgs) = ramen::block_on(ramen::task::unconstrained(async {
        let (tx, mut rx) = ramen::sync::mpsc::channel(1000);
        for i in 0..1000 {
            tx.send(i).await.unwrap();
        }
        let (mut ticks, mut msgs) = (0, Vec::new());
        for _ in 0..1000 {
            ramen::select! {
                Some(m) = rx.recv() => msgs.push(m),
                () = ready(()) => ticks += 1,
            }
        }
        (ticks, msgs)
    }));
    assert!(
        msgs.len() >= 100 && ticks >= 100,
        "{} msgs, {ticks} ticks",
        msgs.len()
    );
    assert!(msgs.windows(2).all(|w| w[0] + 1 == w[1]), "FIFO, none lost");
}

#[test]
fn biased_polls_in_written_order() {
    ramen::block_on(async {
        for _ in 0..1000 {
            let won = ramen::select! {
                biased;
                v = ready(1) => v,
                v = ready(2) => v,
            };
            assert_eq!(won, 1);
        }
        // A pending first branch lets the second win.
        let won = ramen::select! {
            biased;
            v = pending::<u8>() => v,
            v = ready(2) => v,
        };
        assert_eq!(won, 2);
    });
}

#[test]
fn preconditions_first_then_futures_and_disabled_ones_are_never_polled() {
    let log = RefCell::new(Vec::new());
    let cond = |name: &'static str, value: bool| {
        log.borrow_mut().push(name);
        value
    };
    let fut = |name: &'static str| {
        log.borrow_mut().push(name);
        MustNotPoll
    };
    let got = ramen::block_on(async {
        ramen::select! {
            v = fut("f0"), if cond("c0", false) => v,
            v = async { log.borrow_mut().push("f1 polled"); 7 }, if cond("c1", true) => v,
            v = fut("f2"), if cond("c2", false) => v,
        }
    });
    assert_eq!(got, 7);
    assert_eq!(*log.borrow(), ["c0", "c1", "c2", "f0", "f2", "f1 polled"]);
}

#[test]
fn else_when_all_branches_are_disabled() {
    let got = ramen::block_on(async {
        ramen::select! {
            v = MustNotPoll, if false => v,
            v = MustNotPoll, if 1 + 1 == 3 => v,
            else => 99,
        }
    });
    assert_eq!(got, 99);
}

#[test]
fn failed_pattern_disables_only_that_branch() {
    let got = ramen::block_on(async {
        ramen::select! {
            biased;
            Some(v) = ready(None::<u32>) => v,
            Ok(v) = ready(Err::<u32, ()>(())) => v,
            v = async { ramen::yield_now().await; 5 } => v + 1,
        }
    });
    assert_eq!(got, 6);
    let got = ramen::block_on(async {
        ramen::select! {
            Some(v) = ready(None::<u32>) => v,
            Some(v) = ready(None::<u32>) => v,
            else => 0,
        }
    });
    assert_eq!(got, 0, "every pattern failed: else");
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn no_branch_left_and_no_else_panics() {
    ramen::block_on(async {
        ramen::select! {
            Some(v) = ready(None::<u32>) => v,
            v = MustNotPoll, if false => v,
        }
    });
}

#[test]
fn losers_are_dropped_before_the_handler_runs() {
    let drops = Rc::new(Cell::new(0));
    let seen_in_handler = ramen::block_on(async {
        ramen::select! {
            _ = CountDrop(drops.clone()) => unreachable!(),
            _ = async { ramen::time::sleep(Duration::from_millis(5)).await } => drops.get(),
            _ = CountDrop(drops.clone()) => unreachable!(),
        }
    });
    assert_eq!(seen_in_handler, 2, "both losers dropped before the handler");
    assert_eq!(drops.get(), 2, "and exactly once");
}

#[test]
fn handlers_control_the_callers_loop_and_function() {
    async fn first_even(values: Vec<u32>) -> Result<u32, String> {
        let mut it = values.into_iter();
        loop {
            ramen::select! {
                Some(v) = ready(it.next()) => {
                    if v % 2 == 1 {
                        continue;
                    }
                    if v == 0 {
                        return Err("zero".to_string());
                    }
                    break Ok(v);
                }
                else => break Err("none".to_string()),
            }
        }
    }
    ramen::block_on(async {
        assert_eq!(first_even(vec![1, 3, 4, 6]).await, Ok(4));
        assert_eq!(first_even(vec![1, 0]).await, Err("zero".into()));
        assert_eq!(first_even(vec![1]).await, Err("none".into()));
    });
}

#[test]
fn mut_and_nested_patterns_bind_by_value() {
    let got = ramen::block_on(async {
        ramen::select! {
            (Some(mut v), ref tag) = ready((Some(vec![1]), String::from("t"))) => {
                v.push(2);
                (v, tag.clone())
            }
        }
    });
    assert_eq!(got, (vec![1, 2], "t".to_string()));
}

#[derive(Debug, PartialEq)]
enum Msg {
    Data { id: u32, payload: Option<Vec<u8>> },
    Quit,
}

#[test]
fn long_and_alternative_patterns() {
    let got = ramen::block_on(async {
        let mut seen = Vec::new();
        for msg in [
            Msg::Quit,
            Msg::Data {
                id: 3,
                payload: Some(vec![9]),
            },
        ] {
            ramen::select! {
                biased;
                Msg::Data { id, payload: Some(mut p) } = ready(msg) => {
                    p.push(id as u8);
                    seen.push(p);
                }
                else => seen.push(vec![]),
            }
        }
        let x = 7u8;
        let deref = ramen::select! {
            Some(&y) = ready(Some(&x)) => y,
        };
        assert_eq!(deref, 7, "a `&` pattern works in edition 2024 too");
        let alt = ramen::select! {
            1 | 2 = ready(2) => "one or two",
            else => "other",
        };
        (seen, alt)
    });
    assert_eq!(got, (vec![vec![], vec![9, 3]], "one or two"));
}

#[test]
fn waits_for_a_message_from_another_task() {
    ramen::block_on(async {
        let (tx, mut rx) = ramen::sync::mpsc::channel::<&str>(1);
        let _sender = ramen::spawn(async move {
            ramen::time::sleep(Duration::from_millis(10)).await;
            tx.send("late").await.unwrap();
        });
        let got = ramen::select! {
            Some(m) = rx.recv() => m,
            _ = ramen::time::sleep(Duration::from_secs(30)) => "timeout",
        };
        assert_eq!(got, "late");
    });
}
