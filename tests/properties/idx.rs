//! The IDX reader: any bytes parse to a consistent array or an error, and a
//! file's errors name the file.

use crate::mutate::{check, gzip, mutated, names};
use proptest::prelude::*;
use reuse_bench::data::idx::{self, IdxArray};

/// A small valid array: one to three dimensions of 0 to 5, filled with bytes.
fn array() -> impl Strategy<Value = IdxArray> {
    prop::collection::vec(0usize..6, 1..4).prop_flat_map(|dims| {
        let count: usize = dims.iter().product();
        prop::collection::vec(any::<u8>(), count).prop_map(move |data| IdxArray {
            dims: dims.clone(),
            data,
        })
    })
}

/// Valid files of `items` items with 0 to 3 values per dimension after the
/// first, and `more` more dimensions.
fn items_of(items: usize, more: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0usize..4, more).prop_flat_map(move |rest| {
        let dims = [vec![items], rest].concat();
        let count: usize = dims.iter().product();
        prop::collection::vec(any::<u8>(), count).prop_map(move |data| {
            idx::encode(&IdxArray {
                dims: dims.clone(),
                data,
            })
        })
    })
}

/// What a parsed array must satisfy whatever the input.
fn consistent(a: &IdxArray, input: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(!a.dims.is_empty());
    prop_assert_eq!(a.data.len(), a.dims.iter().product::<usize>());
    prop_assert_eq!(a.items() * a.item_len(), a.data.len());
    prop_assert_eq!(idx::encode(a), input.to_vec());
    Ok(())
}

#[test]
fn valid_arrays_round_trip() {
    check(128, array(), |a| {
        prop_assert_eq!(idx::parse(&idx::encode(&a)), Ok(a));
        Ok(())
    });
}

#[test]
fn arbitrary_bytes_never_panic() {
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        // A plausible start: two zero bytes, the byte type, a dimension count.
        (0u8..6, prop::collection::vec(any::<u8>(), 0..48)).prop_map(|(n, rest)| [vec![0, 0, 8, n], rest].concat()),
    ];
    check(256, bytes, |bytes| {
        match idx::parse(&bytes) {
            Ok(a) => consistent(&a, &bytes)?,
            Err((offset, expected)) => {
                prop_assert!(offset <= bytes.len(), "offset {offset} past the end");
                prop_assert!(!expected.is_empty());
            }
        }
        Ok(())
    });
}

#[test]
fn huge_declared_dimensions_are_refused_without_allocating() {
    // Any sizes up to u32::MAX, with a few bytes of payload: the product may
    // overflow or ask for terabytes; either way an error, not an allocation.
    let header = (
        prop::collection::vec(any::<u32>(), 1..6),
        prop::collection::vec(any::<u8>(), 0..8),
    );
    check(256, header, |(dims, payload)| {
        let mut bytes = vec![0, 0, 8, dims.len() as u8];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&payload);
        let product = dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
        match idx::parse(&bytes) {
            Ok(a) => {
                prop_assert_eq!(product, Some(payload.len() as u64));
                consistent(&a, &bytes)?;
            }
            Err((_, expected)) => prop_assert_ne!(product, Some(payload.len() as u64), "{}", expected),
        }
        Ok(())
    });
}

#[test]
fn mutated_files_read_or_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let valid = idx::encode(&IdxArray {
        dims: vec![3, 2, 4],
        data: (0..24).collect(),
    });
    let inputs = (mutated(valid), any::<bool>());
    check(192, inputs, |(bytes, gzipped)| {
        let path = dir
            .path()
            .join(if gzipped { "x-idx3-ubyte.gz" } else { "x-idx3-ubyte" });
        std::fs::write(&path, if gzipped { gzip(&bytes) } else { bytes.clone() }).unwrap();
        match idx::read(&path) {
            Ok(a) => consistent(&a, &bytes)?,
            Err(e) => names(&e, &path.display().to_string())?,
        }
        Ok(())
    });
}

#[test]
fn corrupt_gzip_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("y-idx1-ubyte.gz");
    let valid = gzip(&idx::encode(&IdxArray {
        dims: vec![4],
        data: vec![1, 2, 3, 4],
    }));
    check(128, mutated(valid), |bytes| {
        std::fs::write(&path, &bytes).unwrap();
        match idx::read(&path) {
            Ok(a) => prop_assert_eq!(a.dims.len(), 1),
            Err(e) => names(&e, &path.display().to_string())?,
        }
        Ok(())
    });
}

#[test]
fn mutated_pairs_read_or_name_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = (dir.path().join("images"), dir.path().join("labels"));
    let images = idx::encode(&IdxArray {
        dims: vec![2, 2, 2],
        data: vec![0, 9, 8, 7, 6, 5, 4, 3],
    });
    let labels = idx::encode(&IdxArray {
        dims: vec![2],
        data: vec![1, 7],
    });
    check(128, (mutated(images), mutated(labels)), |(images, labels)| {
        std::fs::write(&x, &images).unwrap();
        std::fs::write(&y, &labels).unwrap();
        match idx::read_pair(&x, &y) {
            Ok((a, l)) => {
                prop_assert_eq!(a.items(), l.len());
                consistent(&a, &images)?;
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(
                    message.contains(&*x.to_string_lossy()) || message.contains(&*y.to_string_lossy()),
                    "names neither file: {message}"
                );
            }
        }
        Ok(())
    });
}

#[test]
fn mutated_mnist_converts_or_names_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let images = idx::encode(&IdxArray {
        dims: vec![2, 3, 3],
        data: vec![0, 255, 0, 255, 255, 255, 0, 255, 0, 9, 0, 0, 0, 0, 0, 0, 0, 200],
    });
    let labels = idx::encode(&IdxArray {
        dims: vec![2],
        data: vec![1, 7],
    });
    let files = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ];
    // Damaged files, or well-formed ones of other shapes and any labels.
    let inputs = (
        prop_oneof![mutated(images.clone()), items_of(2, 0..4)],
        prop_oneof![mutated(labels.clone()), items_of(2, 0..2)],
        0..files.len(),
    );
    check(128, inputs, |(bad_images, bad_labels, which)| {
        for (i, name) in files.iter().enumerate() {
            let bytes = match (i == which, name.contains("images")) {
                (true, true) => bad_images.clone(),
                (true, false) => bad_labels.clone(),
                (false, true) => images.clone(),
                (false, false) => labels.clone(),
            };
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        match reuse_bench::data::digits::mnist_8x8(dir.path()) {
            Ok(ds) => {
                prop_assert_eq!(ds.features.len(), ds.labels.len() * ds.feature_len);
                prop_assert!(ds.labels.iter().all(|&l| l < 10), "labels {:?}", ds.labels);
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(files.iter().any(|f| message.contains(f)), "names no file: {message}");
            }
        }
        Ok(())
    });
}
