//! TCP echo over loopback, everything on one thread: `conns` client tasks
//! each do `rounds` round trips of [`MSG`] bytes (write, then read the echo
//! back in full) against `conns` server tasks (read, write back) accepted
//! from one listener. Result: the number of round trips done.
//!
//! Setup (bind, connect, accept, `set_nodelay`) is included in the time; it
//! is 100 connections against 100,000 round trips. `compare` subtracts it
//! when counting syscalls by also running `rounds = 0`.
//!
//! The floor is in `epoll_floor.rs`.

use std::net::SocketAddr;

/// Bytes per message.
pub const MSG: usize = 64;

/// ramen: `ramen::net` tasks.
pub fn echo_ramen(rt: &ramen::Runtime, conns: usize, rounds: usize) -> usize {
    use ramen::io::{AsyncReadExt, AsyncWriteExt};
    use ramen::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(ramen::spawn(async move {
            for _ in 0..conns {
                let (mut s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                drop(ramen::spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
        }));
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                ramen::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let (out, mut back) = ([7u8; MSG], [0u8; MSG]);
                    for _ in 0..rounds {
                        s.write_all(&out).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                    }
                    rounds
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += c.await.unwrap();
        }
        done
    })
}

/// tokio: `tokio::net` tasks on `current_thread` + `LocalSet`.
pub fn echo_tokio(rt: &tokio::runtime::Runtime, conns: usize, rounds: usize) -> usize {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    crate::tokio_local(rt, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::task::spawn_local(async move {
            for _ in 0..conns {
                let (mut s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                tokio::task::spawn_local(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                tokio::task::spawn_local(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let (out, mut back) = ([7u8; MSG], [0u8; MSG]);
                    for _ in 0..rounds {
                        s.write_all(&out).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                    }
                    rounds
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += c.await.unwrap();
        }
        done
    })
}

/// smol: `async_io::Async` sockets, tasks on a `LocalExecutor`.
pub fn echo_smol<'a>(
    ex: &'a async_executor::LocalExecutor<'a>,
    conns: usize,
    rounds: usize,
) -> usize {
    use async_io::Async;
    use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
    use std::net::{TcpListener, TcpStream};
    crate::smol_run(ex, async {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listener = Async::<TcpListener>::bind(any).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        ex.spawn(async move {
            for _ in 0..conns {
                let (mut s, _) = listener.accept().await.unwrap();
                s.get_ref().set_nodelay(true).unwrap();
                ex.spawn(async move {
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                })
                .detach();
            }
        })
        .detach();
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                ex.spawn(async move {
                    let mut s = Async::<TcpStream>::connect(addr).await.unwrap();
                    s.get_ref().set_nodelay(true).unwrap();
                    let (out, mut back) = ([7u8; MSG], [0u8; MSG]);
                    for _ in 0..rounds {
                        s.write_all(&out).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                    }
                    rounds
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += c.await;
        }
        done
    })
}

/// monoio (either driver): `monoio::net` tasks. Its I/O is completion-style
/// ("rent"): each call takes an owned buffer and hands it back with the
/// result, so the buffers are boxed arrays moved in and out of every call.
pub fn echo_monoio(rt: &crate::Monoio, conns: usize, rounds: usize) -> usize {
    use monoio::buf::IoBuf;
    use monoio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
    use monoio::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(monoio::spawn(async move {
            for _ in 0..conns {
                let (mut s, _) = listener.accept().await.unwrap();
                s.set_nodelay(true).unwrap();
                drop(monoio::spawn(async move {
                    let mut buf = Box::new([0u8; 4096]);
                    loop {
                        let (n, b) = s.read(buf).await;
                        let n = n.unwrap();
                        if n == 0 {
                            break;
                        }
                        let (w, b) = s.write_all(b.slice(..n)).await;
                        w.unwrap();
                        buf = b.into_inner();
                    }
                }));
            }
        }));
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                monoio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let (mut out, mut back) = (Box::new([7u8; MSG]), Box::new([0u8; MSG]));
                    for _ in 0..rounds {
                        let (w, o) = s.write_all(out).await;
                        w.unwrap();
                        let (r, b) = s.read_exact(back).await;
                        r.unwrap();
                        (out, back) = (o, b);
                    }
                    rounds
                })
            })
            .collect();
        let mut done = 0;
        for c in clients {
            done += c.await;
        }
        done
    })
}
