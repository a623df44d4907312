//! [`workers`]: N threads, each running its own ramen runtime (thread per core).
//!
//! **Naive approach:** `std::thread::spawn` N times, each calling
//! `ramen::block_on`, and `join` them. **Its problems:** a worker that panics
//! is only noticed when its turn to be joined comes, while the others run on
//! forever (the `join` of worker 0 may never return); there is no way to ask
//! every worker to stop; and the OS may move the threads between cores,
//! losing the cache locality that thread-per-core is for.
//!
//! **What this file does:** [`Workers::run`] starts the threads in a
//! `std::thread::scope` (so the closure may borrow), optionally pins worker
//! `i` to the `i`-th CPU this process may use (`sched_setaffinity`, Linux
//! only; ignored elsewhere), and runs `f(worker)` on each thread's own
//! runtime. Two signals reach every worker through [`oneshot`] channels,
//! which already carry wakes across threads (and have loom models):
//! - *graceful*: [`StopHandle::stop`] completes every [`Worker::stopped`]
//!   future; each worker's code decides how to drain and return;
//! - *forced*: the first worker that panics makes every other worker's root
//!   future be dropped at its next `.await` (its runtime then cancels its
//!   tasks), and `run` returns [`WorkerError::Panicked`] with that index.
//!
//! Nothing is shared between the runtimes but these signals: a worker's
//! tasks, timers and sockets are its own.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use crate::select::{Either, select};
use crate::sync::oneshot;

/// Starts building a group of `n` worker threads; see [`Workers::run`].
///
/// `workers(0)` is accepted here and reported by `run` as
/// [`WorkerError::NoWorkers`].
///
/// ```
/// let sums = ramen::workers(2)
///     .run(|worker| async move {
///         let h = ramen::spawn(async move { worker.index() * 10 });
///         h.await.unwrap()
///     })
///     .unwrap();
/// assert_eq!(sums, [0, 10]);
/// ```
pub fn workers(n: usize) -> Workers {
    Workers {
        count: n,
        pin: false,
        stop: StopHandle::default(),
    }
}

/// A group of worker threads, each with its own runtime. Built by [`workers`].
#[derive(Debug)]
pub struct Workers {
    count: usize,
    pin: bool,
    stop: StopHandle,
}

impl Workers {
    /// Pins worker `i` to the `i`-th CPU this process may run on (modulo
    /// their number), with `sched_setaffinity`. Linux only: elsewhere it is
    /// ignored. A CPU the kernel refuses is reported on stderr and the
    /// worker runs unpinned. Default: off.
    pub fn pin_to_cores(mut self, pin: bool) -> Workers {
        self.pin = pin;
        self
    }

    /// A handle that asks every worker to stop, from anywhere (see
    /// [`Worker::stopped`]). Take it before calling `run`, which blocks.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Runs `f(worker)` on every worker's runtime and waits until all of them
    /// return; gives their outputs in worker order.
    ///
    /// `f` is called on each worker's thread, inside its runtime, so the
    /// future it returns need not be `Send` (it may hold `Rc`s).
    ///
    /// # Errors
    /// - [`WorkerError::NoWorkers`] for `workers(0)`;
    /// - [`WorkerError::Io`] if a thread or a runtime cannot be created
    ///   (the workers already started are stopped, as for a panic);
    /// - [`WorkerError::Panicked`] with the index of the *first* worker
    ///   that panicked; every other worker is then stopped (its root future
    ///   dropped at its next `.await`, its tasks cancelled).
    pub fn run<F, Fut, T>(self, f: F) -> Result<Vec<T>, WorkerError>
    where
        F: Fn(Worker) -> Fut + Sync,
        Fut: Future<Output = T>,
        T: Send,
    {
        if self.count == 0 {
            return Err(WorkerError::NoWorkers);
        }
        let cpus = if self.pin { allowed_cpus() } else { Vec::new() };
        let mut forced = Vec::with_capacity(self.count);
        let mut workers = Vec::with_capacity(self.count);
        for index in 0..self.count {
            let (forced_tx, forced_rx) = oneshot::channel::<()>();
            forced.push(forced_tx);
            let worker = Worker {
                index,
                count: self.count,
                stopped: Some(self.stop.subscribe()),
                stop: self.stop.clone(),
            };
            workers.push((worker, forced_rx));
        }
        let forced = Mutex::new(forced);
        let failure: Mutex<Option<WorkerError>> = Mutex::new(None);
        // The first failure wins; dropping the forced senders stops the rest.
        let fail = |err: WorkerError| {
            let mut first = failure.lock().unwrap_or_else(PoisonError::into_inner);
            first.get_or_insert(err);
            drop(first);
            forced
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        };
        let outputs: Vec<Option<T>> = std::thread::scope(|scope| {
            let threads: Vec<_> = workers
                .into_iter()
                .map(|(worker, forced_rx)| {
                    let index = worker.index;
                    let cpu = (!cpus.is_empty()).then(|| cpus[index % cpus.len()]);
                    let (f, fail) = (&f, &fail);
                    std::thread::Builder::new()
                        .name(format!("ramen-worker-{index}"))
                        .spawn_scoped(scope, move || {
                            if let Some(cpu) = cpu {
                                pin_current_thread(index, cpu);
                            }
                            let ran =
                                catch_unwind(AssertUnwindSafe(|| run_worker(f, worker, forced_rx)));
                            match ran {
                                Ok(Ok(output)) => output,
                                Ok(Err(e)) => {
                                    fail(WorkerError::Io(e));
                                    None
                                }
                                Err(payload) => {
                                    fail(WorkerError::Panicked { index, payload });
                                    None
                                }
                            }
                        })
                        .map_err(|e| fail(WorkerError::Io(e)))
                        .ok()
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.and_then(|t| t.join().ok().flatten()))
                .collect()
        });
        if let Some(err) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
            return Err(err);
        }
        Ok(outputs
            .into_iter()
            .map(|o| o.expect("no failure, so every worker returned"))
            .collect())
    }
}

