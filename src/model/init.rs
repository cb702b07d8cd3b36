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

/// Fills every parameter of `varmap` with `U(-b, b)`, `b = 1 / sqrt(fan_in)`
/// (PyTorch's default for linear and convolution layers), where a bias uses
/// the fan-in of its layer's weight.
pub fn seeded_init(varmap: &VarMap, seed: u64) -> candle_core::Result<()> {
    let vars = varmap.data().lock().expect("var map lock poisoned");
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let mut rng = rng::stream(seed, Purpose::Init);
    for name in names {
        let var = &vars[name];
        let fan_in = match name.strip_suffix(".bias") {
            Some(layer) => vars
                .get(&format!("{layer}.weight"))
                .map_or(1, |w| w.dims()[1..].iter().product::<usize>()),
            None => var.dims()[1..].iter().product::<usize>(),
        };
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        let values: Vec<f32> = (0..var.elem_count()).map(|_| rng.random_range(-bound..bound)).collect();
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
