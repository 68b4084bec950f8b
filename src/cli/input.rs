//! Reading what the command line is given to read: a scenario is a regular file of at most
//! [`MAX_SCENARIO_BYTES`] (1 MiB), or `-` for standard input under the same cap.
//!
//! A path is checked before it is opened, so a FIFO, a device (`/dev/zero`), a socket or a
//! folder is refused at once instead of hanging or filling memory; a file that grows past the cap
//! while it is read is refused too, as only the cap plus one byte is ever read. What is not
//! guarded: a path swapped for a FIFO between the check and the open (a race only the owner of
//! the folder can set up).

use super::BadInput;
use anyhow::Result;
use std::io::Read;
use std::path::Path;

/// The largest scenario read, in bytes (1 MiB; the shipped scenarios are under 5 KB).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// What is allowed, as the error messages say it.
const ALLOWED: &str = "a scenario is a regular file of at most 1 MiB, or `-` for standard input";

/// A scenario's bytes and the name its messages give it (the path, or `<stdin>`).
pub struct ScenarioText {
    /// The path as given, or `<stdin>`.
    pub source: String,
    /// The bytes read.
    pub bytes: Vec<u8>,
}

/// Reads the scenario at `path` (`-`: standard input); refuses anything but a regular file or
/// standard input, and anything over the cap, with a message naming the path (exit status 2).
pub fn read_scenario(path: &Path) -> Result<ScenarioText> {
    if path.as_os_str() == "-" {
        let bytes = read_capped(std::io::stdin().lock(), "<stdin>")?;
        return Ok(ScenarioText {
            source: "<stdin>".into(),
            bytes,
        });
    }
    let source = path.display().to_string();
    let cannot = |why: String| BadInput(format!("cannot read scenario {source}: {why}"));
    let metadata = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if !metadata.is_file() {
        let kind = kind_of(&metadata.file_type());
        return Err(cannot(format!("it is {kind}, not a regular file; {ALLOWED}")).into());
    }
    let file = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
    let bytes = read_capped(file, &source)?;
    Ok(ScenarioText { source, bytes })
}

/// Whether `path` is (or links to) a regular file: what `list` reads.
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Reads at most the cap plus one byte; more is refused.
fn read_capped(reader: impl Read, source: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BadInput(format!("cannot read scenario {source}: {e}")))?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(BadInput(format!(
            "cannot read scenario {source}: it is larger than 1 MiB; {ALLOWED}"
        ))
        .into());
    }
    Ok(bytes)
}

/// What a file that is not regular is, for the message.
fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a folder"
    } else {
        special_kind(file_type)
    }
}

/// A FIFO, a device or a socket (Unix's special files).
#[cfg(unix)]
fn special_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Anything but a folder or a regular file.
#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}
