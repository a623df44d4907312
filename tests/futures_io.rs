//! The `futures-io` feature: ramen's streams pass where `futures::io` traits
//! are required, `poll_close` shuts the write side only, and `io::Compat`
//! carries a futures-io type into ramen's `BufReader`/`lines`/`read_exact`.
//! (`cargo test --features futures-io --test futures_io`)

use std::future::Future;
use std::net::SocketAddr;

use futures::io::{AsyncBufRead, AsyncRead, AsyncWrite, Cursor};
use ramen::JoinHandle;
use ramen::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader, Compat};
use ramen::net::{TcpListener, TcpStream, UnixStream};

// The helpers are generic over futures-io only: nothing in them knows ramen.

/// Writes `msg` with futures' `write_all`, then `close`s.
async fn send_and_close<W: AsyncWrite + Unpin>(w: &mut W, msg: &[u8]) {
    futures::io::AsyncWriteExt::write_all(w, msg).await.unwrap();
    futures::io::AsyncWriteExt::close(w).await.unwrap();
}

/// Reads to end of stream with futures' `read_to_end`.
async fn read_all<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut back = Vec::new();
    futures::io::AsyncReadExt::read_to_end(r, &mut back)
        .await
        .unwrap();
    back
}

/// Writes `msg`, closes, reads the peer's answer to the end.
async fn talk<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, msg: &[u8]) -> Vec<u8> {
    send_and_close(&mut s, msg).await;
    read_all(&mut s).await
}

/// Reads to end of stream, then answers `reply` (the peer closed its write
/// side with `poll_close`, but can still read).
async fn echo_upper<S: AsyncRead + AsyncWrite + Unpin>(mut s: S) -> usize {
    let got = read_all(&mut s).await;
    send_and_close(&mut s, &got.to_ascii_uppercase()).await;
    got.len()
}

/// A listener on a free port whose task serves one connection with `serve`.
async fn tcp_server<F, Fut>(serve: F) -> (SocketAddr, JoinHandle<usize>)
where
    F: FnOnce(TcpStream) -> Fut + 'static,
    Fut: Future<Output = usize> + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = ramen::spawn(async move { serve(listener.accept().await.unwrap().0).await });
    (addr, task)
}

#[test]
fn tcp_stream_is_a_futures_io_stream_and_close_shuts_only_the_write_side() {
    ramen::block_on(async {
        let (addr, server) = tcp_server(echo_upper).await;
        let back = talk(TcpStream::connect(addr).await.unwrap(), b"hello tcp").await;
        assert_eq!(back, b"HELLO TCP");
        assert_eq!(server.await.unwrap(), 9);
    });
}

#[test]
fn unix_stream_and_split_halves_are_futures_io() {
    ramen::block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let server = ramen::spawn(echo_upper(b));
        assert_eq!(talk(a, b"pair").await, b"PAIR");
        assert_eq!(server.await.unwrap(), 4);

        // Halves: reader and writer in two tasks, each typed as futures-io.
        let (a, b) = UnixStream::pair().unwrap();
        let (mut r, mut w) = a.into_split();
        let server = ramen::spawn(echo_upper(b));
        let writer = ramen::spawn(async move {
            for chunk in [&b"ab"[..], b"cd"] {
                futures::io::AsyncWriteExt::write_all(&mut w, chunk)
                    .await
                    .unwrap();
            }
            send_and_close(&mut w, b"ef").await;
        });
        let back = read_all(&mut r).await;
        writer.await.unwrap();
        assert_eq!(back, b"ABCDEF");
        assert_eq!(server.await.unwrap(), 6);
    });
}

#[test]
fn tcp_split_halves_are_futures_io() {
    fn is_read<T: AsyncRead>(_: &T) {}
    fn is_write<T: AsyncWrite>(_: &T) {}
    ramen::block_on(async {
        let (addr, server) = tcp_server(echo_upper).await;
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        is_read(&r);
        is_write(&w);
        send_and_close(&mut w, b"split").await;
        assert_eq!(read_all(&mut r).await, b"SPLIT");
        assert_eq!(server.await.unwrap(), 5);
    });
}

#[test]
fn ramen_buf_reader_is_a_futures_async_buf_read() {
    fn is_buf_read<T: AsyncBufRead>(_: &T) {}
    ramen::block_on(async {
        let (mut a, b) = UnixStream::pair().unwrap();
        let writer = ramen::spawn(async move {
            a.write_all(b"first line\nsecond\r\nlast").await.unwrap();
        });
        let mut reader = BufReader::with_capacity(4, b); // lines span refills
        is_buf_read(&reader);
        let mut lines = Vec::new();
        let mut stream = futures::io::AsyncBufReadExt::lines(&mut reader);
        while let Some(line) = futures::StreamExt::next(&mut stream).await {
            lines.push(line.unwrap());
        }
        writer.await.unwrap();
        assert_eq!(lines, ["first line", "second", "last"]);
    });
}

#[test]
fn compat_brings_a_futures_io_type_into_ramen_traits() {
    ramen::block_on(async {
        // futures' Cursor speaks only futures-io: through Compat, ramen's
        // BufReader, lines, read_exact and write_all work on it.
        let text = b"alpha\nbeta\ngamma".to_vec();
        let mut lines = BufReader::new(Compat::new(Cursor::new(text))).lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            got.push(line);
        }
        assert_eq!(got, ["alpha", "beta", "gamma"]);

        let mut c = Compat::new(Cursor::new(b"0123456789".to_vec()));
        let mut four = [0u8; 4];
        c.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, b"0123");
        c.write_all(b"XY").await.unwrap(); // overwrites at position 4
        c.shutdown().await.unwrap(); // poll_close of a Cursor: Ok
        assert_eq!(c.into_inner().into_inner(), b"0123XY6789");

        // The futures-io AsyncBufRead of the inner type is used directly.
        let mut direct = Compat::new(Cursor::new(b"x\ny\n".to_vec())).lines();
        assert_eq!(direct.next_line().await.unwrap().as_deref(), Some("x"));
        assert_eq!(direct.next_line().await.unwrap().as_deref(), Some("y"));
        assert_eq!(direct.next_line().await.unwrap(), None);
    });
}

#[test]
fn compat_also_turns_any_ramen_reader_into_futures_io() {
    ramen::block_on(async {
        // `&[u8]` here is ramen's AsyncRead; Compat makes it a futures one.
        let mut r = Compat::new(&b"some bytes"[..]);
        assert_eq!(read_all(&mut r).await, b"some bytes");

        let mut w = Compat::new(Vec::new());
        send_and_close(&mut w, b"into a vec").await;
        assert_eq!(w.into_inner(), b"into a vec");
    });
}

#[test]
fn compat_of_a_tcp_stream_round_trips_a_large_payload() {
    // 1 MiB through futures' `copy` over a ramen socket in both roles.
    ramen::block_on(async {
        let (addr, server) = tcp_server(|s| async move {
            let (r, mut w) = s.into_split();
            let n = futures::io::copy(r, &mut w).await.unwrap();
            futures::io::AsyncWriteExt::close(&mut w).await.unwrap();
            n as usize
        })
        .await;
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        let sent = data.clone();
        let writer = ramen::spawn(async move { send_and_close(&mut w, &sent).await });
        let back = read_all(&mut r).await;
        writer.await.unwrap();
        assert_eq!(server.await.unwrap(), data.len());
        assert!(back == data, "echoed bytes differ");
    });
}
