//! PyTorch checkpoints (`.pth`, `.pt`) read without PyTorch, so a zoo
//! model's weights can be converted once to safetensors
//! (`reuse-bench import-weights`).
//!
//! Two formats exist. Since PyTorch 1.6 `torch.save` writes a zip archive,
//! which candle reads. Older files (torchvision's 2018 ImageNet weights among
//! them) use the legacy format: five pickles in a row, then the raw storages.
//! The pickles are the magic number, the protocol version, the system info,
//! the object (a state dict whose tensors point at storages by key) and the
//! sorted storage keys. Each storage then follows as its element count
//! (little-endian i64) and its bytes. The pickles are parsed with candle's
//! pickle reader; the storages and each tensor's offset and strides are read
//! here.

use crate::{Error, Result};
use candle_core::pickle::{Object, Stack};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::Path;

/// The first pickle of a legacy file, matched byte for byte (candle's reader
/// cannot hold a 10-byte integer): protocol 2, the magic number
/// 0x1950a86a20f9469cfc6c as a LONG1, STOP.
const LEGACY_MAGIC: [u8; 15] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

/// Every tensor of a PyTorch checkpoint's state dict, by name, in file order.
pub fn read_pth(path: &Path) -> Result<Vec<(String, Tensor)>> {
    let bad = |message: String| Error::Checkpoint {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    if bytes.starts_with(b"PK\x03\x04") {
        return candle_core::pickle::read_all(path).map_err(|e| bad(format!("cannot read this zip checkpoint: {e}")));
    }
    if !bytes.starts_with(&LEGACY_MAGIC) {
        return Err(bad(
            "not a PyTorch checkpoint (neither a zip archive nor the legacy format)".into(),
        ));
    }
    read_legacy(&bytes[LEGACY_MAGIC.len()..]).map_err(|e| bad(format!("a legacy-format checkpoint, but {e}")))
}

/// A storage's bytes and element type.
struct Storage {
    dtype: DType,
    bytes: Vec<u8>,
}

fn read_legacy(rest: &[u8]) -> std::result::Result<Vec<(String, Tensor)>, String> {
    let mut r = Cursor::new(rest);
    let mut next = |what: &str| -> std::result::Result<Object, String> {
        let mut stack = Stack::empty();
        stack
            .read_loop(&mut r)
            .and_then(|()| stack.finalize())
            .map_err(|e| format!("its {what} pickle does not parse: {e}"))
    };
    let _protocol = next("protocol version")?;
    let _sys_info = next("system info")?;
    let object = next("state dict")?;
    let keys: Vec<String> = match next("storage keys")? {
        Object::List(items) => items
            .into_iter()
            .map(|k| k.unicode().map_err(|o| format!("a storage key is {o:?}")))
            .collect::<std::result::Result<_, _>>()?,
        other => return Err(format!("its storage keys are {other:?}, not a list")),
    };
    let entries = state_dict(object)?;
    // The element type of each storage, from the tensors that use it.
    let mut dtypes: HashMap<String, DType> = HashMap::new();
    let mut tensors = Vec::new();
    for (name, value) in entries {
        let info = value
            .into_tensor_info(Object::Unicode(name.clone()), Path::new(""))
            .map_err(|e| format!("tensor {name}: {e}"))?
            .ok_or_else(|| format!("entry {name} is not a tensor"))?;
        let key = info.path.trim_start_matches('/').to_string();
        dtypes.insert(key.clone(), info.dtype);
        tensors.push((name, key, info));
    }
    let mut storages: HashMap<String, Storage> = HashMap::new();
    let mut raw = Vec::new();
    r.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let mut at = 0usize;
    for key in keys {
        let dtype = *dtypes
            .get(&key)
            .ok_or_else(|| format!("storage {key} is used by no tensor"))?;
        let count = raw
            .get(at..at + 8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .filter(|&n| n >= 0)
            .ok_or_else(|| format!("it ends before storage {key}'s size: truncated"))? as usize;
        let len = count * dtype.size_in_bytes();
        let bytes = raw
            .get(at + 8..at + 8 + len)
            .ok_or_else(|| format!("it ends inside storage {key} ({count} elements): truncated"))?;
        storages.insert(
            key,
            Storage {
                dtype,
                bytes: bytes.to_vec(),
            },
        );
        at += 8 + len;
    }
    tensors
        .into_iter()
        .map(|(name, key, info)| {
            let storage = storages
                .get(&key)
                .ok_or_else(|| format!("tensor {name}'s storage {key} is missing"))?;
            Ok((
                name.clone(),
                gather(storage, &info).map_err(|e| format!("tensor {name}: {e}"))?,
            ))
        })
        .collect()
}

/// The state dict's entries: the object itself, or its `state_dict` entry
/// (a training checkpoint that wraps it).
fn state_dict(object: Object) -> std::result::Result<Vec<(String, Object)>, String> {
    let entries = object.dict().map_err(|o| format!("it holds {o:?}, not a state dict"))?;
    let mut out = Vec::new();
    for (k, v) in entries {
        let name = k.unicode().map_err(|o| format!("a key is {o:?}, not a name"))?;
        if name == "state_dict" {
            return state_dict(v);
        }
        if name == "_metadata" {
            continue; // the modules' versions, which an OrderedDict state dict carries along
        }
        out.push((name, v));
    }
    Ok(out)
}

/// The tensor `info` describes, copied out of its storage element by element
/// (its offset and strides may make it a view: a transpose, a slice).
fn gather(storage: &Storage, info: &candle_core::pickle::TensorInfo) -> std::result::Result<Tensor, String> {
    let size = info.dtype.size_in_bytes();
    let dims = info.layout.dims().to_vec();
    let strides = info.layout.stride().to_vec();
    let offset = info.layout.start_offset() / size;
    let count: usize = dims.iter().product();
    let mut out = Vec::with_capacity(count * size);
    let mut index = vec![0usize; dims.len()];
    for _ in 0..count {
        let at = offset + index.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>();
        let bytes = storage
            .bytes
            .get(at * size..(at + 1) * size)
            .ok_or("it reaches past its storage")?;
        out.extend_from_slice(bytes);
        // Row-major increment of the multi-index.
        for d in (0..dims.len()).rev() {
            index[d] += 1;
            if index[d] < dims[d] {
                break;
            }
            index[d] = 0;
        }
    }
    if storage.dtype != info.dtype {
        return Err(format!("its storage holds {:?}, not {:?}", storage.dtype, info.dtype));
    }
    Tensor::from_raw_buffer(&out, info.dtype, &dims, &Device::Cpu).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tests/data/legacy_state_dict.pth`, written by `legacy_state_dict.py` with PyTorch's legacy format.
    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy_state_dict.pth")
    }

    #[test]
    fn reads_a_legacy_checkpoint_with_views_and_shared_storage() {
        let tensors: HashMap<String, Tensor> = read_pth(&fixture()).unwrap().into_iter().collect();
        assert_eq!(tensors.len(), 5);
        let w = &tensors["features.0.0.weight"];
        assert_eq!(w.dims(), &[2, 3, 2, 2]);
        let expected: Vec<f32> = (0..24).map(|i| i as f32 / 10.0).collect();
        assert_eq!(w.flatten_all().unwrap().to_vec1::<f32>().unwrap(), expected);
        assert_eq!(
            tensors["features.0.1.running_mean"].to_vec1::<f32>().unwrap(),
            vec![0.5, -1.25]
        );
        assert_eq!(
            tensors["features.0.1.num_batches_tracked"].to_scalar::<i64>().unwrap(),
            7
        );
        // arange(12).reshape(3, 4).t(): a transposed view of a storage another tensor shares.
        let t = tensors["classifier.1.weight"].to_vec2::<f32>().unwrap();
        assert_eq!(t[1], vec![1.0, 5.0, 9.0]);
        assert_eq!(
            tensors["classifier.1.bias"].to_vec1::<f32>().unwrap(),
            vec![4.0, 5.0, 6.0]
        );
    }

    #[test]
    fn damaged_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(fixture()).unwrap();
        let cut = dir.path().join("cut.pth");
        std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
        let e = read_pth(&cut).unwrap_err().to_string();
        assert!(e.contains("cut.pth") && e.contains("truncated"), "{e}");
        let other = dir.path().join("other.pth");
        std::fs::write(&other, b"hello").unwrap();
        let e = read_pth(&other).unwrap_err().to_string();
        assert!(e.contains("other.pth") && e.contains("not a PyTorch checkpoint"), "{e}");
    }
}
