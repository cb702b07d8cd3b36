//! `reuse-bench import-weights` converts a PyTorch checkpoint to safetensors
//! without PyTorch: every tensor under its own name, values as stored.

mod common;

use common::{expect_code, stderr, Fixture};
use std::path::Path;

#[test]
fn a_legacy_checkpoint_becomes_safetensors_and_nothing_is_overwritten() {
    let fx = Fixture::new();
    let pth = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy_state_dict.pth");
    let pth = pth.to_str().unwrap();
    let out = fx.run(&["import-weights", pth, "--out", "w/model.safetensors"]);
    expect_code(&out, 0);
    assert!(stderr(&out).contains("5 tensors"), "{}", stderr(&out));
    let tensors = candle_core::safetensors::load(fx.path("w/model.safetensors"), &candle_core::Device::Cpu).unwrap();
    let bias = tensors["classifier.1.bias"].to_vec1::<f32>().unwrap();
    assert_eq!(bias, vec![4.0, 5.0, 6.0]);
    assert_eq!(tensors["classifier.1.weight"].dims(), &[4, 3]);

    let again = fx.run(&["import-weights", pth, "--out", "w/model.safetensors"]);
    expect_code(&again, 1);
    assert!(stderr(&again).contains("never overwrites"), "{}", stderr(&again));

    std::fs::write(fx.path("junk.pth"), b"not a checkpoint").unwrap();
    let junk = fx.run(&["import-weights", "junk.pth", "--out", "j.safetensors"]);
    expect_code(&junk, 1);
    assert!(stderr(&junk).contains("junk.pth"), "{}", stderr(&junk));
    assert!(!fx.path("j.safetensors").exists());
}
