//! The HTTP/1.1 request parser and response writer of `examples/http_server.rs`:
//! pure functions over byte buffers, no I/O, so `tests/http_server.rs` can
//! include this file (`#[path]`) and feed it anything.
//!
//! The parser is deliberately strict: one request line `METHOD SP /target SP
//! HTTP/1.x`, header lines `name: value`, lines ended by CRLF (a bare LF is
//! accepted too, as RFC 9112 allows). Whatever it cannot frame with
//! certainty it refuses (400), because a server and a proxy that disagree on
//! where a request ends is how request smuggling happens.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The whole request head (request line + headers + blank line) may not be
/// larger than this: 431.
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

/// Why a request was refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed: 400.
    Bad,
    /// Head over `MAX_HEAD` or more than `MAX_HEADERS` headers: 431.
    HeadTooLarge,
    /// `Content-Length` over `MAX_BODY`: 413.
    BodyTooLarge,
    /// `Transfer-Encoding` (chunked bodies are not supported): 501.
    NotImplemented,
    /// `HTTP/2.0` and friends on this text protocol: 505.
    Version,
}

impl ParseError {
    /// The status code the server answers with (and then closes).
    pub fn status(self) -> u16 {
        match self {
            ParseError::Bad => 400,
            ParseError::HeadTooLarge => 431,
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
    // RFC 9112 §2.2: ignore at least one empty line before a request line.
    let skip = match buf {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] => 1,
        _ => 0,
    };
    let buf_all = buf;
    let buf = &buf[skip..];
    let Some(head_len) = head_end(buf) else {
        return if buf.len() > MAX_HEAD {
            Err(ParseError::HeadTooLarge)
        } else {
            Ok(None)
        };
    };
    if head_len > MAX_HEAD {
        return Err(ParseError::HeadTooLarge);
    }
    let mut lines = Lines {
        rest: &buf[..head_len],
    };
    let line = lines.next().ok_or(ParseError::Bad)??;
    let (method, target, minor) = request_line(line)?;

    let mut headers = 0usize;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut hosts = 0usize;
    let mut close = false;
    let mut keep = false;
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
            if content_length.is_some_and(|old| old != n) {
                return Err(ParseError::Bad); // two different lengths: smuggling
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in value.split(|&b| b == b',') {
                let token = trim(token);
                close |= token.eq_ignore_ascii_case(b"close");
                keep |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    if chunked {
        // Both framings at once is a smuggling attempt (400); chunked alone
        // is a feature this server does not have (501).
        return Err(if content_length.is_some() {
            ParseError::Bad
        } else {
            ParseError::NotImplemented
        });
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is a 400.
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
    // Origin-form only: `/path?query`. No `*`, no absolute URLs.
    if target.first() != Some(&b'/') || !target.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(ParseError::Bad);
    }
    let minor = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
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

/// The reason phrase of each status this server sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Appends a response head to `out`. `date` is an IMF-fixdate (`http_date`).
pub fn write_head(
    out: &mut Vec<u8>,
    status: u16,
    content_type: &str,
    content_length: u64,
    keep_alive: bool,
    minor: u8,
    date: &[u8],
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    push_u64(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason(status).as_bytes());
    out.extend_from_slice(b"\r\nServer: ramen\r\nDate: ");
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\nContent-Type: ");
    out.extend_from_slice(content_type.as_bytes());
    out.extend_from_slice(b"\r\nContent-Length: ");
    push_u64(out, content_length);
    if status == 405 {
        out.extend_from_slice(b"\r\nAllow: GET, HEAD");
    }
    if !keep_alive {
        out.extend_from_slice(b"\r\nConnection: close");
    } else if minor == 0 {
        out.extend_from_slice(b"\r\nConnection: keep-alive");
    }
    out.extend_from_slice(b"\r\n\r\n");
}

/// Appends a complete response with a small text body (omitted for `HEAD`,
/// whose `Content-Length` still says what a `GET` would get).
pub fn write_simple(
    out: &mut Vec<u8>,
    status: u16,
    body: &[u8],
    head_only: bool,
    keep_alive: bool,
    minor: u8,
    date: &[u8],
) {
    let ct = "text/plain";
    write_head(out, status, ct, body.len() as u64, keep_alive, minor, date);
    if !head_only {
        out.extend_from_slice(body);
    }
}

/// An error response: the status line's reason as the body.
pub fn write_error(out: &mut Vec<u8>, status: u16, head_only: bool, keep_alive: bool, date: &[u8]) {
    let body = format!("{status} {}\n", reason(status));
    write_simple(out, status, body.as_bytes(), head_only, keep_alive, 1, date);
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// A content type from the file name's extension.
pub fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for seconds since the Unix epoch.
pub fn http_date(unix_secs: u64) -> [u8; 29] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u64;

    let mut out = [b' '; 29];
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    out[3] = b',';
    let two = |n: u64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    out[5..7].copy_from_slice(&two(day));
    out[8..11].copy_from_slice(MONTHS[month - 1]);
    out[12..14].copy_from_slice(&two(year / 100));
    out[14..16].copy_from_slice(&two(year));
    out[17..19].copy_from_slice(&two(secs / 3600));
    out[19] = b':';
    out[20..22].copy_from_slice(&two(secs / 60 % 60));
    out[22] = b':';
    out[23..25].copy_from_slice(&two(secs % 60));
    out[26..29].copy_from_slice(b"GMT");
    out
}
