//! # mini_redis — "not an async server, a fast sync server"
//!
//! A key-value server speaking RESP2, redis's protocol, on one thread:
//!
//! ```text
//! cargo run --release --example mini_redis                       # 127.0.0.1:6380
//! cargo run --release --example mini_redis -- --addr 127.0.0.1:0 # any free port
//! redis-cli -p 6380 set greeting hello ex 60
//! redis-benchmark -p 6380 -q                  # the default run: every data type
//! ```
//!
//! **What to look for:** the server prints `listening on ADDR` and then
//! nothing per request (like redis). In `redis-cli`, `SET`/`GET`/`TTL` answer
//! as redis does, and `SUBSCRIBE news` in one client receives what `PUBLISH
//! news hi` sends from another. Under `redis-benchmark`, one thread serves all
//! 50 clients: watch `top` — the server uses one core, never more, and the
//! requests per second are of the same order as redis-server's
//! (`benches/servers.sh redis` runs both side by side). Ctrl-C prints
//! `signal 2, shutting down` and the process exits 0 after the open
//! connections are closed.
//!
//! ## Why one thread is fast
//! redis runs every command on one thread, start to finish, one after
//! another. No command waits for anything but memory, so a command takes
//! microseconds, and with nothing running in parallel there are no locks, no
//! races, and every command is atomic for free. The event loop only hides
//! the *waiting on sockets*: while client A's next request is still on the
//! wire, client B's runs. That is what this example is: the store and the
//! commands (`mini_redis/db.rs`, `commands.rs`) are plain synchronous code
//! that never awaits; ramen's tasks only wait for sockets, and for the timer
//! of the expiry cycle. Each connection task reads whatever arrived, runs
//! every complete command in it (pipelining), and writes all the replies in
//! one `write`.
//!
//! ## Why it stays on one thread
//! Unlike `http_server --workers N`, this server never grows a second event
//! loop, on purpose (the study note's redis chapter): one thread owning the
//! whole key space is what makes every command atomic without a lock and
//! its latency predictable. redis scales out by running more processes
//! (cluster, replicas), not more threads over one key space; a multi-threaded
//! store would trade that simplicity for locks or sharding, and the lesson
//! here is that a single well-fed thread is already fast.
//!
//! ## Conformance (redis 7, RESP2)
//! `tests/mini_redis_conformance.rs` checks the exact reply bytes, and fails
//! if a command in `admin::CLAIMED` disappears.
//!
//! | area | implemented | differs from redis |
//! |---|---|---|
//! | strings, keys | `GET SET (NX XX GET EX PX KEEPTTL; repeats allowed) DEL UNLINK EXISTS TYPE INCR DECR INCRBY DECRBY MGET MSET EXPIRE PEXPIRE TTL PTTL PERSIST KEYS DBSIZE FLUSHDB FLUSHALL SELECT 0` | expire times are checked as redis checks them (`invalid expire time`); `KEYS` matches in linear time for short segments (`glob.rs`) and walks the keys in chunks of 1,024 with a yield between, so other clients run meanwhile (redis blocks; here `KEYS` is not atomic) |
//! | lists | `LPUSH RPUSH LPOP RPOP (count) LRANGE LLEN` | — |
//! | sets | `SADD SREM SPOP (count) SMEMBERS SCARD SISMEMBER` | `SPOP` walks to a random member (O(n)) |
//! | hashes | `HSET HMSET HGET HGETALL HDEL HLEN HEXISTS` | — |
//! | sorted sets | `ZADD (NX XX GT LT CH) ZPOPMIN ZRANGE (by rank, WITHSCORES) ZSCORE ZCARD` | no `BYSCORE`/`BYLEX`/`REV`; scores print with Rust's shortest form |
//! | wrong kind of value | `-WRONGTYPE Operation against a key holding the wrong kind of value` | `MGET` reads other kinds as nil, as redis |
//! | pub/sub | `SUBSCRIBE UNSUBSCRIBE PUBLISH`; `PING`, `RESET`, `QUIT` while subscribed | a subscriber 1,024 messages behind is disconnected (redis: `client-output-buffer-limit pubsub`) and told if it sends a command |
//! | server | `INFO [server clients memory persistence stats replication commandstats keyspace all]`, `CONFIG GET/SET`, `COMMAND`, `CLIENT`, `HELLO 2`, `PING`, `ECHO` | `HELLO 3` is `-NOPROTO` (RESP2 only) |
//! | protocol | arrays of bulk strings; inline commands with redis's quoting | array over 1M elements or bulk over 64 MiB: protocol error (redis: `INT_MAX`, 512 MiB) |
//!
//! Bounded on purpose, where redis is not (`mini_redis/bounds.rs`): one reply
//! is at most 64 MiB (`-ERR reply too large`, checked before it is built), and a client that
//! does not read its replies for `--write-timeout-secs` (10 s) is
//! disconnected, so memory per connection stays bounded. A huge command is
//! parsed incrementally as it arrives (`resp.rs`), never re-parsed per read.
//! Expiry is lazy and active (`db.rs`).
//!
//! ## What real redis has and this lacks
//! Persistence (RDB snapshots, the AOF log), replication, cluster and
//! sentinel, streams, geo and HyperLogLog, blocking list commands, Lua and
//! functions, transactions, ACLs and AUTH, TLS, keyspace notifications,
//! memory limits and eviction, RESP3, client-side caching, and fifteen years
//! of tuning. Production work runs on real redis; this shows the shape of
//! it, and `benches/servers.sh` measures the two side by side.
//!
//! Stops cleanly (exit 0) on SIGINT or SIGTERM, awaited with `ramen::signal`
//! (`common/shutdown.rs`).

