//! File operations whose errors carry the path, and atomic writes so that a
//! crash or a full disk never leaves a half-written result file behind.

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary file in the same folder and a
/// rename, so that readers see either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    persist_atomic(path, |tmp| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(tmp)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| Error::io("writing", path, e))
    })
}

/// Creates `path` atomically from whatever `fill` writes to the temporary
/// path it is given (in the same folder, so the final rename never crosses a
/// file system): a crash, a full disk or a failed `fill` leaves no partial
/// file at `path`, and readers see the old file or the whole new one.
pub fn persist_atomic(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or_else(|| Path::new("."));
    let tmp = tempfile::Builder::new()
        .permissions(readable_by_all())
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary file in", dir, e))?;
    fill(tmp.path())?;
    std::fs::File::open(tmp.path())
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("syncing", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("renaming a temporary file to", path, e.error))?;
    Ok(())
}

/// Report files are meant to be shared: rw-r--r-- like any file the user
/// writes (temporary files default to owner-only).
fn readable_by_all() -> std::fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o644)
    }
    #[cfg(not(unix))]
    {
        std::fs::Permissions::from(std::fs::metadata(".").expect("the current folder exists").permissions())
    }
}

/// `bytes` decompressed if they are gzip (they start 1f 8b), else as they are;
/// `origin` names them in errors.
pub fn gunzip_if_needed(bytes: Vec<u8>, origin: &str) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
        .map_err(|e| Error::data(origin, format!("not a valid gzip file ({e}); get it again")))?;
    Ok(out)
}

/// Reads a whole file, decompressing it when it is gzipped.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    gunzip_if_needed(raw, &path.display().to_string())
}

/// Reads a whole file as text.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))
}

/// Creates a folder and its parents.
pub fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::io("creating folder", path, e))
}

/// Appends one line to a file and syncs it, so that each finished run is on
/// disk before the next one starts.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io("opening", path, e))?;
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    file.write_all(&buf)
        .and_then(|_| file.sync_data())
        .map_err(|e| Error::io("appending to", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }

    #[test]
    fn failed_fill_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let err = persist_atomic(&path, |_| Err(Error::Report("disk full".into()))).unwrap_err();
        assert!(err.to_string().contains("disk full"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn errors_name_the_path() {
        let err = read_to_string(Path::new("/no/such/file.toml")).unwrap_err();
        assert!(err.to_string().contains("/no/such/file.toml"), "{err}");
    }
}
