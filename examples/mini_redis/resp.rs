//! RESP2 requests in, RESP2 replies out: pure code, no I/O.
//!
//! A request is either an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
//! what every client library and `redis-cli` send) or an *inline* command, a
//! plain text line (`PING\r\n`, what telnet sends). [`parse_command`] looks at
//! the start of a buffer and says: a whole command is there (its arguments as
//! ranges into the buffer, and how many bytes it used), not yet (read more),
//! or never (a protocol error: the connection must close).
//!
//! # Nothing is allocated from a declared length
//! A client can declare `*4294967295` elements or `$99999999999` bytes in a
//! few bytes. Every count is checked against a limit *before* it is used, and
//! no count is used as a capacity: the argument list grows only as real
//! elements are found in the buffer, and a bulk string is only ever a range of
//! bytes that have already arrived. The connection owns the buffer and caps
//! it at [`MAX_PENDING`].

use std::ops::Range;

/// Largest bulk string accepted (redis allows 512 MiB; this example 64 MiB).
pub const MAX_BULK: usize = 64 << 20;
/// Most elements in one request array. redis itself accepts up to
/// `INT_MAX`; this example stops at 1M to keep one request's argument list
/// (16 bytes per element) bounded.
pub const MAX_ARRAY: usize = 1 << 20;
/// Longest inline command line, and longest `*`/`$` header line.
pub const MAX_INLINE: usize = 64 << 10;
/// Largest reply one command may build (`MGET`, `LRANGE`, `KEYS` ...):
/// checked *before* building it, so one command cannot make a connection
/// hold gigabytes (one `MGET` of a 64 KB key 16,000 times would be 1 GB).
/// redis has no such cap for normal clients; this example keeps the promise
/// that memory per connection stays bounded.
pub const MAX_REPLY: usize = 64 << 20;

/// If a reply of about `bytes` would exceed [`MAX_REPLY`], writes the error
/// instead and returns true.
pub fn refuse_if_too_big(out: &mut Vec<u8>, bytes: usize) -> bool {
    if bytes <= MAX_REPLY {
        return false;
    }
    error(
        out,
        &format!("ERR reply too large ({bytes} bytes; this server caps one reply at 64 MiB)"),
    );
    true
}

/// Most unparsed bytes a connection may hold (one request must fit).
pub const MAX_PENDING: usize = 128 << 20;

/// Why a request can never be parsed; the text follows `-ERR Protocol error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: impl Into<String>) -> Self {
        ProtocolError(s.into())
    }
}

/// Where one argument's bytes are: in the request buffer (every bulk
/// string, and unquoted inline words) or in `Args::owned` (inline words with
/// quotes or escapes, which decode to other bytes than they were sent as).
#[derive(Debug, Clone)]
enum Arg {
    InBuf(Range<usize>),
    Owned(Range<usize>),
}

/// The arguments of one command: ranges into the buffer it was parsed from,
/// or into its own buffer of decoded inline words.
#[derive(Debug, Default)]
pub struct Args {
    ranges: Vec<Arg>,
    owned: Vec<u8>,
    /// An array command that was incomplete at the last call: where its next
    /// element starts and how many are still to come. The next call (on
    /// the same command, with more bytes after it) resumes there instead of
    /// parsing the elements already found again: a 1M-argument command
    /// arriving 16 KB at a time is parsed once, not once per read.
    resume: Option<Resume>,
}

/// Where an incomplete array command stopped (see [`Args`]).
#[derive(Debug, Clone, Copy)]
struct Resume {
    /// Where its next element starts, and how many are still to come.
    pos: usize,
    remaining: i64,
    /// Its `*count` header (end of line, count): a call whose buffer starts
    /// with another header is another command, parsed from scratch.
    header_end: usize,
    count: i64,
}