#[path = "mini_redis/admin.rs"]
mod admin;
#[path = "mini_redis/bounds.rs"]
mod bounds;
#[path = "mini_redis/commands.rs"]
mod commands;
#[path = "mini_redis/db.rs"]
mod db;
#[path = "common/flags.rs"]
mod flags;
#[path = "mini_redis/glob.rs"]
mod glob;
#[path = "mini_redis/hashes.rs"]
mod hashes;
#[path = "mini_redis/info.rs"]
mod info;
#[path = "mini_redis/keys.rs"]
mod keys;
#[path = "mini_redis/lists.rs"]
mod lists;
#[path = "mini_redis/pubsub.rs"]
mod pubsub;
#[path = "mini_redis/resp.rs"]
mod resp;
#[path = "mini_redis/sets.rs"]
mod sets;
#[path = "common/shutdown.rs"]
mod shutdown;
#[path = "mini_redis/zset.rs"]
mod zset;

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ramen::io::AsyncReadExt;
use ramen::net::{TcpListener, TcpStream};
use ramen::sync::mpsc::Receiver;
use ramen::{Either, select};

use bounds::{close_lingering, is_keys, keys_in_chunks, write_within};
use commands::{Cmd, Flow};
use resp::Args;

const USAGE: &str = "usage: mini_redis [--addr HOST:PORT] [--write-timeout-secs N]   \
                     (defaults 127.0.0.1:6380, 10 s)";

/// A client that does not read its replies (or its pub/sub messages) for
/// this long is disconnected: the replies queued for it are what bounds a
/// connection's memory, and a client that never reads would hold them (and
/// the connection) forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Replies are written once this many bytes are pending, even mid-batch, so a
/// pipeline of big GETs cannot grow the output buffer without bound.
const OUT_FLUSH: usize = 64 << 10;

struct Server {
    write_timeout: Duration,
    db: RefCell<db::Db>,
    hub: RefCell<pubsub::Hub>,
    stats: RefCell<info::Stats>,
    next_id: Cell<u64>,
}

/// One connection's pub/sub state.
struct Conn {
    id: u64,
    /// Its message queue while subscribed to at least one channel.
    rx: Option<Receiver<pubsub::Message>>,
}

fn main() {
    let mut addr = "127.0.0.1:6380".to_string();
    let mut write_timeout = WRITE_TIMEOUT;
    flags::parse("mini_redis", USAGE, &[], |flag, value| {
        match flag {
            "--addr" => addr = value,
            "--write-timeout-secs" => {
                write_timeout = Duration::from_secs(flags::positive(flag, &value)?);
            }
            _ => return Err(flags::unknown(flag)),
        }
        Ok(())
    });
    let code = ramen::block_on(run(addr, write_timeout));
    std::process::exit(code);
}

async fn run(addr: String, write_timeout: Duration) -> i32 {
    let signal = match shutdown::Shutdown::listen() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mini_redis: cannot install signal handlers: {e}");
            return 1;
        }
    };
    let listener = match TcpListener::bind(addr.as_str()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mini_redis: {e}");
            return 1;
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => {
            println!("listening on {a}");
            a.port()
        }
        Err(e) => {
            eprintln!("mini_redis: {e}");
            return 1;
        }
    };
    let server = Rc::new(Server {
        write_timeout,
        db: RefCell::new(db::Db::new()),
        hub: RefCell::new(pubsub::Hub::new()),
        stats: RefCell::new(info::Stats::new(port)),
        next_id: Cell::new(1),
    });
    let _expiry = ramen::spawn(expiry_cycle(server.clone())); // detached; ends with block_on
    match select(accept_loop(listener, server), signal.first()).await {
        Either::Left(never) => match never {},
        Either::Right(sig) => {
            eprintln!("mini_redis: signal {sig}, shutting down");
            0
        }
    }
}

