//! Small file helpers: private files for keys, and the default data dir.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` readable by the owner only (0600 on Unix), replacing any old file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// `$XDG_DATA_HOME/chami` (or the platform's data dir), falling back to `./chami-data`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("chami"))
        .unwrap_or_else(|| PathBuf::from("chami-data"))
}

/// Creates the data dir (0700 on Unix) if it does not exist.
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes `path` (if it exists) readable by its owner only (0600 on Unix).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `path` empty and private if it does not exist, else makes it private: a file
/// SQLite then opens keeps the mode, and its `-wal` and `-shm` files take it from it.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?;
    make_private(path)
}

/// A warning when `dir` can be read or entered by its group or others (Unix).
pub fn loose_dir(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(format!(
                "data dir {} is mode {mode:o}: its group or others can reach the keys and \
                 the database; chmod 700 it",
                dir.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    None
}

/// Name of the lock file that keeps two cores off one data dir.
pub const LOCK_FILE: &str = "chami.lock";

/// An exclusive hold on a data dir; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Takes the data dir for this process. A second core on the same dir would serve stale
/// cached data, so it is refused with the holder's pid.
pub fn lock_data_dir(dir: &Path) -> std::io::Result<DataDirLock> {
    use std::io::{Read, Seek};
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(std::io::Error::other(format!(
                "data dir {} is in use by another chami (pid {}); stop it or use another --data-dir",
                dir.display(),
                if holder.is_empty() { "unknown" } else { holder }
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(std::process::id().to_string().as_bytes())?;
    Ok(DataDirLock { _file: file })
}
