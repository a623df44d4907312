//! The process-wide half of `ramen::signal`: the handler, the self-pipe, and
//! the per-runtime driver that turns the pipe into wakes (`hub.rs` holds
//! the generations and listeners every runtime shares).
//!
//! **Naive approach:** one pipe per `Signal`, written by the handler. **Its
//! problem:** a handler is process-wide (one per signal number), so it would
//! have to walk a list of pipes — and a list that other threads grow and
//! shrink is exactly what a handler may not touch (no locks, no allocation).
//!
//! **What this file does:** the handler touches two things only: one atomic
//! flag per signal number (`pending`) and one pipe, created once and never
//! closed. Everything else happens in ordinary code, in whichever runtime
//! notices first:
//!
//! ```text
//!  handler (any thread):  SLOTS[n].pending = true; write(pipe, 1 byte)
//!  any runtime's reactor: pipe readable → wake_all() (the driver's waker)
//!  Signal::poll_recv:     dispatch(): for each pending n:
//!                            pending = false; generation += 1; wake n's listeners
//!                         generation != seen → Ready (seen = generation)
//! ```
//!
//! A listener compares the generation with the one it last saw, so every
//! `Signal` in every runtime sees a delivery, and deliveries that arrive
//! while nobody polls collapse into one (the generation moved; by how much
//! does not matter). The pipe's read end is registered with every runtime
//! that has a live `Signal` (one epoll/kqueue registration each, no extra
//! fd); whichever runtime drains it runs `dispatch`, which wakes listeners
//! in other runtimes through their (thread-safe) wakers.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use super::hub::Hub;
use crate::context;
use crate::io::fd::IoSource;
use crate::reactor::{POLL_SLOT, READABLE};

/// Signal numbers 1..SLOTS are accepted (Linux has 64, macOS 31).
pub(crate) const SLOTS: usize = 65;

/// Per signal number: what the handler sets. (Generations and listeners
/// live in the `Hub`, touched by ordinary code only.)
struct Slot {
    /// Set by the handler, cleared by `dispatch`.
    pending: AtomicBool,
    /// The handler is installed (never uninstalled).
    installed: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // used only as an array initializer
const SLOT: Slot = Slot {
    pending: AtomicBool::new(false),
    installed: AtomicBool::new(false),
};
static TABLE: [Slot; SLOTS] = [SLOT; SLOTS];

/// The self-pipe, `-1` until the first handler is installed; never closed.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
static READ_FD: AtomicI32 = AtomicI32::new(-1);
/// Serializes pipe creation and `sigaction`.
static SETUP: Mutex<()> = Mutex::new(());

/// Generations and listeners (`hub.rs`); never touched by the handler.
pub(crate) fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| Hub::new(SLOTS))
}

/// This thread's `errno`. (`std::io::Error::last_os_error` can read it, but
/// nothing in std can *restore* it, which the handler must do.)
#[cfg(any(target_os = "linux", target_os = "android"))]
fn errno_ptr() -> *mut libc::c_int {
    // SAFETY: always safe to call; returns this thread's errno slot.
    unsafe { libc::__errno_location() }
}
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
fn errno_ptr() -> *mut libc::c_int {
    // SAFETY: always safe to call; returns this thread's errno slot.
    unsafe { libc::__error() }
}
#[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
fn errno_ptr() -> *mut libc::c_int {
    // SAFETY: always safe to call; returns this thread's errno slot.
    unsafe { libc::__errno() }
}