/// Active expiry every 100 ms (lazy expiry alone would keep keys nobody
/// reads again). Bounded work per tick: at most 16 rounds of 20 samples.
async fn expiry_cycle(server: Rc<Server>) {
    let mut tick = ramen::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        server.db.borrow_mut().expire_cycle(Instant::now(), 16);
    }
}

async fn accept_loop(listener: TcpListener, server: Rc<Server>) -> std::convert::Infallible {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let id = server.next_id.get();
                server.next_id.set(id + 1);
                drop(ramen::spawn(connection(stream, peer, server.clone(), id))); // detached
            }
            Err(e) => {
                // EMFILE and friends: say so, back off, keep serving the others.
                eprintln!("mini_redis: accept: {e}");
                ramen::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn connection(mut stream: TcpStream, peer: SocketAddr, server: Rc<Server>, id: u64) {
    let _ = stream.set_nodelay(true);
    {
        let mut stats = server.stats.borrow_mut();
        stats.connections_received += 1;
        stats.connected_clients += 1;
    }
    let mut conn = Conn { id, rx: None };
    if let Err(e) = serve(&mut stream, &server, &mut conn).await {
        if e.kind() != io::ErrorKind::ConnectionReset && e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("mini_redis: {peer}: {e}");
        }
    }
    server.hub.borrow_mut().connection_closed(id);
    server.stats.borrow_mut().connected_clients -= 1;
}

/// Reads, runs every complete command, writes the replies; until EOF, QUIT,
/// a protocol error, or (for a subscriber) a full message queue.
async fn serve(stream: &mut TcpStream, server: &Server, conn: &mut Conn) -> io::Result<()> {
    let mut rbuf = vec![0u8; 16 << 10];
    // Bytes of an incomplete command, kept until the rest arrives. Usually
    // empty: then commands are parsed straight from `rbuf`, with no copy.
    let mut pending: Vec<u8> = Vec::new();
    let mut out = Vec::with_capacity(16 << 10);
    let mut args = Args::default();
    loop {
        let n = match &mut conn.rx {
            None => stream.read(&mut rbuf).await?,
            Some(rx) => match select(stream.read(&mut rbuf), rx.recv()).await {
                Either::Left(r) => r?,
                Either::Right(Some(msg)) => {
                    out.extend_from_slice(&msg);
                    while out.len() < OUT_FLUSH {
                        match rx.try_recv() {
                            Ok(m) => out.extend_from_slice(&m),
                            Err(_) => break,
                        }
                    }
                    write_within(stream, &out, server.write_timeout).await?;
                    out.clear();
                    continue;
                }
                // The hub dropped us (queue full) and the queue is drained.
                Either::Right(None) => return Ok(()),
            },
        };
        if n == 0 {
            return Ok(());
        }
        let from_pending = !pending.is_empty();
        if from_pending {
            pending.extend_from_slice(&rbuf[..n]);
        }
        let data = if from_pending {
            &pending[..]
        } else {
            &rbuf[..n]
        };
        let (used, go_on) = run_batch(data, stream, server, conn, &mut out, &mut args).await?;
        if !go_on {
            return close_lingering(stream, &mut rbuf).await;
        }
        if from_pending {
            pending.drain(..used);
        } else {
            pending.extend_from_slice(&rbuf[used..n]);
        }
        if pending.len() > resp::MAX_PENDING {
            resp::error(&mut out, "ERR Protocol error: too big request");
            write_within(stream, &out, server.write_timeout).await?;
            return close_lingering(stream, &mut rbuf).await;
        }
    }
}

/// Runs the complete commands at the start of `data`; returns the bytes used
/// and whether to keep the connection.
async fn run_batch(
    data: &[u8],
    stream: &mut TcpStream,
    server: &Server,
    conn: &mut Conn,
    out: &mut Vec<u8>,
    args: &mut Args,
) -> io::Result<(usize, bool)> {
    let now = Instant::now();
    let mut pos = 0;
    loop {
        match resp::parse_command(&data[pos..], args) {
            Ok(Some(used)) => {
                let cmd = Cmd {
                    args,
                    buf: &data[pos..],
                };
                pos += used;
                if is_keys(cmd) && !server.hub.borrow().was_kicked(conn.id) {
                    let started = Instant::now();
                    keys_in_chunks(cmd.arg(1), server, now, out).await;
                    server.stats.borrow_mut().count(b"KEYS", started.elapsed());
                } else if !args.is_empty()
                    && dispatch_counted(cmd, server, conn, now, out) == Flow::Close
                {
                    write_within(stream, out, server.write_timeout).await?;
                    return Ok((pos, false));
                }
                if out.len() >= OUT_FLUSH {
                    write_within(stream, out, server.write_timeout).await?;
                    out.clear();
                }
            }
            Ok(None) => break,
            Err(e) => {
                resp::error(out, &format!("ERR Protocol error: {}", e.0));
                write_within(stream, out, server.write_timeout).await?;
                return Ok((pos, false));
            }
        }
    }
    if !out.is_empty() {
        write_within(stream, out, server.write_timeout).await?;
        out.clear();
    }
    Ok((pos, true))
}

