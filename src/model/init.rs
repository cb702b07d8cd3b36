//! Seeded weight initialisation.
//!
//! candle's initialisers draw from an unseeded generator, and a `VarMap` is a
//! hash map, so the same seed would not give the same network twice. Here every
//! parameter is overwritten from the project's own ChaCha stream, visiting
//! names in sorted order: measured, that gives bit-identical weights across
//! processes, thread counts and allocators.

use crate::rng::{self, Purpose};
use candle_core::Tensor;
use candle_nn::VarMap;
use rand::Rng;

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
        } else if name.ends_with(".running_mean") {
            Some(0.0)
        } else if sibling.as_deref().is_some_and(is_scale) {
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
