//! A third-party protocol crate over ramen sockets: `async-tungstenite`
//! speaks futures-io only, and runs a websocket client and an echo server on
//! one ramen runtime, over `ramen::net::TcpStream` as it is (no wrapper).
//! Every frame round-trips: text and binary, sizes 0 to 64 KiB.
//! (`cargo test --features futures-io --test futures_io_websocket`)

use async_tungstenite::tungstenite::Message;
use async_tungstenite::{WebSocketStream, accept_async, client_async};
use futures::StreamExt;
use ramen::net::{TcpListener, TcpStream, UnixStream};

/// Echoes every text and binary message back; returns how many it echoed
/// once the client closes.
async fn echo<S>(mut ws: WebSocketStream<S>) -> usize
where
    S: futures::io::AsyncRead + futures::io::AsyncWrite + Unpin,
{
    let mut echoed = 0;
    while let Some(msg) = ws.next().await {
        // Pings and the close are answered by tungstenite itself: it queues
        // the close reply, sends it on the next read, and the stream ends.
        let msg = msg.expect("server read");
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await.expect("server send");
            echoed += 1;
        }
    }
    echoed
}

/// The sizes to try: 0, 1, around the 125/126 and 65535/65536 frame-length
/// boundaries of the websocket header, and a few in between.
fn sizes() -> Vec<usize> {
    vec![0, 1, 2, 100, 125, 126, 127, 1000, 4096, 65_535, 65_536]
}

/// A deterministic payload of `len` bytes (every byte value appears).
fn bytes(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed) % 256) as u8).collect()
}

/// Deterministic ASCII text of `len` bytes.
fn text(len: usize, seed: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i + seed) % 26) as u8))
        .collect()
}

/// Sends every frame and checks each echo; returns the frames checked.
async fn client<S>(mut ws: WebSocketStream<S>) -> usize
where
    S: futures::io::AsyncRead + futures::io::AsyncWrite + Unpin,
{
    let mut checked = 0;
    for (seed, len) in sizes().into_iter().enumerate() {
        let frames = [
            Message::text(text(len, seed)),
            Message::binary(bytes(len, seed)),
        ];
        for frame in frames {
            ws.send(frame.clone()).await.expect("client send");
            let back = ws.next().await.expect("echo").expect("client read");
            assert_eq!(back, frame, "frame of {len} bytes changed on the way");
            checked += 1;
        }
    }
    ws.close(None).await.expect("close");
    // The server answers the close; the stream then ends.
    while let Some(msg) = ws.next().await {
        assert!(matches!(msg, Ok(Message::Close(_))), "{msg:?}");
    }
    checked
}

#[test]
fn websocket_echo_over_ramen_tcp() {
    ramen::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ramen::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            echo(accept_async(stream).await.expect("server handshake")).await
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let url = format!("ws://{addr}/echo");
        let (ws, response) = client_async(url, stream).await.expect("client handshake");
        assert_eq!(response.status(), 101);
        let checked = client(ws).await;
        assert_eq!(checked, 2 * sizes().len());
        assert_eq!(server.await.unwrap(), checked);
    });
}

#[test]
fn websocket_echo_over_a_unix_socket_pair() {
    ramen::block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let server =
            ramen::spawn(
                async move { echo(accept_async(b).await.expect("server handshake")).await },
            );
        let (ws, _) = client_async("ws://localhost/", a)
            .await
            .expect("client handshake");
        let checked = client(ws).await;
        assert_eq!(server.await.unwrap(), checked);
    });
}