/// [`dispatch`], timed and counted for `INFO stats` and `INFO commandstats`.
fn dispatch_counted(
    cmd: Cmd,
    server: &Server,
    conn: &mut Conn,
    now: Instant,
    out: &mut Vec<u8>,
) -> Flow {
    let started = Instant::now();
    let flow = dispatch(cmd, server, conn, now, out);
    let mut scratch = [0u8; 24];
    let name = cmd.name(&mut scratch);
    server.stats.borrow_mut().count(name, started.elapsed());
    flow
}

/// `SUBSCRIBE ch...`: the connection's queue comes with its first channel.
fn subscribe(cmd: Cmd, server: &Server, conn: &mut Conn, out: &mut Vec<u8>) {
    let mut hub = server.hub.borrow_mut();
    for i in 1..cmd.len() {
        let (rx, count) = hub.subscribe(conn.id, cmd.arg(i));
        if rx.is_some() {
            conn.rx = rx;
        }
        pubsub::confirm(out, "subscribe", Some(cmd.arg(i)), count);
    }
}

/// `UNSUBSCRIBE [ch...]` (every channel when none is named): the queue goes
/// with the last channel.
fn unsubscribe(cmd: Cmd, server: &Server, conn: &mut Conn, out: &mut Vec<u8>) {
    let mut hub = server.hub.borrow_mut();
    let channels: Vec<Vec<u8>> = if cmd.len() == 1 {
        hub.channels_of(conn.id)
    } else {
        (1..cmd.len()).map(|i| cmd.arg(i).to_vec()).collect()
    };
    if channels.is_empty() {
        pubsub::confirm(out, "unsubscribe", None, 0);
    }
    for ch in channels {
        let left = hub.unsubscribe(conn.id, &ch);
        if left == 0 {
            conn.rx = None;
        }
        pubsub::confirm(out, "unsubscribe", Some(&ch), left);
    }
}

/// `INFO [section...]`.
fn info_reply(cmd: Cmd, server: &Server, out: &mut Vec<u8>) {
    let args: Vec<&[u8]> = (1..cmd.len()).map(|i| cmd.arg(i)).collect();
    let sections = info::wanted(&args);
    let subscribers = server.hub.borrow().subscribers();
    let text = info::render(
        &sections,
        &server.stats.borrow(),
        &server.db.borrow(),
        subscribers,
    );
    resp::bulk(out, Some(text.as_bytes()));
}

/// Pub/sub commands and `INFO` here (they need the connection or the
/// server's counters); the rest in `commands`.
fn dispatch(cmd: Cmd, server: &Server, conn: &mut Conn, now: Instant, out: &mut Vec<u8>) -> Flow {
    if server.hub.borrow().was_kicked(conn.id) {
        resp::error(
            out,
            "ERR this subscriber fell too far behind and was disconnected from every \
             channel; reconnect and subscribe again",
        );
        return Flow::Close;
    }
    let mut scratch = [0u8; 24];
    let name = cmd.name(&mut scratch);
    let subscribed = conn.rx.is_some();
    match name {
        b"SUBSCRIBE" if cmd.len() >= 2 => subscribe(cmd, server, conn, out),
        b"UNSUBSCRIBE" => unsubscribe(cmd, server, conn, out),
        b"INFO" => info_reply(cmd, server, out),
        b"PUBLISH" if cmd.len() == 3 => {
            let n = server.hub.borrow_mut().publish(cmd.arg(1), cmd.arg(2));
            resp::int(out, n as i64);
        }
        b"SUBSCRIBE" | b"PUBLISH" => commands::wrong_arity(cmd, out),
        b"PING" if subscribed => {
            resp::array_len(out, 2);
            resp::bulk(out, Some(b"pong"));
            resp::bulk(out, Some(if cmd.len() > 1 { cmd.arg(1) } else { b"" }));
        }
        b"QUIT" if subscribed => {
            resp::simple(out, "OK");
            return Flow::Close;
        }
        // redis: RESET leaves subscriber mode (every channel is dropped) and
        // keeps the connection, subscribed or not.
        b"RESET" => {
            let mut hub = server.hub.borrow_mut();
            for ch in hub.channels_of(conn.id) {
                hub.unsubscribe(conn.id, &ch);
            }
            conn.rx = None;
            resp::simple(out, "RESET");
        }
        _ if subscribed => {
            let msg = format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
                 RESET are allowed in this context",
                cmd.display_name()
            );
            resp::error(out, &msg);
        }
        _ => return commands::execute(&mut server.db.borrow_mut(), cmd, now, out),
    }
    Flow::Continue
}