impl Args {
    /// Number of arguments (the command name included).
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are none (an empty inline line, or `*0`).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Where an incomplete array command will resume (for tests: it only
    /// moves forward while the command arrives).
    #[allow(dead_code)] // read by tests/mini_redis_conformance.rs
    pub fn resume_position(&self) -> Option<usize> {
        self.resume.map(|r| r.pos)
    }

    /// Argument `i`, read from `buf` (the buffer it was parsed from).
    pub fn get<'b>(&'b self, buf: &'b [u8], i: usize) -> &'b [u8] {
        match &self.ranges[i] {
            Arg::InBuf(r) => &buf[r.clone()],
            Arg::Owned(r) => &self.owned[r.clone()],
        }
    }
}

/// Parses one command at the start of `buf` into `args`.
///
/// `Ok(Some(n))`: a command used the first `n` bytes (`args` may be empty:
/// an empty inline line or `*0`, which redis skips without a reply).
/// `Ok(None)`: incomplete, read more, and call again with the same command
/// at the start of `buf` (more bytes after it): the elements found so far are
/// kept in `args` and not parsed again. `Err`: reply the error and close.
pub fn parse_command(buf: &[u8], args: &mut Args) -> Result<Option<usize>, ProtocolError> {
    if let Some(r) = args.resume.take() {
        // The same command only if it has the same header; `pos <= len`
        // keeps every kept range inside `buf` even if a caller breaks the
        // contract (then it is a wrong parse, never a panic).
        let same = buf.first() == Some(&b'*')
            && r.pos <= buf.len()
            && matches!(line_end(buf, 1, 32, ""), Ok(Some(end)) if end == r.header_end)
            && parse_count(&buf[1..r.header_end]) == Some(r.count);
        if same {
            return parse_elements(buf, args, r.pos, r.remaining, (r.header_end, r.count));
        }
    }
    args.ranges.clear();
    args.owned.clear();
    match buf.first() {
        None => Ok(None),
        Some(b'*') => parse_array(buf, args),
        Some(_) => parse_inline(buf, args),
    }
}

/// Finds the `\r\n` ending the line that starts at `from`; `Ok(None)` if it
/// has not arrived yet, an error if the line is already longer than `max`.
fn line_end(
    buf: &[u8],
    from: usize,
    max: usize,
    what: &str,
) -> Result<Option<usize>, ProtocolError> {
    let window = &buf[from..buf.len().min(from + max + 2)];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some(from + i)),
        None if window.len() >= max + 2 => Err(ProtocolError::new(format!("too big {what}"))),
        None => Ok(None),
    }
}

/// A decimal integer as redis reads counts (`string2ll`): optional `-`,
/// then 1..=18 digits, no leading zero (`01`) and no `-0`.
fn parse_count(digits: &[u8]) -> Option<i64> {
    let (neg, d) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if d.is_empty() || d.len() > 18 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if (d.len() > 1 && d[0] == b'0') || (neg && d == b"0") {
        return None;
    }
    let v = d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
    Some(if neg { -v } else { v })
}

fn parse_array(buf: &[u8], args: &mut Args) -> Result<Option<usize>, ProtocolError> {
    let Some(end) = line_end(buf, 1, 32, "mbulk count string")? else {
        return Ok(None);
    };
    let count = match parse_count(&buf[1..end]) {
        Some(n) if n <= MAX_ARRAY as i64 => n,
        _ => return Err(ProtocolError::new("invalid multibulk length")),
    };
    let pos = end + 2;
    if count <= 0 {
        return Ok(Some(pos)); // `*0` / `*-1`: nothing to do
    }
    parse_elements(buf, args, pos, count, (end, count))
}

/// The bulk strings of an array, from `pos`, `remaining` of them; on
/// `Ok(None)` remembers where to resume (see [`Args`]).
fn parse_elements(
    buf: &[u8],
    args: &mut Args,
    mut pos: usize,
    mut remaining: i64,
    (header_end, count): (usize, i64),
) -> Result<Option<usize>, ProtocolError> {
    while remaining > 0 {
        let incomplete = |args: &mut Args, pos| {
            args.resume = Some(Resume {
                pos,
                remaining,
                header_end,
                count,
            });
            Ok(None)
        };
        match buf.get(pos) {
            None => return incomplete(args, pos),
            Some(b'$') => {}
            Some(&c) => {
                return Err(ProtocolError::new(format!(
                    "expected '$', got '{}'",
                    char::from(c).escape_default()
                )));
            }
        }
        let Some(end) = line_end(buf, pos + 1, 32, "bulk count string")? else {
            return incomplete(args, pos);
        };
        let len = match parse_count(&buf[pos + 1..end]) {
            Some(n) if (0..=MAX_BULK as i64).contains(&n) => n as usize,
            _ => return Err(ProtocolError::new("invalid bulk length")),
        };
        let start = end + 2;
        if buf.len() < start + len + 2 {
            return incomplete(args, pos);
        }
        if &buf[start + len..start + len + 2] != b"\r\n" {
            return Err(ProtocolError::new("bulk string not followed by CRLF"));
        }
        args.ranges.push(Arg::InBuf(start..start + len));
        pos = start + len + 2;
        remaining -= 1;
    }
    Ok(Some(pos))
}

