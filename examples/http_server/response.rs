//! The response side of `examples/http_server.rs`: status lines, heads and
//! small bodies as bytes, the `Date` header, content types. Pure functions
//! over byte buffers, like `parse.rs`, so the tests include it (`#[path]`).

/// The reason phrase of each status this server sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
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
