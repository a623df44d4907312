//! The on-disk record format, and finding where a log stops making sense.
//!
//! ```text
//! [len u32][crc32 u32][producer u32][seq u64][payload: len bytes]   (little endian)
//! ```
//! `crc32` (IEEE, the zlib/Ethernet one) covers producer, seq and payload. A
//! record is only believed if all of it is there and its CRC matches: after a
//! crash the end of the file may hold half a record (the write was cut) or
//! garbage (a sector that never reached the disk), and [`decode_prefix`]
//! stops at the first such record. Everything after it is cut off; since a
//! batch is acknowledged only after its fsync, nothing acknowledged is there.

/// Bytes before the payload.
pub const HEADER: usize = 20;
/// Largest payload accepted (a declared length above it is corruption).
pub const MAX_PAYLOAD: usize = 1 << 20;

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
