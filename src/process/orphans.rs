//! Children whose `Child` was dropped while they ran: reaped, never leaked
//! as zombies, never confused with someone else's children.
//!
//! **Naive approach:** forget them. **Its problem:** a child that exits
//! stays a zombie (a process-table entry holding its exit status) until its
//! parent waits for it — for a server that drops children, until it exits.
//! **Second naive approach:** `waitpid(-1)` now and then. **Its problem:** it
//! reaps children the program started elsewhere and is about to `wait` for.
//!
//! **What this file does:** the orphan's pid goes into a fixed table of
//! atomic slots, and ramen's `SIGCHLD` handler is installed. On every
//! `SIGCHLD` the handler itself calls `waitpid(pid, WNOHANG)` on each pid in
//! the table (atomics and `waitpid` are async-signal-safe), so an orphan is
//! reaped the moment it dies, even in a program that never touches ramen
//! again. Ordinary code (every `spawn`, every `Child` drop, every reaped
//! `wait`) sweeps the table too. Each sweep *claims* a slot (pid → `CLAIMED`)
//! before its `waitpid`, so the handler and ordinary code never both wait
//! for one pid: after one reaps it, the pid may be reused by a new child of
//! ours that nobody must touch. If the table is full, the child goes to a
//! locked overflow list that only ordinary code sweeps.
//!
//! Slot states: `EMPTY` → (adopt) pid → (sweep claims) `CLAIMED` → (exited or
//! gone) `EMPTY`, or (still running) back to pid.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};

const SLOTS: usize = 128;
const EMPTY: i32 = 0;
const CLAIMED: i32 = -1;

#[allow(clippy::declare_interior_mutable_const)] // only an array initializer
const FREE: AtomicI32 = AtomicI32::new(EMPTY);
static PIDS: [AtomicI32; SLOTS] = [FREE; SLOTS];

/// Orphans that found no free slot; swept by ordinary code only.
static OVERFLOW: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Hands a still-running child to the orphan table.
pub(crate) fn adopt(child: std::process::Child) {
    let installed = crate::signal::ensure_installed(libc::SIGCHLD as usize).is_ok();
    if let (true, Ok(pid)) = (installed, i32::try_from(child.id())) {
        for slot in &PIDS {
            if slot
                .compare_exchange(EMPTY, pid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                // std's `Child` has no pid-related drop work: forgetting it
                // is fine now that the table owns the pid. Sweep once: it
                // may have died before the slot held its pid.
                drop(child);
                sweep_slots();
                return;
            }
        }
    }
    OVERFLOW
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(child);
}

/// Reaps every orphan that has exited (ordinary code).
pub(crate) fn reap_orphans() {
    sweep_slots();
    let mut overflow = OVERFLOW.lock().unwrap_or_else(PoisonError::into_inner);
    // An error (ECHILD: reaped elsewhere) also means "gone".
    overflow.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
}

/// `waitpid(pid, WNOHANG)` for each pid in the table.
///
/// Async-signal-safe (it runs inside the `SIGCHLD` handler): only atomic
/// operations on a `static` and `waitpid`, which POSIX lists as
/// async-signal-safe; no allocation, no lock. `errno` is read through a
/// plain `i32` (`std::io::Error`'s OS variant allocates nothing) and the
/// handler restores it afterwards.
pub(crate) fn sweep_slots() {
    for slot in &PIDS {
        let pid = slot.load(Ordering::SeqCst);
        if pid <= 0 {
            continue;
        }
        if slot
            .compare_exchange(pid, CLAIMED, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            continue; // the other sweeper has it
        }
        let mut status = 0;
        // SAFETY: waitpid on one specific pid (a child of ours: the table
        // only holds pids of children we spawned and did not reap) with a
        // valid out-pointer to a local.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        let gone = r == pid
            || (r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD));
        // Only the claimer leaves `CLAIMED` (no assert here: a panic inside
        // a signal handler would be worse than the bug it reports).
        slot.store(if gone { EMPTY } else { pid }, Ordering::SeqCst);
    }
}