/// The handler for every signal ramen listens to.
///
/// # Async-signal-safety
/// It may run on any thread, between any two instructions, even inside
/// `malloc` or while a lock is held. So it only:
/// - stores to a lock-free atomic in a `static` (no allocation, no lock;
///   `signum` is range-checked, the table exists for the whole program);
/// - loads the pipe's write end from an atomic: set before the first
///   `sigaction`, never closed, so the fd cannot be a stranger's;
/// - calls `write(2)`, which POSIX lists as async-signal-safe. The pipe is
///   non-blocking: when it is full (a storm), `EAGAIN` drops the byte, and the
///   bytes already there are wake-up enough;
/// - for `SIGCHLD` only, sweeps the orphan table (`process/orphans.rs`):
///   atomics and `waitpid(pid, WNOHANG)` on pids of our own dropped
///   children, also async-signal-safe;
/// - saves `errno` first and restores it last, so code interrupted between
///   a failed syscall and its `errno` check reads its own error, not ours.
///
/// No waker is woken here: waking takes locks and may allocate. The byte
/// wakes the reactor, and ordinary code does the rest (`dispatch`).
extern "C" fn handler(signum: libc::c_int) {
    let errno = errno_ptr();
    // SAFETY: `errno` points to this thread's errno, valid for its lifetime.
    let saved = unsafe { *errno };
    if let Some(slot) = usize::try_from(signum).ok().and_then(|n| TABLE.get(n)) {
        slot.pending.store(true, Ordering::SeqCst);
    }
    if signum == libc::SIGCHLD {
        crate::process::sweep_orphans_in_handler();
    }
    let fd = WRITE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; `fd` is the never-closed
        // write end; the buffer is a live one-byte local.
        unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    }
    // SAFETY: as above.
    unsafe { *errno = saved };
}

/// Creates the non-blocking, close-on-exec self-pipe (once per process).
fn ensure_pipe() -> io::Result<()> {
    if WRITE_FD.load(Ordering::SeqCst) >= 0 {
        return Ok(());
    }
    let mut fds = [-1 as RawFd; 2];
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        // macOS has no pipe2: pipe, then set the flags (we hold SETUP, and
        // no handler is installed yet, so nothing can use the fds meanwhile).
        // SAFETY: `fds` is a valid array of two ints for pipe to fill.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: fcntl on fds we just created, with plain flag values.
            let ok = unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0
                    && libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) == 0
            };
            if !ok {
                let e = io::Error::last_os_error();
                // SAFETY: both fds are ours and unused; close them on failure.
                unsafe { libc::close(fds[0]) };
                // SAFETY: as above.
                unsafe { libc::close(fds[1]) };
                return Err(e);
            }
        }
    }
    READ_FD.store(fds[0], Ordering::SeqCst);
    WRITE_FD.store(fds[1], Ordering::SeqCst);
    Ok(())
}

