//! Redis-style glob matching for `KEYS` and `CONFIG GET`: `*` (any run),
//! `?` (one byte), `[abc]`, `[a-z]`, `[^abc]` (a class, `^` negates), and
//! `\x` (the byte `x` itself). Bytes, not characters, as in redis.
//!
//! The matcher walks pattern and text once and, on a mismatch after a `*`,
//! backtracks to that star with one more byte swallowed. Only the *last*
//! star needs remembering (an earlier star can never help once a later one
//! matched), so it runs in O(pattern × text) time without recursion: a
//! pattern like `*a*a*a*a*b` cannot blow the stack or take exponential time.

/// Whether `text` matches the glob `pattern`.
pub fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index).
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((hit, next)) = class(pattern, p, text[t]) {
                        if hit {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if text[t] == b'[' {
                        // An unterminated `[` is a literal, as in redis.
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == text[t] {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if c == text[t] {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last star swallow one more byte, or fail.
        match star {
            Some((sp, st)) => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            None => return false,
        }
    }
    // Text used up: only stars may remain.
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches byte `c` against the class opening at `pattern[open] == b'['`.
/// Returns (matched, index after `]`), or `None` if the class never closes.
fn class(pattern: &[u8], open: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    loop {
        let &b = pattern.get(i)?;
        match b {
            b']' => return Some((hit != negate, i + 1)),
            b'\\' => {
                let &e = pattern.get(i + 1)?;
                hit |= e == c;
                i += 2;
            }
            _ if pattern.get(i + 1) == Some(&b'-')
                && pattern.get(i + 2).is_some_and(|&e| e != b']') =>
            {
                let (lo, hi) = (b.min(pattern[i + 2]), b.max(pattern[i + 2]));
                hit |= (lo..=hi).contains(&c);
                i += 3;
            }
            _ => {
                hit |= b == c;
                i += 1;
            }
        }
    }
}
