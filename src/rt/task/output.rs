//! The two ways an outcome leaves a task block: the `JoinHandle` reads it
//! ([`read_output`]) or is dropped without reading it ([`drop_output`]).
//! Both go by the stage's tag (`raw.rs`, "The stage"), never by guessing.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::Poll;

use super::contain::drop_contained;
use super::join_error::JoinError;
use super::raw::{Header, StageTag, TaskName, block};

/// `TaskVTable::read_output`: the handle takes the output.
///
/// # Safety
/// Runtime thread, reference held, state `COMPLETE`, and `dst` points to a
/// `Poll<Result<F::Output, JoinError>>` (the handle's `T` is `F::Output`).
pub(super) unsafe fn read_output<F: Future + 'static, N: TaskName>(
    ptr: NonNull<Header>,
    dst: *mut (),
) {
    // SAFETY: the caller's contract.
    let task = unsafe { block::<F, N>(ptr) };
    let local = &task.common.local;
    let tag = local.stage.replace(StageTag::Consumed);
    // SAFETY: COMPLETE: the stage is the handle's; the tag says which
    // member is live, and it is now `Consumed`, so it is moved out once.
    let result = unsafe {
        let stage = &mut *task.stage.get();
        match tag {
            StageTag::Output => Ok(ManuallyDrop::take(&mut stage.output)),
            StageTag::Failed => {
                Err(ManuallyDrop::take(&mut stage.failure).into_error(task.common.header.id))
            }
            StageTag::Future | StageTag::Consumed => {
                local.stage.set(tag);
                panic!("ramen: JoinHandle polled after it returned Ready")
            }
        }
    };
    // SAFETY: the caller's contract on `dst`.
    unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(result) };
}

/// `TaskVTable::drop_output`: the handle is dropped without reading. Does
/// nothing unless the stage holds an outcome (its tag says so): the future
/// itself, even one being polled right now, is never touched.
///
/// # Safety
/// Runtime thread, reference held.
pub(super) unsafe fn drop_output<F: Future + 'static, N: TaskName>(ptr: NonNull<Header>) {
    // SAFETY: the caller's contract.
    let task = unsafe { block::<F, N>(ptr) };
    let local = &task.common.local;
    let meta = task.common.meta(task.name.get());
    let what = "its output's destructor (dropped with its JoinHandle)";
    match local.stage.get() {
        StageTag::Output => {
            local.stage.set(StageTag::Consumed);
            // SAFETY: an outcome is the handle's once `finish` stored it
            // (the future is gone); the tag said `output` is live and is
            // now `Consumed`, so it is moved out once.
            let output = unsafe { ManuallyDrop::take(&mut (*task.stage.get()).output) };
            drop_contained(&meta, output, what);
        }
        StageTag::Failed => {
            local.stage.set(StageTag::Consumed);
            // SAFETY: as above, for `failure`.
            let failure = unsafe { ManuallyDrop::take(&mut (*task.stage.get()).failure) };
            drop_contained(&meta, failure, what);
        }
        StageTag::Future | StageTag::Consumed => {}
    }
}
