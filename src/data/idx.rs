//! IDX files (the MNIST and Fashion-MNIST format), raw or gzipped.
//!
//! An IDX file is a 4-byte magic number (two zero bytes, a type code, the
//! number of dimensions), one big-endian u32 per dimension, then the values
//! in row-major order. reuse-bench reads the unsigned-byte type (0x08), which
//! is what MNIST-style images and labels use. Errors name the file, the byte
//! offset and what was expected there.

use crate::{fsio, Error, Result};
use std::path::Path;

/// Type code of unsigned bytes.
const UBYTE: u8 = 0x08;

/// An n-dimensional array of bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension, e.g. `[60000, 28, 28]`.
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

impl IdxArray {
    /// Values per item: the product of every dimension but the first.
    pub fn item_len(&self) -> usize {
        self.dims[1..].iter().product()
    }

    /// Number of items (the first dimension).
    pub fn items(&self) -> usize {
        self.dims[0]
    }
}

/// Reads an IDX file; a gzip-compressed one (starting 1f 8b) is decompressed first.
pub fn read(path: &Path) -> Result<IdxArray> {
    let bytes = fsio::read_maybe_gzip(path)?;
    parse(&bytes).map_err(|(offset, expected)| {
        Error::data(
            path.display(),
            format!("at byte {offset}: expected {expected}; is it an IDX file?"),
        )
    })
}

/// Parses IDX bytes; an error is (byte offset, what was expected there).
pub fn parse(bytes: &[u8]) -> std::result::Result<IdxArray, (usize, String)> {
    if bytes.len() < 4 {
        return Err((bytes.len(), "a 4-byte magic number".into()));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err((0, format!("two zero bytes, found {:02x} {:02x}", bytes[0], bytes[1])));
    }
    if bytes[2] != UBYTE {
        return Err((2, format!("type code 0x08 (unsigned bytes), found 0x{:02x}", bytes[2])));
    }
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err((3, "at least one dimension".into()));
    }
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err((bytes.len(), format!("{ndim} dimension sizes (a {header}-byte header)")));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize)
        .collect();
    let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let Some(count) = count else {
        return Err((4, "dimension sizes whose product fits in memory".into()));
    };
    let available = bytes.len() - header;
    if available != count {
        return Err((
            bytes.len(),
            format!("{count} values for dimensions {dims:?}, found {available} (truncated or padded file)"),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Encodes bytes as an unsigned-byte IDX file.
pub fn encode(array: &IdxArray) -> Vec<u8> {
    let mut out = vec![0, 0, UBYTE, array.dims.len() as u8];
    for &d in &array.dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&array.data);
    out
}

/// Reads an images file and a labels file of the same length, e.g. MNIST's
/// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
pub fn read_pair(images: &Path, labels: &Path) -> Result<(IdxArray, Vec<u8>)> {
    let x = read(images)?;
    let y = read(labels)?;
    if y.dims.len() != 1 || y.items() != x.items() {
        return Err(Error::data(
            images.display(),
            format!(
                "has {} items but {} has dimensions {:?}: expected one label per image",
                x.items(),
                labels.display(),
                y.dims
            ),
        ));
    }
    Ok((x, y.data))
}

/// The first existing file among `names` in `dir` (plain or `.gz`).
pub fn find(dir: &Path, names: &[&str]) -> Option<std::path::PathBuf> {
    names
        .iter()
        .flat_map(|n| [dir.join(n), dir.join(format!("{n}.gz"))])
        .find(|p| p.is_file())
}

/// Writes an array as an unsigned-byte IDX file (atomically), e.g. a subset of MNIST.
pub fn write(path: &Path, array: &IdxArray) -> Result<()> {
    fsio::write_atomic(path, &encode(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn images() -> IdxArray {
        IdxArray {
            dims: vec![2, 2, 3],
            data: vec![0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
        }
    }

    #[test]
    fn round_trip_raw_and_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("x-idx3-ubyte");
        write(&raw, &images()).unwrap();
        // Header by hand: 00 00 08 03, then 2, 2, 3 big-endian.
        assert_eq!(
            &std::fs::read(&raw).unwrap()[..16],
            &[0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]
        );
        assert_eq!(read(&raw).unwrap(), images());
        assert_eq!(read(&raw).unwrap().item_len(), 6);

        let gz = dir.path().join("x-idx3-ubyte.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&encode(&images())).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(read(&gz).unwrap(), images());
        assert_eq!(find(dir.path(), &["nope", "x-idx3-ubyte"]), Some(raw));
    }

    #[test]
    fn malformed_files_name_offset_and_expectation() {
        let good = encode(&images());
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0, 0], "4-byte magic"),
            (vec![1, 0, 8, 1, 0, 0, 0, 0], "two zero bytes"),
            (vec![0, 0, 0x0d, 1, 0, 0, 0, 0], "type code 0x08"),
            (good[..10].to_vec(), "dimension sizes"),
            (good[..good.len() - 1].to_vec(), "truncated"),
        ];
        for (bytes, expected) in cases {
            let (_, msg) = parse(&bytes).unwrap_err();
            assert!(msg.contains(expected), "{msg}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        std::fs::write(&path, &good[..good.len() - 2]).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("bad") && err.contains("at byte"), "{err}");
        std::fs::write(&path, [0x1f, 0x8b, 1, 2, 3]).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("gzip"));
    }

    #[test]
    fn pairs_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let (x, y) = (dir.path().join("x"), dir.path().join("y"));
        write(&x, &images()).unwrap();
        write(
            &y,
            &IdxArray {
                dims: vec![3],
                data: vec![1, 2, 3],
            },
        )
        .unwrap();
        assert!(read_pair(&x, &y)
            .unwrap_err()
            .to_string()
            .contains("one label per image"));
        write(
            &y,
            &IdxArray {
                dims: vec![2],
                data: vec![7, 9],
            },
        )
        .unwrap();
        assert_eq!(read_pair(&x, &y).unwrap().1, vec![7, 9]);
    }
}