/// A plain text line split into words as redis's `sdssplitargs` does:
/// spaces and tabs separate; `"..."` may hold escapes (`\n`, `\r`, `\t`,
/// `\b`, `\a`, `\\`, `\"`, `\xHH`); `'...'` holds everything but `\'`; a
/// closing quote must end the word. Unbalanced quotes are a protocol error.
fn parse_inline(buf: &[u8], args: &mut Args) -> Result<Option<usize>, ProtocolError> {
    // telnet sends `\r\n`, `nc` may send a bare `\n`: accept both.
    let window = &buf[..buf.len().min(MAX_INLINE + 1)];
    let Some(nl) = window.iter().position(|&c| c == b'\n') else {
        if window.len() > MAX_INLINE {
            return Err(ProtocolError::new("too big inline request"));
        }
        return Ok(None);
    };
    let line_len = if nl > 0 && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    let line = &buf[..line_len];
    let mut i = 0;
    while i < line.len() {
        if line[i] == b' ' || line[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && !matches!(line[i], b' ' | b'\t' | b'"' | b'\'') {
            i += 1;
        }
        if i == line.len() || line[i] != b'"' && line[i] != b'\'' {
            args.ranges.push(Arg::InBuf(start..i)); // a plain word: no copy
            continue;
        }
        // A word with quotes in it: decode into `owned`.
        let from = args.owned.len();
        args.owned.extend_from_slice(&line[start..i]);
        i = quoted_word(line, i, &mut args.owned)?;
        args.ranges.push(Arg::Owned(from..args.owned.len()));
    }
    Ok(Some(nl + 1))
}

/// Decodes the rest of a word that reaches a quote at `line[i]`, into `out`;
/// returns where the word ends.
fn quoted_word(line: &[u8], mut i: usize, out: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    let unbalanced = || ProtocolError::new("unbalanced quotes in request");
    loop {
        match line.get(i) {
            None | Some(b' ' | b'\t') => return Ok(i),
            Some(&q @ (b'"' | b'\'')) => {
                i += 1;
                loop {
                    let c = *line.get(i).ok_or_else(unbalanced)?;
                    i += 1;
                    if c == q {
                        break;
                    }
                    if c != b'\\' {
                        out.push(c);
                        continue;
                    }
                    let e = *line.get(i).ok_or_else(unbalanced)?;
                    i += 1;
                    let hex = |b: u8| (b as char).to_digit(16);
                    match (q, e) {
                        (b'\'', b'\'') => out.push(b'\''),
                        (b'\'', _) => out.extend_from_slice(&[b'\\', e]),
                        (_, b'n') => out.push(b'\n'),
                        (_, b'r') => out.push(b'\r'),
                        (_, b't') => out.push(b'\t'),
                        (_, b'b') => out.push(8),
                        (_, b'a') => out.push(7),
                        (_, b'x') => match (
                            line.get(i).and_then(|&h| hex(h)),
                            line.get(i + 1).and_then(|&l| hex(l)),
                        ) {
                            (Some(h), Some(l)) => {
                                out.push((h * 16 + l) as u8);
                                i += 2;
                            }
                            _ => out.push(b'x'),
                        },
                        (_, other) => out.push(other),
                    }
                }
                // redis: a closing quote must be followed by a space or the end.
                if !matches!(line.get(i), None | Some(b' ' | b'\t')) {
                    return Err(unbalanced());
                }
                return Ok(i);
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// `+s\r\n`
pub fn simple(out: &mut Vec<u8>, s: &str) {
    out.push(b'+');
    out.extend_from_slice(s.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `-s\r\n` (`s` starts with the error code, e.g. `ERR ...`).
pub fn error(out: &mut Vec<u8>, s: &str) {
    out.push(b'-');
    // An error line must stay one line, whatever a client sent us.
    out.extend(
        s.bytes()
            .map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
    );
    out.extend_from_slice(b"\r\n");
}

/// `:n\r\n`
pub fn int(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `$len\r\nbytes\r\n`, or the nil bulk `$-1\r\n`.
pub fn bulk(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => out.extend_from_slice(b"$-1\r\n"),
        Some(b) => {
            out.push(b'$');
            out.extend_from_slice(b.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `*n\r\n`, the header of an array of `n` replies that follow.
pub fn array_len(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}
