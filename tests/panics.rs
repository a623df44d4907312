//! Panics: a panicking task never takes the runtime down; misuse panics say why.

use std::panic::{AssertUnwindSafe, catch_unwind};

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("?")
    }
}

#[test]
fn panic_goes_to_the_join_handle_and_others_carry_on() {
    ramen::block_on(async {
        let bad = ramen::spawn(async { panic!("boom {}", 42) });
        let good = ramen::spawn(async { 7 });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("boom 42"), "{err}");
        // Send + Sync: it converts into an io::Error like any error.
        let err = std::io::Error::other(err);
        assert!(err.to_string().contains("boom 42"));
        let err = err
            .into_inner()
            .unwrap()
            .downcast::<ramen::JoinError>()
            .unwrap();
        assert_eq!(panic_message(err.into_panic()), "boom 42");
        assert_eq!(good.await.unwrap(), 7);
    });
}

#[test]
fn panic_without_handle_does_not_stop_the_runtime() {
    let v = ramen::block_on(async {
        drop(ramen::spawn(async { panic!("nobody listens") }));
        ramen::yield_now().await;
        ramen::spawn(async { 1 }).await.unwrap()
    });
    assert_eq!(v, 1);
}

#[test]
fn spawn_outside_a_runtime_names_the_fix() {
    let err = catch_unwind(|| drop(ramen::spawn(async {}))).unwrap_err();
    let msg = panic_message(err);
    assert!(msg.contains("ramen::block_on"), "{msg}");
}

#[test]
fn nested_block_on_panics_with_the_reason() {
    let msg = ramen::block_on(async {
        let err = catch_unwind(AssertUnwindSafe(|| ramen::block_on(async {}))).unwrap_err();
        panic_message(err)
    });
    assert!(msg.contains("deadlock"), "{msg}");
    let rt = ramen::Runtime::new().unwrap();
    let msg = rt.block_on(async {
        let inner = ramen::Runtime::new().unwrap();
        let err = catch_unwind(AssertUnwindSafe(|| inner.block_on(async {}))).unwrap_err();
        panic_message(err)
    });
    assert!(msg.contains("deadlock"), "{msg}");
}

#[test]
fn panic_in_block_on_future_propagates_after_cleanup() {
    struct Flag(std::rc::Rc<std::cell::Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = std::rc::Rc::new(std::cell::Cell::new(false));
    let d = dropped.clone();
    let err = catch_unwind(AssertUnwindSafe(|| {
        ramen::block_on(async move {
            let f = Flag(d);
            drop(ramen::spawn(async move {
                let _f = f;
                std::future::pending::<()>().await
            }));
            ramen::yield_now().await;
            panic!("main failed");
        })
    }))
    .unwrap_err();
    assert_eq!(panic_message(err), "main failed");
    assert!(
        dropped.get(),
        "the runtime cleaned up its tasks before the panic reached us"
    );
    // The thread is usable again afterwards.
    assert_eq!(ramen::block_on(async { 3 }), 3);
}
