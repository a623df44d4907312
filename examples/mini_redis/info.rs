//! `INFO [section ...]`: what the server knows about itself, in redis's
//! sections and field names, with the fields that mean something here.
//!
//! | section | fields |
//! |---|---|
//! | `server` | `redis_version`, `redis_mode`, `process_id`, `tcp_port`, `uptime_in_seconds`, `multiplexing_api`, `executable` |
//! | `clients` | `connected_clients`, `pubsub_clients` |
//! | `memory` | `used_memory_rss` (from `/proc/self/statm` where there is one), `maxmemory` (0) |
//! | `persistence` | `loading:0`, `aof_enabled:0` (nothing is persisted) |
//! | `stats` | `total_connections_received`, `total_commands_processed`, `expired_keys` |
//! | `replication` | `role:master`, `connected_slaves:0` |
//! | `commandstats` | `cmdstat_<name>:calls=N,usec=U,usec_per_call=P` per command used |
//! | `keyspace` | `db0:keys=N,expires=M,avg_ttl=0` |
//!
//! No argument (or `default`) gives every section but `commandstats`, as
//! redis does; `all` and `everything` give all of them; unknown section names
//! are ignored (an empty reply if nothing matched), as in redis.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::admin::VERSION;
use super::db::Db;

/// Counters the connection loop keeps for `INFO`.
pub struct Stats {
    started: Instant,
    /// The port the server listens on.
    pub port: u16,
    pub connections_received: u64,
    pub connected_clients: u64,
    pub commands_processed: u64,
    /// Per command (lower-case name): calls and time spent.
    per_command: BTreeMap<String, (u64, Duration)>,
}

impl Stats {
    pub fn new(port: u16) -> Stats {
        Stats {
            started: Instant::now(),
            port,
            connections_received: 0,
            connected_clients: 0,
            commands_processed: 0,
            per_command: BTreeMap::new(),
        }
    }

    /// Counts one executed command that took `took`.
    pub fn count(&mut self, name: &[u8], took: Duration) {
        self.commands_processed += 1;
        // Names are ASCII for every real command; cap what a client can make us keep.
        if name.len() > 32 || !name.iter().all(u8::is_ascii_alphanumeric) {
            return;
        }
        let key = String::from_utf8_lossy(name).to_lowercase();
        let e = self.per_command.entry(key).or_insert((0, Duration::ZERO));
        e.0 += 1;
        e.1 += took;
    }
}

const SECTIONS: [&str; 8] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "commandstats",
    "keyspace",
];

/// Which sections `args` (the arguments after `INFO`) ask for, in redis's order.
pub fn wanted(args: &[&[u8]]) -> Vec<&'static str> {
    let lower: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_lowercase())
        .collect();
    let has = |s: &str| lower.iter().any(|a| a == s);
    if lower.is_empty() || has("default") {
        return SECTIONS
            .iter()
            .copied()
            .filter(|s| *s != "commandstats")
            .collect();
    }
    if has("all") || has("everything") {
        return SECTIONS.to_vec();
    }
    SECTIONS.iter().copied().filter(|s| has(s)).collect()
}

/// The `INFO` text for `sections`.
pub fn render(sections: &[&str], stats: &Stats, db: &Db, pubsub_clients: usize) -> String {
    let mut out = String::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let title = match *section {
            "commandstats" => "Commandstats".to_string(),
            s => {
                let mut c = s.chars();
                c.next()
                    .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
            }
        };
        out.push_str(&format!("# {title}\r\n"));
        for (k, v) in fields(section, stats, db, pubsub_clients) {
            out.push_str(&format!("{k}:{v}\r\n"));
        }
    }
    out
}

fn fields(section: &str, stats: &Stats, db: &Db, pubsub_clients: usize) -> Vec<(String, String)> {
    let f = |k: &str, v: String| (k.to_string(), v);
    match section {
        "server" => vec![
            f("redis_version", VERSION.into()),
            f("redis_mode", "standalone".into()),
            f("executable", "mini_redis".into()),
            f("arch_bits", "64".into()),
            f("multiplexing_api", "epoll".into()),
            f("process_id", std::process::id().to_string()),
            f("tcp_port", stats.port.to_string()),
            f(
                "uptime_in_seconds",
                stats.started.elapsed().as_secs().to_string(),
            ),
        ],
        "clients" => vec![
            f("connected_clients", stats.connected_clients.to_string()),
            f("pubsub_clients", pubsub_clients.to_string()),
        ],
        "memory" => vec![
            f("used_memory_rss", rss_bytes().to_string()),
            f("maxmemory", "0".into()),
        ],
        "persistence" => vec![f("loading", "0".into()), f("aof_enabled", "0".into())],
        "stats" => vec![
            f(
                "total_connections_received",
                stats.connections_received.to_string(),
            ),
            f(
                "total_commands_processed",
                stats.commands_processed.to_string(),
            ),
            f("expired_keys", db.expired_active.to_string()),
        ],
        "replication" => vec![
            f("role", "master".into()),
            f("connected_slaves", "0".into()),
        ],
        "commandstats" => stats
            .per_command
            .iter()
            .map(|(name, (calls, took))| {
                let usec = took.as_micros() as u64;
                let per = usec as f64 / (*calls).max(1) as f64;
                let v = format!("calls={calls},usec={usec},usec_per_call={per:.2}");
                (format!("cmdstat_{name}"), v)
            })
            .collect(),
        "keyspace" if !db.is_empty() => vec![f(
            "db0",
            format!("keys={},expires={},avg_ttl=0", db.len(), db.volatile_len()),
        )],
        _ => Vec::new(),
    }
}

/// Resident memory of this process: `/proc/self/statm`'s second field
/// times the page size (0 where there is no `/proc`).
fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}
