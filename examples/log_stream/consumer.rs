//! The consumer side: where a consumer starts, and reading at its own pace.
//!
//! A consumer keeps one thing between runs: its committed position (record
//! offset and byte, `storage::store_offset`). The naive start trusts it. But
//! recovery may have cut the end of the log (records this consumer had read)
//! or replaced damaged records with holes: a byte past the new end means the
//! consumer waits there while new records are written below it, then reads
//! from the middle of one, or skips whole records, silently. So
//! [`start_position`] checks the committed position against the recovered
//! log first, corrects it, and says on stderr what it corrected.

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::broker::{Topic, blocking};
use super::record::Record;
use super::storage::{self, Committed};

/// Loads consumer `name`'s committed position and checks it against the
/// recovered log, saying on stderr what it corrects (then commits that):
/// - past the end (recovery cut records it had read): reset to the end, so
///   it reads every record written from now on instead of skipping them;
/// - inside a record or a hole (not a boundary): moved back to the start of
///   that record or hole (it may read one record again, never skip one);
/// - a record count that differs from the records before its byte (recovery
///   removed damaged records): corrected.
pub async fn start_position(topic: &Topic, dir: &Path, name: &str) -> io::Result<Committed> {
    let (d, n) = (dir.to_path_buf(), name.to_string());
    let committed = blocking(move || storage::load_offset(&d, &n)).await??;
    let pos = checked_position(topic, name, committed);
    if pos != committed {
        let (d, n) = (dir.to_path_buf(), name.to_string());
        blocking(move || storage::store_offset(&d, &n, pos)).await??;
    }
    Ok(pos)
}

/// [`start_position`]'s check of `committed` against the log.
fn checked_position(topic: &Topic, name: &str, committed: Committed) -> Committed {
    let end = topic.end_byte.get();
    let starts = topic.starts.borrow();
    let mut pos = committed;
    if committed.byte > end {
        pos.byte = end;
        eprintln!(
            "{name}: committed offset {} (byte {}) is past the recovered end of the log (offset \
             {}, byte {}): recovery cut records this consumer had read; reset to the end, it \
             reads every record written from now on",
            committed.offset,
            committed.byte,
            starts.len(),
            end
        );
    } else if committed.byte < end && starts.binary_search(&committed.byte).is_err() {
        let hole = topic
            .holes
            .iter()
            .find(|h| h.0 <= committed.byte && committed.byte < h.1);
        if hole.is_none_or(|h| h.0 != committed.byte) {
            let record = starts
                .partition_point(|&s| s <= committed.byte)
                .checked_sub(1);
            let back = record.map_or(0, |i| starts[i]).max(hole.map_or(0, |h| h.0));
            pos.byte = back;
            eprintln!(
                "{name}: committed byte {} is not where a record starts; moved back to byte \
                 {back} (a record may be read again, none is skipped)",
                committed.byte
            );
        }
    }
    pos.offset = starts.partition_point(|&s| s < pos.byte) as u64;
    if pos.offset != committed.offset && pos.byte == committed.byte {
        eprintln!(
            "{name}: committed offset {} but {} records precede byte {}: recovery removed {} \
             damaged record(s) this consumer had read; offset corrected",
            committed.offset,
            pos.offset,
            pos.byte,
            committed.offset.abs_diff(pos.offset)
        );
    }
    pos
}

/// Reads `topic` from `start` (see [`start_position`]), at its own pace, as
/// consumer `name`, calling `f` for each record and committing after each
/// read; returns when the broker has stopped and everything fsynced was read.
pub async fn consume(
    topic: Rc<Topic>,
    dir: PathBuf,
    name: &str,
    start: Committed,
    mut f: impl FnMut(u64, &Record),
) -> io::Result<Committed> {
    let name = name.to_string();
    let mut pos = start;
    loop {
        let changed = topic.changed.notified(); // before the check: no lost wake-up
        let end = topic.end_byte.get();
        if pos.byte < end {
            let (path, from) = (topic.path.clone(), pos.byte);
            let records = blocking(move || storage::read_range(&path, from, end)).await??;
            for r in &records {
                f(pos.offset, r);
                pos.offset += 1;
            }
            pos.byte = end;
            let (d, n) = (dir.clone(), name.clone());
            blocking(move || storage::store_offset(&d, &n, pos)).await??;
            continue;
        }
        if topic.closed.get() {
            return Ok(pos);
        }
        changed.await;
    }
}
