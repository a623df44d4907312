//! The HTTP/1.1 request parser and response writer of `examples/http_server.rs`:
//! pure functions over byte buffers, no I/O, so `tests/http_server.rs` can
//! include this file (`#[path]`) and feed it anything.
//!
//! The parser is deliberately strict: one request line `METHOD SP target SP
//! HTTP/1.x` (origin-form `/path` or absolute-form `http://host/path`, RFC
//! 9112 §3.2), header lines `name: value`, lines ended by CRLF (a bare LF is
//! accepted too, as RFC 9112 allows). Whatever it cannot frame with
//! certainty it refuses (400), because a server and a proxy that disagree on
//! where a request ends is how request smuggling happens.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The whole request head (request line + headers + blank line) may not be
/// larger than this: 431 (414 if the request line alone is).
pub const MAX_HEAD: usize = 8 * 1024;
/// At most this many header lines: 431.
pub const MAX_HEADERS: usize = 100;
/// A request body larger than this is refused with 413. Smaller bodies are
/// read and discarded (no route here takes one), so a pipelined request after
/// them is still found.
pub const MAX_BODY: usize = 64 * 1024;

/// The methods this server knows; anything else well-formed is `Other` (405).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Other,
}

/// One parsed request; `target` borrows from the input buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method,
    pub target: &'a [u8],
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub minor: u8,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// Bytes of body that follow the head (already inside `consumed`).
    pub body_len: usize,
}

/// A request head that is complete while its body is not: what the
/// connection needs to answer `Expect: 100-continue` before the body comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingBody {
    /// The client sent `Expect: 100-continue` (HTTP/1.1) and waits for a
    /// `100 Continue` before sending the body.
    pub expects_continue: bool,
}

/// Why a request was refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed: 400.
    Bad,
    /// Head over `MAX_HEAD` or more than `MAX_HEADERS` headers: 431.
    HeadTooLarge,
    /// The request line alone is over `MAX_HEAD`: 414.
    UriTooLong,
    /// `Content-Length` over `MAX_BODY`: 413.
    BodyTooLarge,
    /// `Transfer-Encoding` (chunked bodies are not supported): 501.
    NotImplemented,
    /// `HTTP/2.0`, `HTTP/0.9` and friends on this text protocol: 505
    /// (`HTTP/1.x` with an unknown minor version is served as 1.1).
    Version,
}

impl ParseError {
    /// The status code the server answers with (and then closes).
    pub fn status(self) -> u16 {
        match self {
            ParseError::Bad => 400,
            ParseError::HeadTooLarge => 431,
            ParseError::UriTooLong => 414,
            ParseError::BodyTooLarge => 413,
            ParseError::NotImplemented => 501,
            ParseError::Version => 505,
        }
    }
}

