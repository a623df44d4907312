//! `futures::task::LocalSpawnExt` works through ramen's `Spawner`.

use futures::task::{LocalSpawnExt, SpawnExt};
use std::cell::Cell;
use std::rc::Rc;

#[test]
fn local_spawn_ext_runs_tasks() {
    let count = ramen::block_on(async {
        let spawner = ramen::spawner();
        let count = Rc::new(Cell::new(0));
        for _ in 0..10 {
            let c = count.clone();
            spawner
                .spawn_local(async move { c.set(c.get() + 1) })
                .unwrap();
        }
        let handle = spawner.spawn_local_with_handle(async { 5 }).unwrap();
        assert_eq!(handle.await, 5);
        spawner.spawn(async {}).unwrap();
        ramen::yield_now().await;
        count.get()
    });
    assert_eq!(count, 10);
}

#[test]
fn spawner_after_runtime_is_gone_reports_shutdown() {
    let rt = ramen::Runtime::new().unwrap();
    let spawner = rt.spawner();
    drop(rt);
    let err = spawner.spawn_local(async {}).unwrap_err();
    assert!(err.is_shutdown());
}
