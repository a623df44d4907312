//! Files: one append-only segment per topic, and one small offset file per
//! consumer. Plain blocking `std::fs` code: the async side runs every call
//! here through `ramen::spawn_blocking`, so a slow disk (an fsync can take
//! milliseconds) never stops the event loop.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::record::{self, Damage, Record};

/// What opening a segment found.
#[derive(Debug)]
pub struct Recovered {
    /// The valid records, in order (holes left out).
    pub records: Vec<Record>,
    /// The byte where each of `records` starts.
    pub starts: Vec<u64>,
    /// Byte ranges of hole records (damage overwritten by this or an earlier
    /// recovery): a position inside one is not a record boundary.
    pub holes: Vec<(u64, u64)>,
    /// Damaged stretches with intact records after them: overwritten with
    /// holes now, their bytes saved to `<topic>.log.damaged-<byte>`.
    pub damaged: Vec<Damage>,
    /// Bytes cut from the end (a torn or corrupt tail), 0 after a clean stop.
    pub truncated: u64,
}

/// An open segment file (`<dir>/<topic>.log`), positioned at its end.
#[derive(Debug)]
pub struct Segment {
    file: File,
    /// Bytes of valid, fsynced records.
    pub len: u64,
}

/// The path of `topic`'s segment in `dir`.
pub fn segment_path(dir: &Path, topic: &str) -> PathBuf {
    dir.join(format!("{topic}.log"))
}

/// Where recovery saves the damaged bytes found at byte `start` of `topic`.
pub fn damaged_path(dir: &Path, topic: &str, start: usize) -> PathBuf {
    dir.join(format!("{topic}.log.damaged-{start}"))
}

impl Segment {
    /// Opens (or creates) the segment and recovers it: reads every record
    /// ([`record::scan`]); a damaged stretch followed by valid records is
    /// saved to `<topic>.log.damaged-<byte>` and overwritten in place with
    /// hole records; a torn or corrupt tail is cut off. Both are fsynced.
    pub fn open(dir: &Path, topic: &str) -> io::Result<(Segment, Recovered)> {
        fs::create_dir_all(dir)?;
        let path = segment_path(dir, topic);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let scan = record::scan(&bytes);
        let mut holes = scan.holes;
        if !scan.damaged.is_empty() {
            // An O_APPEND handle writes at the end whatever the offset: the
            // repair needs its own.
            let mut repair = OpenOptions::new().write(true).open(&path)?;
            for d in &scan.damaged {
                let mut evidence = File::create(damaged_path(dir, topic, d.start))?;
                evidence.write_all(&bytes[d.start..d.start + d.len])?;
                evidence.sync_all()?; // on disk before the original is overwritten
                let mut filler = Vec::with_capacity(d.len);
                record::encode_holes(d.len, &mut filler);
                repair.seek(SeekFrom::Start(d.start as u64))?;
                repair.write_all(&filler)?;
                holes.push((d.start as u64, (d.start + d.len) as u64));
            }
            repair.sync_all()?;
            holes.sort_unstable();
        }
        let truncated = (bytes.len() - scan.end) as u64;
        if truncated > 0 {
            file.set_len(scan.end as u64)?;
            file.sync_all()?;
        }
        let seg = Segment {
            file,
            len: scan.end as u64,
        };
        let recovered = Recovered {
            records: scan.records,
            starts: scan.starts,
            holes,
            damaged: scan.damaged,
            truncated,
        };
        Ok((seg, recovered))
    }

    /// Appends one batch of encoded records and fsyncs it: when this returns
    /// `Ok`, the batch survives a crash.
    pub fn append(&mut self, batch: &[u8]) -> io::Result<()> {
        self.file.write_all(batch)?;
        self.file.sync_data()?;
        self.len += batch.len() as u64;
        Ok(())
    }
}

/// Reads the records between byte `from` and byte `to` of a segment (a
/// consumer reads only up to what the broker reports as fsynced), holes
/// left out.
pub fn read_range(path: &Path, from: u64, to: u64) -> io::Result<Vec<Record>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0; (to - from) as usize];
    f.read_exact(&mut buf)?;
    let (records, valid) = record::decode_prefix(&buf);
    if valid != buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("corrupt record at byte {}", from + valid as u64),
        ));
    }
    Ok(records
        .into_iter()
        .filter(|r| r.producer != record::HOLE)
        .collect())
}

/// A consumer's committed position: the next record offset and its byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// Records consumed.
    pub offset: u64,
    /// Where the next record starts in the segment.
    pub byte: u64,
}

/// `<dir>/<consumer>.offset`
pub fn offset_path(dir: &Path, consumer: &str) -> PathBuf {
    dir.join(format!("{consumer}.offset"))
}

/// Reads a committed position (none yet: the start).
pub fn load_offset(dir: &Path, consumer: &str) -> io::Result<Committed> {
    match fs::read_to_string(offset_path(dir, consumer)) {
        Ok(s) => {
            let mut it = s.split_whitespace().map(str::parse::<u64>);
            match (it.next(), it.next()) {
                (Some(Ok(offset)), Some(Ok(byte))) => Ok(Committed { offset, byte }),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad offset file",
                )),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Committed::default()),
        Err(e) => Err(e),
    }
}

/// Commits a position atomically: write a temporary file, fsync, rename over
/// the old one (a crash leaves the old or the new position, never half).
pub fn store_offset(dir: &Path, consumer: &str, c: Committed) -> io::Result<()> {
    let tmp = dir.join(format!("{consumer}.offset.tmp"));
    let mut f = File::create(&tmp)?;
    writeln!(f, "{} {}", c.offset, c.byte)?;
    f.sync_all()?;
    fs::rename(&tmp, offset_path(dir, consumer))
}
