//! Putting a file in place so that a crash, a full disk or a failed write never leaves a
//! damaged or partial file under its name: the data goes to a temporary file in the same
//! directory (named as Redis names it, `temp-<pid>.rdb`), is fsynced, renamed over the old
//! file, and the directory is fsynced so the rename itself survives a crash.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Write buffer: large enough that the file's write calls do not show in a save's profile.
const BUFFER: usize = 1 << 20;

/// The temporary file a save in `dir` writes first.
pub fn temp_path(dir: &Path) -> PathBuf {
    dir.join(format!("temp-{}.rdb", std::process::id()))
}

/// Writes `path` through `write`, which gets a buffered writer and returns it when done. On
/// any error the temporary file is removed and `path` is untouched.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(BufWriter<File>) -> io::Result<BufWriter<File>>,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let temp = temp_path(&dir);
    let result = (|| {
        let file = File::create(&temp)?;
        let writer = write(BufWriter::with_capacity(BUFFER, file))?;
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Puts a finished file in place: fsync, rename over `path`, fsync of the directory. The
/// rename happens only while `cancelled` holds `false` under its lock, so whoever sets it
/// knows no rename follows. The temporary file is removed on error; on cancellation it is
/// left to whoever cancelled (a new save may already use the same name).
pub fn install(file: File, temp: &Path, path: &Path, cancelled: &Mutex<bool>) -> io::Result<()> {
    let result = (|| {
        file.sync_all()?;
        drop(file);
        {
            let cancelled = cancelled.lock().unwrap_or_else(|e| e.into_inner());
            if *cancelled {
                return Ok(false);
            }
            if let Err(e) = fs::rename(temp, path) {
                let _ = fs::remove_file(temp);
                return Err(e);
            }
        }
        File::open(parent_dir(path))?.sync_all()?;
        Ok(true)
    })();
    match result {
        Ok(true) => Ok(()),
        Ok(false) => Err(io::Error::other("the save was cancelled")),
        Err(e) => {
            let _ = fs::remove_file(temp);
            Err(e)
        }
    }
}

/// The directory a file is in (`.` for a bare name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("zedis-rdb-file-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = scratch_dir("fail");
        let path = dir.join("dump.rdb");
        fs::write(&path, b"old").unwrap();
        let err = write_atomically(&path, |mut w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert!(!temp_path(&dir).exists());
        write_atomically(&path, |mut w| {
            w.write_all(b"new")?;
            Ok(w)
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!temp_path(&dir).exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_cancelled_install_leaves_the_old_file() {
        let dir = scratch_dir("install");
        let path = dir.join("dump.rdb");
        fs::write(&path, b"old").unwrap();
        let temp = dir.join("temp-bgsave.rdb");
        fs::write(&temp, b"snapshot").unwrap();
        let cancelled = Mutex::new(true);
        let file = File::open(&temp).unwrap();
        assert!(install(file, &temp, &path, &cancelled).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        // The canceller removes the temporary file: a new save may reuse its name.
        assert_eq!(fs::read(&temp).unwrap(), b"snapshot");
        fs::write(&temp, b"snapshot").unwrap();
        let file = File::open(&temp).unwrap();
        install(file, &temp, &path, &Mutex::new(false)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"snapshot");
        fs::remove_dir_all(&dir).unwrap();
    }
}
