//! Fused CPU kernels, with analytic backward passes, for the operations a
//! transformer is built from: fully connected layers, embedding lookups,
//! attention, LayerNorm, softmax and GELU; and the depthwise convolution and
//! BatchNorm of MobileNet-style vision backbones. Linear layers and embeddings
//! hand their parameters' gradients to the optimiser through [`grad_sink`].
//!
//! Why: candle 0.11's fused LayerNorm and `softmax_last_dim` have no backward
//! pass, so a trainable transformer has to compose them from small tensor
//! operations, each allocating its result and each adding nodes (and zeroed
//! gradient buffers) to the backward pass; its exact GELU calls a scalar
//! `erf` per value and differentiates through ten more operations. Here each
//! forward pass is one kernel over the rows, and each backward pass another.
//!
//! On a device other than the CPU (a CUDA build) the functions fall back to
//! candle's composed operations, which compute the same function.
//!
//! Work is split across threads in fixed blocks of rows and per-block partial
//! sums are added in block order, so results never depend on the thread count.

mod attention;
mod batch_norm;
mod depthwise;
mod embedding;
mod fast_math;
mod gelu;
pub mod grad_sink;
mod layer_norm;
mod linear;
mod matmul;
mod pointwise;
mod residual_norm;
pub(crate) mod simd;
mod softmax;

pub use attention::{attention, AttentionSpec};
pub use batch_norm::{channel_moments, BatchNormPass};
pub use depthwise::Depthwise;
pub use embedding::embedding;
pub use gelu::gelu_erf;
pub use layer_norm::layer_norm;
pub use linear::{linear, linear_gelu};
pub use pointwise::pointwise_conv;
pub use residual_norm::residual_layer_norm;
pub use simd::{check_level_cap, vector_level, Level, LEVEL_CAP_VAR};
pub use softmax::softmax_last_dim;

use candle_core::{bail, CpuStorage, Layout, Shape, Tensor};
use std::mem::MaybeUninit;

/// Rows per unit of parallel work.
const ROWS_PER_BLOCK: usize = 16;

/// The f32 values of a contiguous CPU tensor.
fn values<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(v) = storage else {
        bail!("{op}: f32 tensors only")
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("{op}: the input must be contiguous")
    };
    Ok(&v[start..end])
}

/// Splits a backward kernel's flat output into its consecutive gradients, of
/// the given shapes (a custom op returns one tensor, so the gradients of its
/// inputs travel packed in one buffer).
fn unpack<const N: usize>(packed: &Tensor, shapes: [&Shape; N]) -> candle_core::Result<[Tensor; N]> {
    let mut at = 0;
    let mut parts = Vec::with_capacity(N);
    for shape in shapes {
        let n = shape.elem_count();
        parts.push(packed.narrow(0, at, n)?.reshape(shape)?);
        at += n;
    }
    Ok(parts.try_into().unwrap_or_else(|_| unreachable!("one part per shape")))
}

/// Runs `f` on the f32 values of contiguous CPU tensors.
///
/// Why: a backward kernel often needs more inputs than a custom op takes
/// (three); reading them here spares stacking two of them into a copy.
fn with_values<const N: usize, R>(
    tensors: [&Tensor; N],
    op: &str,
    f: impl FnOnce([&[f32]; N]) -> candle_core::Result<R>,
) -> candle_core::Result<R> {
    let guards: Vec<_> = tensors.iter().map(|t| t.storage_and_layout()).collect();
    let mut slices = Vec::with_capacity(N);
    for (storage, layout) in &guards {
        let candle_core::Storage::Cpu(cpu) = &**storage else {
            bail!("{op}: CPU tensors only")
        };
        slices.push(values(cpu, layout, op)?);
    }
    f(slices
        .try_into()
        .unwrap_or_else(|_| unreachable!("one slice per tensor")))
}

/// A vector of `n` values that `fill` writes into the uninitialised buffer
/// it is given, without the zero-fill of `vec![0.0; n]`.
///
/// Why: outputs a kernel overwrites in full gain nothing from being zeroed
/// first, and those fills were about 2% of a MiniLM training step.
///
/// # Safety
/// `fill` must initialise all `n` values.
unsafe fn written(n: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut v = Vec::with_capacity(n);
    fill(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: the caller's promise: all n values were written.
    unsafe { v.set_len(n) };
    v
}

/// Zeroes an uninitialised buffer and hands it back as values (a block of a
/// [`written`] output that a kernel accumulates into).
fn zeroed(s: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    for v in s.iter_mut() {
        v.write(0.0);
    }
    // SAFETY: every value was just written, and MaybeUninit<f32> has f32's layout.
    unsafe { &mut *(std::ptr::from_mut(s) as *mut [f32]) }
}

/// Width of the last dimension, checking that the tensor has one.
fn last_dim(layout: &Layout, op: &str) -> candle_core::Result<usize> {
    match layout.dims().last() {
        Some(&d) if d > 0 => Ok(d),
        _ => bail!("{op}: needs a non-empty last dimension, got shape {:?}", layout.dims()),
    }
}

#[cfg(test)]
pub(crate) mod gradcheck {
    //! Gradients against central finite differences, computed in f64 from
    //! the forward function itself.

    use candle_core::{Device, Tensor, Var};

    /// The largest absolute difference between two tensors of one shape.
    pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    /// Deterministic values in about [-2, 2].
    pub fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let h = (i as u32 ^ seed).wrapping_mul(2_654_435_761).rotate_left(13);
                (h % 4001) as f32 / 1000.0 - 2.0
            })
            .collect()
    }

    /// Checks d(sum(f(inputs) * w))/d(input k) for every input and element,
    /// where `w` is a fixed weighting (so the upstream gradient is not flat).
    pub fn check(inputs: &[Vec<f32>], shapes: &[&[usize]], f: impl Fn(&[Tensor]) -> Tensor, tolerance: f64) {
        let dev = Device::Cpu;
        let vars: Vec<Var> = inputs
            .iter()
            .zip(shapes)
            .map(|(v, s)| Var::from_tensor(&Tensor::from_vec(v.clone(), *s, &dev).unwrap()).unwrap())
            .collect();
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let out = f(&tensors);
        let w = Tensor::from_vec(values(out.elem_count(), 99), out.shape(), &dev).unwrap();
        let objective = |ts: &[Tensor]| -> f64 {
            let o = f(ts).to_dtype(candle_core::DType::F64).unwrap();
            let w = w.to_dtype(candle_core::DType::F64).unwrap();
            (o * w).unwrap().sum_all().unwrap().to_scalar::<f64>().unwrap()
        };
        let grads = (out * &w).unwrap().sum_all().unwrap().backward().unwrap();
        for (k, var) in vars.iter().enumerate() {
            let analytic = grads
                .get(var.as_tensor())
                .unwrap_or_else(|| panic!("input {k} got no gradient"))
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            for i in 0..inputs[k].len() {
                let eps = 1e-2f32;
                let at = |delta: f32| -> f64 {
                    let mut moved = inputs[k].clone();
                    moved[i] += delta;
                    let mut ts = tensors.clone();
                    ts[k] = Tensor::from_vec(moved, shapes[k], &dev).unwrap();
                    objective(&ts)
                };
                let numeric = (at(eps) - at(-eps)) / (2.0 * eps as f64);
                let a = analytic[i] as f64;
                assert!(
                    (a - numeric).abs() <= tolerance * (1.0 + numeric.abs()),
                    "input {k}, element {i}: analytic {a} vs numeric {numeric}"
                );
            }
        }
    }
}
