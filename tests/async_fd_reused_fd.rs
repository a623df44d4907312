//! An `AsyncFd` whose object was replaced through `get_mut` (closing the
//! registered fd) must not, when dropped, deregister another source that
//! reused the fd's number. Failed before the fix.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Replacing an `AsyncFd`'s object through `get_mut` closes the registered
/// fd; its number may then be reused by another source, which dropping the
/// first must not deregister.
#[test]
fn replaced_async_fd_does_not_deregister_a_reused_fd() {
    ramen::block_on(async {
        let (r1, _w1) = UnixStream::pair().unwrap();
        let mut a = ramen::io::AsyncFd::new(r1).unwrap();
        let (other, _o) = UnixStream::pair().unwrap();
        *a.get_mut() = other; // closes a's registered fd
        let (r2, mut w2) = UnixStream::pair().unwrap();
        let b = ramen::io::AsyncFd::new(r2).unwrap();
        drop(a);
        // Use up b's initial readiness so the next wait needs a real event.
        let mut guard = b.readable().await.unwrap();
        let mut buf = [0u8; 8];
        assert!(guard.try_io(|s| (&*s).read(&mut buf)).is_err());
        drop(guard);
        w2.write_all(b"x").unwrap();
        let woke = ramen::time::timeout(Duration::from_secs(5), b.readable()).await;
        assert!(
            woke.is_ok(),
            "b lost its registration (fd {})",
            b.get_ref().as_raw_fd()
        );
    });
}
