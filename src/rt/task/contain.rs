//! Panics nobody will see: a task's output (or a panic payload) whose
//! destructor panics, or a panic in a task whose `JoinHandle` is gone.
//!
//! **Naive approach:** let them unwind. **Its problem:** they would unwind
//! into the event loop (taking every other task down) or into whoever dropped
//! the handle. **What this file does:** catch them and print one line on
//! stderr, as tokio does for a detached task's panic.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};

/// Who a task is, for people: printed in panics, warnings and traces.
pub(crate) struct TaskMeta<'a> {
    pub(crate) id: u64,
    pub(crate) name: Option<&'a str>,
    pub(crate) location: &'static Location<'static>,
}

impl fmt::Display for TaskMeta<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = self.name {
            write!(f, " '{name}'")?;
        }
        write!(f, " (spawned at {})", self.location)
    }
}

/// Drops `value` (a task's output or a panic payload), catching a panicking
/// destructor so that it never unwinds into the loop or into whoever let go
/// of the value; such a panic is reported on stderr like other contained ones.
pub(crate) fn drop_contained<V>(meta: &TaskMeta<'_>, value: V, what: &str) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        let message = panic_message(&*payload).to_owned();
        report_contained_panic(meta, &format!("in {what}"), &message);
        // The payload's own destructor may panic too: then it is leaked.
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

/// One line on stderr for a panic that was caught and will not reach a
/// `JoinHandle`: `how` says where it happened and why nobody sees it.
pub(crate) fn report_contained_panic(meta: &TaskMeta<'_>, how: &str, message: &str) {
    eprintln!("ramen: {meta} panicked {how}: {message}");
}

/// The text of a panic payload, if it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}