/// One worker's life: its own runtime, `f(worker)` raced against the forced
/// stop. `Ok(None)` if it was stopped.
fn run_worker<F, Fut, T>(
    f: &F,
    worker: Worker,
    forced: oneshot::Receiver<()>,
) -> io::Result<Option<T>>
where
    F: Fn(Worker) -> Fut,
    Fut: Future<Output = T>,
{
    let rt = crate::Runtime::new()?;
    Ok(rt.block_on(async move {
        let work = std::pin::pin!(f(worker));
        match select(work, forced).await {
            Either::Left(output) => Some(output),
            Either::Right(_) => None,
        }
    }))
}

/// What a worker's code gets: its index, and the group's stop signal.
#[derive(Debug)]
pub struct Worker {
    index: usize,
    count: usize,
    stopped: Option<oneshot::Receiver<()>>,
    stop: StopHandle,
}

impl Worker {
    /// This worker's index, `0..count`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many workers the group has.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Completes once [`StopHandle::stop`] has been called (by anyone: the
    /// `run` caller's thread, a signal handler, any worker). The worker's
    /// code decides what stopping means: stop accepting, drain, return.
    ///
    /// # Cancellation
    /// Dropping the future loses nothing for other workers; a second call
    /// on this worker then returns a future that completes at once (the
    /// signal is single-use per worker, so don't drop it early if you
    /// still need to wait for it).
    pub fn stopped(&mut self) -> impl Future<Output = ()> + use<> {
        let rx = self.stopped.take();
        async move {
            if let Some(rx) = rx {
                let _ = rx.await;
            }
        }
    }

    /// The group's stop handle (to stop every worker from this one).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }
}

/// Asks every worker of a group to stop; `Send + Sync + Clone`.
#[derive(Clone, Debug, Default)]
pub struct StopHandle {
    inner: Arc<Mutex<StopState>>,
}

#[derive(Debug, Default)]
struct StopState {
    stopped: bool,
    /// One sender per worker; dropping it completes `Worker::stopped`.
    senders: Vec<oneshot::Sender<()>>,
}

impl StopHandle {
    /// Completes every worker's [`Worker::stopped`]. Idempotent; a stop
    /// before `run` starts applies as soon as it does.
    pub fn stop(&self) {
        let senders = {
            let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            state.stopped = true;
            std::mem::take(&mut state.senders)
        };
        drop(senders); // outside the lock: each drop wakes a worker
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped
    }

    fn subscribe(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.stopped {
            state.senders.push(tx);
        }
        rx
    }
}

/// Why [`Workers::run`] failed.
pub enum WorkerError {
    /// `workers(0)`: a group needs at least one worker.
    NoWorkers,
    /// A worker thread or its runtime could not be created.
    Io(io::Error),
    /// Worker `index` panicked first; `payload` is its panic, for
    /// `std::panic::resume_unwind`.
    Panicked {
        /// The worker's index.
        index: usize,
        /// The panic payload.
        payload: Box<dyn Any + Send + 'static>,
    },
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::NoWorkers => {
                f.write_str("ramen::workers(0): a group needs at least one worker")
            }
            WorkerError::Io(e) => write!(f, "ramen::workers: cannot start a worker: {e}"),
            WorkerError::Panicked { index, payload } => {
                let message = crate::task::panic_message(&**payload);
                write!(f, "ramen worker {index} panicked: {message}")
            }
        }
    }
}

impl fmt::Debug for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for WorkerError {}

/// The CPUs this process may run on, in order (Linux); empty elsewhere.
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is plain data (a bit array); all-zero is valid.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable `cpu_set_t` of the size passed;
    // pid 0 means this thread.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the bit array's length.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Pins the calling thread to `cpu` (Linux); reports a refusal on stderr.
#[cfg(target_os = "linux")]
fn pin_current_thread(index: usize, cpu: usize) {
    // SAFETY: as in `allowed_cpus`: plain data, all-zero is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` came from `allowed_cpus`, so it is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 = this thread.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        eprintln!("ramen: worker {index}: cannot pin to CPU {cpu}, running unpinned: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_current_thread(_index: usize, _cpu: usize) {}
