//! The only code that writes results to disk: the output folder of a run, a sweep or a live run
//! appears complete or not at all.
//!
//! Files are written into a temporary folder beside the target (`.<name>.tmp-<pid>`), which then
//! takes the target's place; a previous folder of the same name is moved aside first and removed
//! last, so an interrupted or failed write leaves the previous results in place. Ctrl-C is
//! checked between two pieces of [`CHUNK`] bytes and before the swap (`crate::interrupt`): an
//! interrupted write removes the temporary folder and fails with `Interrupted`.

use crate::interrupt::{self, phase};
use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file of a run's output: its name in the folder and its bytes.
pub struct OutputFile {
    /// File name, e.g. `summary.csv`.
    pub name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Writes `files` as the folder `root/name`, replacing any previous one as a whole. Returns the
/// folder's path.
pub fn write_folder(root: &Path, name: &str, files: &[OutputFile]) -> Result<PathBuf> {
    fs::create_dir_all(root)
        .with_context(|| format!("cannot create the output folder {}", root.display()))?;
    let pid = std::process::id();
    let target = root.join(name);
    let tmp = root.join(format!(".{name}.tmp-{pid}"));
    let old = root.join(format!(".{name}.old-{pid}"));
    phase("writing");
    let written = write_files(&tmp, files)
        .and_then(|()| Ok(interrupt::check()?))
        .and_then(|()| swap_in(&tmp, &target, &old));
    if let Err(error) = &written {
        let _ = fs::remove_dir_all(&tmp);
        if error.is::<interrupt::Interrupted>() {
            // The temporary folder is gone and the previous one untouched: nothing is left to
            // undo, so the command line exits now rather than after freeing its results.
            interrupt::exit_if_requested();
        }
    }
    written?;
    Ok(target)
}

/// Before anything runs: creates `root` if needed and checks that a folder can be made in it
/// (the temporary `.<name>.tmp-<pid>`, removed at once), so that a file where the folder should
/// be, or a parent that cannot be written, is reported before the simulation rather than after.
pub fn check_root(root: &Path, name: &str) -> Result<()> {
    fs::create_dir_all(root)
        .with_context(|| format!("cannot create the output folder {}", root.display()))?;
    let probe = root.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&probe);
    fs::create_dir(&probe)
        .with_context(|| format!("cannot write into the output folder {}", root.display()))?;
    fs::remove_dir(&probe)
        .with_context(|| format!("cannot write into the output folder {}", root.display()))?;
    Ok(())
}

fn write_files(dir: &Path, files: &[OutputFile]) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for file in files {
        let path = dir.join(&file.name);
        write_file(&path, &file.bytes)?;
    }
    Ok(())
}

/// Most bytes written between two checks of Ctrl-C (a few milliseconds of a slow disk).
pub const CHUNK: usize = 4 << 20;

/// Writes `bytes` as the file `path`, in pieces of at most [`CHUNK`] bytes, stopping with
/// `Interrupted` between two pieces if the user asked to.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    let mut file = fs::File::create(path).with_context(cannot)?;
    for piece in bytes.chunks(CHUNK) {
        interrupt::check()?;
        file.write_all(piece).with_context(cannot)?;
    }
    Ok(())
}

/// Puts `tmp` in the place of `target`, keeping the previous `target` until that has worked.
fn swap_in(tmp: &Path, target: &Path, old: &Path) -> Result<()> {
    let had_previous = target.exists();
    if had_previous {
        fs::rename(target, old)
            .with_context(|| format!("cannot move the previous {} aside", target.display()))?;
    }
    if let Err(e) = fs::rename(tmp, target) {
        if had_previous {
            let _ = fs::rename(old, target);
        }
        return Err(e).with_context(|| format!("cannot move results into {}", target.display()));
    }
    if had_previous {
        // What stood in the way may have been a file rather than a folder.
        let removed = if old.is_dir() {
            fs::remove_dir_all(old)
        } else {
            fs::remove_file(old)
        };
        removed.with_context(|| format!("cannot remove the previous results {}", old.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> OutputFile {
        OutputFile {
            name: name.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tiersim-files-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_new_folder_replaces_the_old_one_whole() {
        let root = scratch("replace");
        write_folder(&root, "demo", &[file("a.csv", "1"), file("b.csv", "2")]).unwrap();
        let out = write_folder(&root, "demo", &[file("a.csv", "3")]).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "3");
        assert!(
            !out.join("b.csv").exists(),
            "nothing of the previous run remains"
        );
        let names: Vec<String> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec!["demo".to_string()],
            "no temporary folder is left"
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_previous_folder_whole() {
        let root = scratch("failed");
        write_folder(&root, "demo", &[file("a.csv", "1")]).unwrap();
        // A name that cannot be created inside the temporary folder fails the second file.
        let failed = write_folder(&root, "demo", &[file("a.csv", "2"), file("no/b.csv", "3")]);
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(root.join("demo/a.csv")).unwrap(), "1");
        assert_eq!(
            fs::read_dir(&root).unwrap().count(),
            1,
            "no temporary folder is left"
        );
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_file_where_the_folder_goes_is_replaced() {
        let root = scratch("file_in_the_way");
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("demo"), "not a folder").unwrap();
        let out = write_folder(&root, "demo", &[file("a.csv", "1")]).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "1");
        assert_eq!(
            fs::read_dir(&root).unwrap().count(),
            1,
            "nothing is left beside it"
        );
        fs::remove_dir_all(root).unwrap();
    }
}
