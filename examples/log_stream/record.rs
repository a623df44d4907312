//! The on-disk record format, and finding where a log stops making sense.
//!
//! ```text
//! [len u32][crc32 u32][producer u32][seq u64][payload: len bytes]   (little endian)
//! ```
//! `crc32` (IEEE, the zlib/Ethernet one) covers producer, seq and payload. A
//! record is only believed if all of it is there and its CRC matches.
//!
//! The naive recovery stops at the first record that fails and cuts
//! everything after it. That is right for the *end* of the file after a
//! crash (half a record, or a sector that never reached the disk: never
//! fsynced, so never acknowledged), but one byte flipped in the middle of a
//! log would silently cut every acknowledged record behind it. So [`scan`]
//! resynchronises: at a record that fails, it tries the record's own length
//! (the flip hit the payload or the CRC), then every later byte, for the next
//! position where a whole record decodes with a matching CRC (a false match
//! needs 32 bits of CRC to agree by chance). Only the damaged stretch is
//! lost; the log's recovery overwrites it with [`HOLE`] records so that the
//! file decodes end to end again. Damage with nothing valid after it is the
//! torn tail, and is cut.

/// Bytes before the payload.
pub const HEADER: usize = 20;
/// Largest payload accepted (a declared length above it is corruption).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// The producer id of a hole: filler written over damaged bytes by recovery.
/// Holes keep every later byte position where it was; readers skip them.
pub const HOLE: u32 = u32::MAX;

/// One record: who sent it, its number in that producer's sequence, the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The producer's id.
    pub producer: u32,
    /// 0, 1, 2, ... per producer: how duplicates are recognised.
    pub seq: u64,
    /// The data.
    pub payload: Vec<u8>,
}

/// The CRC-32 lookup table, computed at compile time (polynomial 0xEDB88320,
/// reflected).
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Continues a CRC-32 over `data` (start with `crc = 0`).
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in data {
        c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// CRC-32 of `data` (`crc32(b"123456789") == 0xCBF43926`).
#[allow(dead_code)] // the example uses `crc32_update`; tests/log_stream.rs checks this
pub fn crc32(data: &[u8]) -> u32 {
    crc32_update(0, data)
}

fn record_crc(producer: u32, seq: u64, payload: &[u8]) -> u32 {
    let crc = crc32_update(0, &producer.to_le_bytes());
    let crc = crc32_update(crc, &seq.to_le_bytes());
    crc32_update(crc, payload)
}

/// Appends the encoding of `r` to `out`.
pub fn encode(r: &Record, out: &mut Vec<u8>) {
    assert!(r.payload.len() <= MAX_PAYLOAD, "payload too large");
    out.extend_from_slice(&(r.payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&record_crc(r.producer, r.seq, &r.payload).to_le_bytes());
    out.extend_from_slice(&r.producer.to_le_bytes());
    out.extend_from_slice(&r.seq.to_le_bytes());
    out.extend_from_slice(&r.payload);
}

/// Decodes the record at the start of `buf`: `Some((record, bytes used))`,
/// or `None` if it is incomplete, too long or fails its CRC.
pub fn decode(buf: &[u8]) -> Option<(Record, usize)> {
    let head = buf.get(..HEADER)?;
    let u32_at = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().unwrap());
    let len = u32_at(0) as usize;
    if len > MAX_PAYLOAD {
        return None;
    }
    let payload = buf.get(HEADER..HEADER + len)?;
    let producer = u32_at(8);
    let seq = u64::from_le_bytes(head[12..20].try_into().unwrap());
    if record_crc(producer, seq, payload) != u32_at(4) {
        return None;
    }
    let r = Record {
        producer,
        seq,
        payload: payload.to_vec(),
    };
    Some((r, HEADER + len))
}

/// Decodes records from the start of `buf` until the first one that is
/// incomplete or corrupt; returns them and the length of the valid prefix.
pub fn decode_prefix(buf: &[u8]) -> (Vec<Record>, usize) {
    let mut records = Vec::new();
    let mut pos = 0;
    while let Some((r, used)) = decode(&buf[pos..]) {
        records.push(r);
        pos += used;
    }
    (records, pos)
}

/// Appends hole records that fill exactly `len` bytes (`len >= HEADER`).
pub fn encode_holes(mut len: usize, out: &mut Vec<u8>) {
    assert!(len >= HEADER, "a hole needs room for its header");
    while len > 0 {
        let mut take = len.min(HEADER + MAX_PAYLOAD);
        if len - take > 0 && len - take < HEADER {
            take -= HEADER; // leave the last hole room for its header
        }
        let hole = Record {
            producer: HOLE,
            seq: 0,
            payload: vec![0; take - HEADER],
        };
        encode(&hole, out);
        len -= take;
    }
}

/// A stretch of a log that did not decode, followed by valid records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damage {
    /// Where it starts.
    pub start: usize,
    /// Its length in bytes (at least [`HEADER`]).
    pub len: usize,
    /// The damaged record's own length field pointed at the next valid
    /// record: exactly one record was lost. Otherwise at least one.
    pub one_record: bool,
}

/// What [`scan`] found in a log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// The intact records (holes left out), in order.
    pub records: Vec<Record>,
    /// The byte where each of `records` starts.
    pub starts: Vec<u64>,
    /// Damaged stretches with intact records after them, in order.
    pub damaged: Vec<Damage>,
    /// Hole records already in the log (from an earlier recovery): byte ranges.
    pub holes: Vec<(u64, u64)>,
    /// Where the valid log ends: everything after is a torn or damaged tail.
    pub end: usize,
}

/// Decodes `buf`, skipping damaged stretches when valid records follow them,
/// and stopping at a tail that does not decode.
pub fn scan(buf: &[u8]) -> Scan {
    let mut s = Scan::default();
    let mut pos = 0;
    while pos < buf.len() {
        if let Some((r, used)) = decode(&buf[pos..]) {
            if r.producer == HOLE {
                s.holes.push((pos as u64, (pos + used) as u64));
            } else {
                s.records.push(r);
                s.starts.push(pos as u64);
            }
            pos += used;
            continue;
        }
        let Some((next, one_record)) = resync(buf, pos) else {
            break; // nothing valid after it: the tail
        };
        s.damaged.push(Damage {
            start: pos,
            len: next - pos,
            one_record,
        });
        pos = next;
    }
    s.end = pos;
    s
}

/// Where valid records resume after the bad record at `pos`, if they do.
fn resync(buf: &[u8], pos: usize) -> Option<(usize, bool)> {
    // The record's own length, if a valid record follows it.
    let declared = buf[pos..]
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()));
    if let Some(len) = declared.filter(|&l| l as usize <= MAX_PAYLOAD) {
        let next = pos + HEADER + len as usize;
        if next < buf.len() && decode(&buf[next..]).is_some() {
            return Some((next, true));
        }
    }
    // The length was hit too: the next position where a whole record
    // decodes. A record is at least HEADER bytes, so the next one cannot
    // start sooner.
    (pos + HEADER..buf.len())
        .find(|&q| decode(&buf[q..]).is_some())
        .map(|q| (q, false))
}
