//! Seeded weight initialisation.
//!
//! candle's initialisers draw from an unseeded generator, and a `VarMap` is a
//! hash map, so the same seed would not give the same network twice. Here every
//! parameter is overwritten from the project's own ChaCha stream, visiting
//! names in sorted order: measured, that gives bit-identical weights across
//! processes, thread counts and allocators.

use super::ModelSpec;
use crate::rng::{self, Purpose};
use candle_core::Tensor;
use candle_nn::VarMap;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The initialisation a network of `spec` starts from: [`seeded_init`],
/// then the architecture's own rule where its reference implementation has
/// one. torchvision initialises MobileNetV2's convolutions from
/// `N(0, 2 / fan_out)` (Kaiming, fan-out mode): with the generic rule, its
/// pre-BatchNorm activations are tiny, the running variance keeps its
/// starting 1 for hundreds of steps, and a model trained from scratch
/// evaluates at chance (measured on the vision suite).
pub fn initialise(spec: &ModelSpec, varmap: &VarMap, seed: u64) -> candle_core::Result<()> {
    seeded_init(varmap, seed)?;
    if matches!(spec, ModelSpec::MobileNetV2 { .. }) {
        kaiming_fan_out(varmap, seed, &format!("{}.features.", super::BACKBONE))?;
    }
    Ok(())
}

/// Every 4-D weight under `prefix` from `N(0, 2 / fan_out)`, `fan_out` =
/// output channels x kernel area (PyTorch's count, groups ignored), in
/// sorted name order from the seed's own stream.
fn kaiming_fan_out(varmap: &VarMap, seed: u64, prefix: &str) -> candle_core::Result<()> {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let mut names: Vec<&String> = vars
        .keys()
        .filter(|n| n.starts_with(prefix) && n.ends_with(".weight") && vars[*n].dims().len() == 4)
        .collect();
    names.sort();
    let mut rng = rng::stream(seed ^ 0x006b_6169_6d69_6e67, Purpose::Init);
    for name in names {
        let var = &vars[name];
        let dims = var.dims();
        let std = (2.0 / (dims[0] * dims[2] * dims[3]) as f64).sqrt() as f32;
        let values: Vec<f32> = (0..var.elem_count())
            .map(|_| {
                let z: f32 = StandardNormal.sample(&mut rng);
                z * std
            })
            .collect();
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
    }
    Ok(())
}

/// Fills every parameter of `varmap`: a one-dimensional `weight` is a
/// normalisation scale and starts at 1, with its `bias` at 0; a running
/// mean starts at 0 and a running variance at 1 (PyTorch's); every other
/// tensor is drawn from `U(-b, b)`, `b = 1 / sqrt(fan_in)` (PyTorch's default
/// for linear and convolution layers), where a bias uses the fan-in of its
/// layer's weight.
pub fn seeded_init(varmap: &VarMap, seed: u64) -> candle_core::Result<()> {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let mut rng = rng::stream(seed, Purpose::Init);
    let is_scale = |name: &str| name.ends_with(".weight") && vars.get(name).is_some_and(|w| w.dims().len() == 1);
    for name in names {
        let var = &vars[name];
        let sibling = name.strip_suffix(".bias").map(|layer| format!("{layer}.weight"));
        let constant = if name.ends_with(".running_var") || is_scale(name) {
            Some(1.0)
        } else if name.ends_with(".running_mean") || sibling.as_deref().is_some_and(is_scale) {
            Some(0.0)
        } else {
            None
        };
        let values: Vec<f32> = match constant {
            Some(c) => vec![c; var.elem_count()],
            None => {
                let fan_in = match &sibling {
                    Some(weight) => vars.get(weight).map_or(1, |w| w.dims()[1..].iter().product::<usize>()),
                    None => var.dims()[1..].iter().product::<usize>(),
                };
                let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
                (0..var.elem_count()).map(|_| rng.random_range(-bound..bound)).collect()
            }
        };
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelSpec, Network};
    use candle_core::{DType, Device};
    use candle_nn::VarBuilder;

    fn weights(seed: u64) -> Vec<(String, Vec<f32>)> {
        let vm = VarMap::new();
        Network::new(
            &ModelSpec::Cnn { channels: 4 },
            40,
            5,
            0,
            VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
        )
        .unwrap();
        seeded_init(&vm, seed).unwrap();
        let data = vm.data().lock().unwrap();
        let mut out: Vec<_> = data
            .iter()
            .map(|(k, v)| (k.clone(), v.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn same_seed_bit_identical_other_seed_differs() {
        assert_eq!(weights(3), weights(3));
        assert_ne!(weights(3), weights(4));
    }

    #[test]
    fn bounds_follow_fan_in() {
        // conv1 weight is [4, 1, 5]: fan-in 5, bound 1/sqrt(5) = 0.447.
        let w = weights(1);
        let conv1 = &w.iter().find(|(k, _)| k == "backbone.conv1.weight").unwrap().1;
        assert!(conv1.iter().all(|v| v.abs() <= 0.4473));
        assert!(conv1.iter().any(|v| v.abs() > 0.2));
    }
}
