//! The servers' stop button: SIGINT (Ctrl-C) or SIGTERM starts a graceful
//! shutdown; a second one while the server drains ends the process at once.
//!
//! Both signals come from `ramen::signal`: its handler only writes a byte to
//! a pipe the reactor watches, so "a signal arrived" is one more event in the
//! loop, handled here in ordinary async code.

use std::io;

use ramen::signal::{Signal, SignalKind, signal};
use ramen::{Either, select};

/// Listening for SIGINT and SIGTERM. Create it at startup, before the
/// server says it is ready: from then on, neither signal kills the process.
pub struct Shutdown {
    int: Signal,
    term: Signal,
}

impl Shutdown {
    /// Installs the handlers (inside `ramen::block_on`).
    pub fn listen() -> io::Result<Shutdown> {
        Ok(Shutdown {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the first SIGINT or SIGTERM and returns its number. From
    /// then on a second one exits the process with status 130 (a detached
    /// task that ends with the runtime, i.e. when the drain is over).
    pub async fn first(mut self) -> i32 {
        let sig = self.next().await;
        drop(ramen::spawn(async move {
            let again = self.next().await;
            eprintln!("signal {again} during shutdown: exiting now");
            std::process::exit(130);
        }));
        sig
    }

    async fn next(&mut self) -> i32 {
        match select(self.int.recv(), self.term.recv()).await {
            Either::Left(_) => libc::SIGINT,
            Either::Right(_) => libc::SIGTERM,
        }
    }
}