/// Parses one request from the front of `buf`.
///
/// - `Ok(Some((request, consumed)))`: a complete request (head and body) is
///   in `buf[..consumed]`; what follows is the next (pipelined) request.
/// - `Ok(None)`: not complete yet, read more.
/// - `Err(e)`: answer `e.status()` and close the connection.
pub fn parse_request(buf: &[u8]) -> Result<Option<(Request<'_>, usize)>, ParseError> {
    let skip = empty_line_before(buf);
    let buf_all = buf;
    let buf = &buf[skip..];
    let Some(head_len) = head_end(buf) else {
        return if buf.len() > MAX_HEAD {
            Err(too_large(buf))
        } else {
            Ok(None)
        };
    };
    if head_len > MAX_HEAD {
        return Err(too_large(buf));
    }
    let mut lines = Lines {
        rest: &buf[..head_len],
    };
    let line = lines.next().ok_or(ParseError::Bad)??;
    let (method, target, minor) = request_line(line)?;
    let target = origin_of(target)?;

    let Framing {
        content_length,
        chunked,
        hosts,
        close,
        keep,
    } = header_fields(lines)?;
    if chunked {
        // Both framings at once is a smuggling attempt (400), and so is
        // Transfer-Encoding in HTTP/1.0, which has no transfer codings (RFC
        // 9112 §6.1); chunked alone is a feature this server lacks (501).
        return Err(if content_length.is_some() || minor == 0 {
            ParseError::Bad
        } else {
            ParseError::NotImplemented
        });
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is a 400.
    // (With an absolute-form target the Host is ignored, but must be valid.)
    if (minor == 1 && hosts != 1) || hosts > 1 {
        return Err(ParseError::Bad);
    }
    let body_len = content_length.unwrap_or(0);
    let consumed = skip + head_len + body_len;
    if buf_all.len() < consumed {
        return Ok(None);
    }
    let keep_alive = if minor == 1 { !close } else { keep && !close };
    let req = Request {
        method,
        target,
        minor,
        keep_alive,
        body_len,
    };
    Ok(Some((req, consumed)))
}

/// What the header lines say about framing and the connection.
#[derive(Default)]
struct Framing {
    content_length: Option<usize>,
    /// A `Transfer-Encoding` header was present.
    chunked: bool,
    /// How many `Host` headers (each checked valid).
    hosts: usize,
    /// `Connection: close` / `Connection: keep-alive`.
    close: bool,
    keep: bool,
}

/// Reads the header lines after the request line, up to the blank line.
fn header_fields(lines: Lines<'_>) -> Result<Framing, ParseError> {
    let mut headers = 0usize;
    let mut f = Framing::default();
    for line in lines {
        let line = line?;
        if line.is_empty() {
            break; // the blank line ending the head
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err(ParseError::HeadTooLarge);
        }
        let (name, value) = header_line(line)?;
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = content_length_value(value)?;
            if f.content_length.is_some_and(|old| old != n) {
                return Err(ParseError::Bad); // two different lengths: smuggling
            }
            f.content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            f.chunked = true;
        } else if name.eq_ignore_ascii_case(b"host") {
            f.hosts += 1;
            // RFC 9112 §3.2: an invalid Host value is a 400, even when an
            // absolute-form target (which wins over Host) names the host.
            if !valid_host(value) {
                return Err(ParseError::Bad);
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',') {
                let token = trim(token);
                f.close |= token.eq_ignore_ascii_case(b"close");
                f.keep |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    Ok(f)
}

/// For a request whose head is complete but whose body has not all
/// arrived: whether the client waits for `100 Continue` (RFC 9110 §10.1.1).
/// `None` when the head is incomplete, the request is complete, or invalid
/// (`parse_request` says which).
pub fn pending_body(buf: &[u8]) -> Option<PendingBody> {
    if !matches!(parse_request(buf), Ok(None)) {
        return None;
    }
    let skip = empty_line_before(buf);
    let head_len = head_end(&buf[skip..])?;
    let mut lines = Lines {
        rest: &buf[skip..skip + head_len],
    };
    let (_, _, minor) = request_line(lines.next()?.ok()?).ok()?;
    let expects_continue = minor == 1
        && lines.flatten().any(|line| {
            header_line(line).is_ok_and(|(name, value)| {
                name.eq_ignore_ascii_case(b"expect") && value.eq_ignore_ascii_case(b"100-continue")
            })
        });
    Some(PendingBody { expects_continue })
}

/// The length of one empty line at the front of `buf`, if there is one:
/// RFC 9112 §2.2 says to ignore at least one before a request line.
fn empty_line_before(buf: &[u8]) -> usize {
    match buf {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] => 1,
        _ => 0,
    }
}

/// Which "too large" a head over `MAX_HEAD` is: 414 when the request line
/// alone does not fit, 431 otherwise.
fn too_large(buf: &[u8]) -> ParseError {
    match buf.iter().position(|&b| b == b'\n') {
        Some(nl) if nl <= MAX_HEAD => ParseError::HeadTooLarge,
        _ => ParseError::UriTooLong,
    }
}

/// The origin-form part of a target: itself for `/path`, the path of an
/// absolute-form `http://authority/path` (`/` if it has none). Other forms
/// (authority-form, `*`, other schemes) are 400 here.
fn origin_of(target: &[u8]) -> Result<&[u8], ParseError> {
    if target.first() == Some(&b'/') {
        return Ok(target);
    }
    let lower: Vec<u8> = target.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let rest = if lower.starts_with(b"http://") {
        &target[7..]
    } else if lower.starts_with(b"https://") {
        &target[8..]
    } else {
        return Err(ParseError::Bad);
    };
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    if end == 0 || !valid_host(&rest[..end]) {
        return Err(ParseError::Bad);
    }
    match &rest[end..] {
        [] => Ok(b"/"),
        path if path[0] == b'/' => Ok(path),
        // `http://h?q`: the path is empty, so `/`; the query is dropped.
        _ => Ok(b"/"),
    }
}

/// RFC 9110 §7.2 `Host = uri-host [ ":" port ]`: a reg-name (unreserved,
/// `%XX`, sub-delims), an IPv4 address, or an `[IP-literal]`; a port of
/// digits only. Empty is allowed (a URI without an authority).
fn valid_host(value: &[u8]) -> bool {
    let (host, port) = match value {
        [b'[', rest @ ..] => match rest.iter().position(|&b| b == b']') {
            Some(close) => {
                let literal = &rest[..close];
                let ok = !literal.is_empty()
                    && literal
                        .iter()
                        .all(|&b| b.is_ascii_hexdigit() || b":.vV".contains(&b));
                if !ok {
                    return false;
                }
                (&b""[..], &rest[close + 1..])
            }
            None => return false,
        },
        _ => match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &b""[..]),
        },
    };
    let port_ok = match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let host_ok = host
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b));
    port_ok && host_ok
}