/// Installs the handler for `signum` once per process (never uninstalled,
/// as in tokio: another listener may come later, and restoring the old
/// action could race with a delivery). `signum` is already validated.
pub(crate) fn ensure_installed(signum: usize) -> io::Result<()> {
    let slot = &TABLE[signum];
    if slot.installed.load(Ordering::SeqCst) {
        return Ok(());
    }
    let _setup = SETUP.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.installed.load(Ordering::SeqCst) {
        return Ok(());
    }
    ensure_pipe().map_err(|e| io::Error::new(e.kind(), format!("signal: self-pipe: {e}")))?;
    // SAFETY: an all-zero `sigaction` is a valid value (empty mask, no
    // flags); the fields that matter are set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SA_RESTART: blocking syscalls on other threads (the blocking pool's
    // file reads) restart instead of failing with EINTR. No SA_RESETHAND:
    // the handler stays for the life of the process.
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action` is initialized; `handler` only does async-signal-safe
    // work (see its docs); a null old-action pointer is allowed.
    if unsafe { libc::sigaction(signum as libc::c_int, &action, std::ptr::null_mut()) } != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("signal: sigaction({signum}): {e}"),
        ));
    }
    slot.installed.store(true, Ordering::SeqCst);
    Ok(())
}

/// Turns pending deliveries into generations and wakes their listeners.
/// Called from ordinary code only (never from the handler).
pub(crate) fn dispatch() {
    let mut fired = 0u128;
    for (n, slot) in TABLE.iter().enumerate() {
        if slot.pending.load(Ordering::SeqCst) && slot.pending.swap(false, Ordering::SeqCst) {
            fired |= 1 << n;
        }
    }
    if fired == 0 {
        return;
    }
    hub().fire(fired);
    if fired & (1 << libc::SIGCHLD) != 0 {
        crate::process::on_sigchld();
    }
}

/// The global read end, as an object the reactor can hold. It does not
/// close the fd on drop: the pipe lives as long as the process.
struct PipeRead(RawFd);

impl AsRawFd for PipeRead {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The pipe's registration with one runtime's reactor, shared by every
/// `Signal` of that runtime. Its waker is always the same (`wake_all`), so
/// a `Signal` dropped while "owning" the pipe's waker slot cannot leave the
/// others unwoken.
pub(crate) struct Driver {
    io: IoSource<PipeRead>,
    waker: Waker,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Driver")
    }
}

struct WakeAll;
impl Wake for WakeAll {
    fn wake(self: Arc<Self>) {
        hub().wake_all();
    }
}

std::thread_local! {
    /// This thread's drivers, one per runtime (by id) with a live `Signal`
    /// (usually one entry; several when runtimes on this thread take turns).
    static DRIVERS: RefCell<Vec<(usize, Weak<Driver>)>> = const { RefCell::new(Vec::new()) };
}

impl Driver {
    /// The current runtime's driver, created on first use. The pipe must
    /// exist (a handler was installed first).
    pub(crate) fn current() -> io::Result<Rc<Driver>> {
        let id = context::current_id();
        if id == 0 {
            return Err(io::Error::other(
                "ramen::signal: must be called inside ramen::block_on \
                 (no ramen runtime is running on this thread)",
            ));
        }
        let found = DRIVERS.with_borrow_mut(|drivers| {
            drivers.retain(|(_, weak)| weak.strong_count() > 0);
            drivers
                .iter()
                .find(|(rt, _)| *rt == id)
                .and_then(|(_, weak)| weak.upgrade())
        });
        if let Some(d) = found {
            return Ok(d);
        }
        let fd = READ_FD.load(Ordering::SeqCst);
        debug_assert!(fd >= 0, "the pipe is created before the driver");
        let driver = Rc::new(Driver {
            io: IoSource::new(PipeRead(fd))?,
            waker: Waker::from(Arc::new(WakeAll)),
        });
        DRIVERS.with_borrow_mut(|d| d.push((id, Rc::downgrade(&driver))));
        Ok(driver)
    }

    /// Drains the pipe and re-arms the reactor's interest in it (with the
    /// wake-all waker). The bytes carry nothing: `pending` says which signal.
    pub(crate) fn drain(&self) {
        let mut cx = Context::from_waker(&self.waker);
        let mut buf = [0u8; 64];
        loop {
            // The driver is the pipe's one waiter: the shared slot.
            match self.io.poll_ready(READABLE, POLL_SLOT, &mut cx) {
                Poll::Pending => return, // armed: the next byte wakes every listener
                // Only its own runtime drives it (see `Driver`): cannot fail.
                Poll::Ready(Err(_)) => return,
                Poll::Ready(Ok(())) => {}
            }
            // SAFETY: the fd is the never-closed read end; `buf` is a live
            // local array of `buf.len()` bytes.
            let n = unsafe { libc::read(self.io.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                continue;
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                _ if n == 0 => return, // impossible: the write end is never closed
                io::ErrorKind::WouldBlock => self.io.clear_readiness(READABLE),
                io::ErrorKind::Interrupted => {}
                _ => return,
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.io.drop_waiter(READABLE, POLL_SLOT);
    }
}

/// One poll of a listener: dispatch what is pending, compare generations,
/// and if nothing moved park the waker, drain the pipe and look again.
pub(crate) fn poll_listener(
    signum: usize,
    key: usize,
    seen: &mut usize,
    driver: &Driver,
    cx: &Context<'_>,
) -> Poll<()> {
    dispatch();
    hub().poll(signum, key, seen, cx, || {
        driver.drain();
        dispatch();
    })
}
