//! Files: one append-only segment per topic, and one small offset file per
//! consumer. Plain blocking `std::fs` code: the async side runs every call
//! here through `ramen::spawn_blocking`, so a slow disk (an fsync can take
//! milliseconds) never stops the event loop.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::record::{self, Record};

/// What opening a segment found.
#[derive(Debug)]
pub struct Recovered {
    /// The valid records, in order.
    pub records: Vec<Record>,
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

impl Segment {
    /// Opens (or creates) the segment and recovers it: reads every record,
    /// and cuts off a torn or corrupt tail (then fsyncs the cut).
    pub fn open(dir: &Path, topic: &str) -> io::Result<(Segment, Recovered)> {
        fs::create_dir_all(dir)?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(segment_path(dir, topic))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, valid) = record::decode_prefix(&bytes);
        let truncated = (bytes.len() - valid) as u64;
        if truncated > 0 {
            file.set_len(valid as u64)?;
            file.sync_all()?;
        }
        let seg = Segment {
            file,
            len: valid as u64,
        };
        Ok((seg, Recovered { records, truncated }))
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
/// consumer reads only up to what the broker reports as fsynced).
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
    Ok(records)
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