/// The length of the head including its blank line, if it is all in `buf`.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        // The line that starts right after this newline: empty (`\n` or `\r\n`)?
        match buf.get(nl + 1..) {
            Some([b'\n', ..]) => return Some(nl + 2),
            Some([b'\r', b'\n', ..]) => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Lines of the head without their line ends; a lone `\r` is an error.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<&'a [u8], ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        let nl = self.rest.iter().position(|&b| b == b'\n')?;
        let mut line = &self.rest[..nl];
        self.rest = &self.rest[nl + 1..];
        if let [body @ .., b'\r'] = line {
            line = body;
        }
        if line.contains(&b'\r') {
            return Some(Err(ParseError::Bad));
        }
        Some(Ok(line))
    }
}

/// `METHOD SP origin-form SP HTTP/1.x`, single spaces only.
fn request_line(line: &[u8]) -> Result<(Method, &[u8], u8), ParseError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::Bad);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::Bad);
    }
    // Visible ASCII only; the form (origin or absolute) is checked by `origin_of`.
    if target.is_empty() || !target.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(ParseError::Bad);
    }
    let minor = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        // RFC 9112 §2.3: a 1.x minor version we do not know is served as
        // the highest we do (1.1); another major version is a 505.
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => 1,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(ParseError::Version);
        }
        _ => return Err(ParseError::Bad),
    };
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        _ => Method::Other,
    };
    Ok((method, target, minor))
}

/// `name: value` with optional whitespace around the value; no space before
/// the colon and no obsolete line folding (both are 400 by RFC 9112).
fn header_line(line: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::Bad)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::Bad);
    }
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ParseError::Bad);
    }
    Ok((name, trim(value)))
}

fn content_length_value(value: &[u8]) -> Result<usize, ParseError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Bad);
    }
    // Digits only, so the only way to fail is too many of them.
    let n: u64 = std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ParseError::BodyTooLarge)?;
    if n > MAX_BODY as u64 {
        return Err(ParseError::BodyTooLarge);
    }
    Ok(n as usize)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// RFC 9110 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What a request target names.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// `/`: the fixed hello body.
    Hello,
    /// A file below the root: a relative path of plain segments.
    File(PathBuf),
}

/// Maps a target to a path relative to the root, or refuses it (403).
///
/// The query (`?...`) is dropped, `%XX` is decoded, empty and `.` segments are
/// skipped. Refused: a `..` segment (also `%2e%2e`), an encoded `/` or `\`
/// (`%2f`, `%5c`: a segment that turns into two after decoding), a NUL, a bad
/// `%` escape. What comes back is only ever joined one plain segment at a time,
/// so it cannot name an absolute path; symlinks are the caller's job
/// (canonicalize, then check the prefix).
pub fn resolve_target(target: &[u8]) -> Result<Target, u16> {
    let path = match target.iter().position(|&b| b == b'?' || b == b'#') {
        Some(q) => &target[..q],
        None => target,
    };
    let mut rel = PathBuf::new();
    for raw in path.split(|&b| b == b'/') {
        let seg = percent_decode(raw).ok_or(403u16)?;
        if seg.iter().any(|&b| b == b'/' || b == b'\\' || b == 0) {
            return Err(403);
        }
        match &seg[..] {
            b"" | b"." => continue,
            b".." => return Err(403),
            _ => rel.push(std::ffi::OsStr::from_bytes(&seg)),
        }
    }
    if rel.as_os_str().is_empty() {
        return Ok(Target::Hello);
    }
    Ok(Target::File(rel))
}

/// `%XX` decoding; `None` for a `%` not followed by two hex digits.
pub fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let hi = hex(*s.get(i + 1)?)?;
            let lo = hex(*s.get(i + 2)?)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}
