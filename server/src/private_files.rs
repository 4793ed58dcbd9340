//! Files the gateway cannot rebuild (its vault keys, its signing key) and the data dir that holds
//! them: created private from the first byte (no window in which another local user can open
//! them before a chmod), and written whole or not at all (a temporary file in the same
//! directory, fsynced, renamed over the target, then the directory fsynced), so neither a
//! concurrent reader nor a crash or filesystem fault right after the write sees a torn or empty
//! key file.

use std::io::Write;
use std::path::Path;

/// Makes files and directories the process creates private to its user (`umask 077`), for
/// everything written after this call: the database, its WAL and journal files, logs.
pub fn restrict_new_files() {
    #[cfg(unix)]
    // SAFETY: umask(2) only sets the process's file-creation mask; it cannot fail.
    #[allow(unsafe_code, reason = "umask has no safe interface in std")]
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and missing parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Replaces `path` with `contents` atomically and durably; the file has mode 0600 from its
/// creation on.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Makes a rename or a new file in `dir` durable (a directory entry is data of the directory).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_whole_and_leave_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("private-files-{}", uuid::Uuid::new_v4().simple()));
        create_private_dir(&dir.join("nested")).unwrap();
        let path = dir.join("nested").join("key");
        write_private_file(&path, b"one").unwrap();
        write_private_file(&path, b"two two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(dir.join("nested")).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let names: Vec<_> = std::fs::read_dir(dir.join("nested")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("key")], "no temporary file left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
