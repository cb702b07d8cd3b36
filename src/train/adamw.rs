//! AdamW as one pass over each parameter, in place.
//!
//! Why not candle's `AdamW`: it builds each update from ten tensor
//! operations, allocating a fresh tensor for every intermediate and copying
//! the results back into the parameter and both moments; on the 22.7M
//! parameters of all-MiniLM-L6-v2 that was measured at ~40 ns per parameter
//! per step, about half of a fine-tuning step. Here the moments of every
//! parameter live in two contiguous buffers owned by the optimiser, and one
//! loop reads the gradient and writes the parameter and its moments once,
//! split across threads.
//!
//! Gradients come from a [`GradSink`] where the model's kernels write them
//! (linear layers, embeddings), and from candle's gradient store for the
//! rest: the sink spares each of those parameters the zero-filled gradient
//! and the copy that candle's backward pass would make of it.
//!
//! The arithmetic is candle's, operation for operation and in the same f32
//! rounding order (each `tensor * scalar` is candle's affine `x * a + 0`), so
//! a run trains to the same bits as it did with candle's optimiser: the
//! built-in suites' accuracies did not move when this replaced it.

use crate::model::ops::grad_sink::GradSink;
use crate::model::ops::simd::multiversion;
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp1, InplaceOp2, Layout, Var};
use candle_nn::{Optimizer, ParamsAdamW};
use rayon::prelude::*;
use std::cell::RefCell;

/// Elements per unit of parallel work: large enough that splitting costs
/// nothing, small enough that two threads share a 1M-element tensor.
const CHUNK: usize = 1 << 14;

/// AdamW with decoupled weight decay over a fixed list of parameters.
pub struct FusedAdamW {
    params: ParamsAdamW,
    vars: Vec<Var>,
    /// First and second moments of every var, one after another in `vars` order.
    first: Vec<f32>,
    second: Vec<f32>,
    step_t: i32,
    /// Where the kernels write the gradients of `vars` (None with the fallback).
    sink: Option<GradSink>,
    /// Where the parameters are not f32 tensors in main memory (CUDA, f16),
    /// candle's optimiser does the work.
    fallback: Option<candle_nn::AdamW>,
}

/// The scalars of one step, rounded to f32 exactly where candle rounds them.
#[derive(Clone, Copy)]
struct Coefficients {
    beta1: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    scale_m: f32,
    scale_v: f32,
    decay: f32,
    lr: f32,
    eps: f32,
}

impl Coefficients {
    fn new(p: &ParamsAdamW, step_t: i32) -> Self {
        Coefficients {
            beta1: p.beta1 as f32,
            one_minus_beta1: (1.0 - p.beta1) as f32,
            beta2: p.beta2 as f32,
            one_minus_beta2: (1.0 - p.beta2) as f32,
            scale_m: (1.0 / (1.0 - p.beta1.powi(step_t))) as f32,
            scale_v: (1.0 / (1.0 - p.beta2.powi(step_t))) as f32,
            decay: (1.0 - p.lr * p.weight_decay) as f32,
            lr: p.lr as f32,
            eps: p.eps as f32,
        }
    }

    /// One element's update; `+ 0.0` mirrors candle's affine so even the sign
    /// of a zero matches.
    #[inline(always)]
    fn update(&self, theta: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
        let next_m = (*m * self.beta1 + 0.0) + (g * self.one_minus_beta1 + 0.0);
        let next_v = (*v * self.beta2 + 0.0) + ((g * g) * self.one_minus_beta2 + 0.0);
        let m_hat = next_m * self.scale_m + 0.0;
        let v_hat = next_v * self.scale_v + 0.0;
        let decayed = *theta * self.decay + 0.0;
        let adjusted = m_hat / (v_hat.sqrt() * 1.0 + self.eps);
        *theta = decayed - (adjusted * self.lr + 0.0);
        *m = next_m;
        *v = next_v;
    }
}

multiversion! {
    /// Updates a run of parameters and their moments.
    fn update_chunk(c: &Coefficients, theta: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        for i in 0..theta.len().min(g.len()).min(m.len()).min(v.len()) {
            c.update(&mut theta[i], g[i], &mut m[i], &mut v[i]);
        }
    }
}

/// The in-place kernel: the parameter is the destination, the gradient the
/// one source (a tensor from candle's store, or the sink's slice); the
/// moments are the optimiser's slices for this parameter.
struct Kernel<'a> {
    c: Coefficients,
    moments: RefCell<(&'a mut [f32], &'a mut [f32])>,
    /// The gradient from the sink, when it came from there.
    sunk: Option<&'a [f32]>,
}

impl Kernel<'_> {
    fn update(&self, theta: &mut CpuStorage, theta_l: &Layout, g: &[f32]) -> candle_core::Result<()> {
        let CpuStorage::F32(theta) = theta else {
            candle_core::bail!("fused-adamw: f32 parameters only");
        };
        let Some((t0, t1)) = theta_l.contiguous_offsets() else {
            candle_core::bail!("fused-adamw: the parameter must be contiguous");
        };
        let theta = &mut theta[t0..t1];
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        if theta.len() != g.len() || theta.len() != m.len() {
            candle_core::bail!(
                "fused-adamw: parameter of {} values, gradient of {}",
                theta.len(),
                g.len()
            );
        }
        let c = self.c;
        theta
            .par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .for_each(|((theta, g), (m, v))| update_chunk(&c, theta, g, m, v));
        Ok(())
    }
}

impl InplaceOp2 for Kernel<'_> {
    fn name(&self) -> &'static str {
        "fused-adamw"
    }

    fn cpu_fwd(&self, dst: &mut CpuStorage, dst_l: &Layout, g: &CpuStorage, g_l: &Layout) -> candle_core::Result<()> {
        let CpuStorage::F32(g) = g else {
            candle_core::bail!("fused-adamw: f32 gradients only");
        };
        let Some((g0, g1)) = g_l.contiguous_offsets() else {
            candle_core::bail!("fused-adamw: the gradient must be contiguous");
        };
        self.update(dst, dst_l, &g[g0..g1])
    }
}

impl InplaceOp1 for Kernel<'_> {
    fn name(&self) -> &'static str {
        "fused-adamw"
    }

    fn cpu_fwd(&self, dst: &mut CpuStorage, dst_l: &Layout) -> candle_core::Result<()> {
        let Some(g) = self.sunk else {
            candle_core::bail!("fused-adamw: no gradient from the sink");
        };
        self.update(dst, dst_l, g)
    }
}

impl FusedAdamW {
    /// An optimiser over `vars` (their moments start at zero).
    pub fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        let on_cpu_f32 = vars
            .iter()
            .all(|v| v.device().is_cpu() && v.dtype() == candle_core::DType::F32);
        let fallback = if on_cpu_f32 {
            None
        } else {
            Some(candle_nn::AdamW::new(vars.clone(), params.clone())?)
        };
        let buffer = if fallback.is_some() {
            0
        } else {
            vars.iter().map(|v| v.elem_count()).sum()
        };
        Ok(FusedAdamW {
            sink: fallback.is_none().then(|| GradSink::new(&vars)),
            params,
            vars,
            first: vec![0.0; buffer],
            second: vec![0.0; buffer],
            step_t: 0,
            fallback,
        })
    }

    /// Updates every parameter that has a gradient in `grads` (or, after
    /// [`Self::backward_step`], in the sink).
    pub fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        if let Some(f) = &mut self.fallback {
            return f.step(grads);
        }
        self.step_t += 1;
        let c = Coefficients::new(&self.params, self.step_t);
        let mut first: &mut [f32] = &mut self.first;
        let mut second: &mut [f32] = &mut self.second;
        for (i, var) in self.vars.iter().enumerate() {
            let n = var.elem_count();
            let (m, rest_m) = std::mem::take(&mut first).split_at_mut(n);
            let (v, rest_v) = std::mem::take(&mut second).split_at_mut(n);
            first = rest_m;
            second = rest_v;
            let kernel = Kernel {
                c,
                moments: RefCell::new((m, v)),
                sunk: self.sink.as_ref().and_then(|s| s.gradient(i)),
            };
            if kernel.sunk.is_some() {
                var.as_tensor().inplace_op1(&kernel)?;
            } else if let Some(g) = grads.get(var.as_tensor()) {
                var.as_tensor().inplace_op2(g, &kernel)?;
            }
        }
        if let Some(sink) = &mut self.sink {
            sink.clear();
        }
        Ok(())
    }

    /// Computes the gradients of `loss` (into the sink where the kernels
    /// can) and takes one step.
    pub fn backward_step(&mut self, loss: &candle_core::Tensor) -> candle_core::Result<()> {
        let grads = match &mut self.sink {
            Some(sink) => sink.collect(|| loss.backward())?,
            None => loss.backward()?,
        };
        self.step(&grads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use candle_nn::AdamW;

    /// A parameter of `shape` holding deterministic values in [-1, 1).
    fn var(shape: &[usize], seed: u32) -> Var {
        let values: Vec<f32> = (0..shape.iter().product::<usize>())
            .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu).unwrap()).unwrap()
    }

    fn vars(seed: u32) -> Vec<Var> {
        vec![var(&[200, 200], seed + 1), var(&[7], seed + 2), var(&[3], seed + 3)]
    }

    /// A loss whose gradient differs per element and changes as weights move.
    fn loss(vars: &[Var]) -> Tensor {
        let parts: Vec<Tensor> = vars
            .iter()
            .map(|v| {
                let t = v.as_tensor().flatten_all().unwrap();
                (t.sqr().unwrap() * 0.5).unwrap().sum_all().unwrap() + t.sin().unwrap().sum_all().unwrap()
            })
            .map(|r| r.unwrap())
            .collect();
        Tensor::stack(&parts[..2], 0).unwrap().sum_all().unwrap() // the third var gets no gradient
    }

    fn flat(vars: &[Var]) -> Vec<u32> {
        vars.iter()
            .flat_map(|v| v.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap())
            .map(f32::to_bits)
            .collect()
    }

    /// Takes `steps` steps of `loss` with candle's AdamW on `a` and the fused
    /// one on `b` (weight decay 0.01).
    fn step_both(a: &[Var], b: &[Var], lr: f64, steps: usize, loss: impl Fn(&[Var]) -> Tensor) {
        let params = ParamsAdamW {
            lr,
            weight_decay: 0.01,
            ..Default::default()
        };
        let mut reference = AdamW::new(a.to_vec(), params.clone()).unwrap();
        let mut fused = FusedAdamW::new(b.to_vec(), params).unwrap();
        for _ in 0..steps {
            reference.backward_step(&loss(a)).unwrap();
            fused.backward_step(&loss(b)).unwrap();
        }
    }

    /// The fused optimiser reproduces candle's to the bit over several steps,
    /// and leaves alone a parameter without a gradient.
    #[test]
    fn matches_candles_adamw_bit_for_bit() {
        let (a, b) = (vars(7), vars(7));
        let untouched = flat(&a[2..]);
        step_both(&a, &b, 3e-3, 5, loss);
        assert_eq!(flat(&a), flat(&b));
        assert_eq!(flat(&b[2..]), untouched);
        assert_ne!(flat(&b[..1]), flat(&vars(7)[..1]), "the weights moved");
    }

    /// Through the kernels that write into the sink (an embedding and a
    /// linear layer), the fused optimiser still takes candle's steps to the bit.
    #[test]
    fn gradients_from_the_sink_give_candles_steps() {
        use crate::model::ops::{embedding, linear};
        let dev = Device::Cpu;
        // An embedding table, a linear layer's weight and bias, and a parameter outside both.
        let make = |seed: u32| {
            vec![
                var(&[400, 100], seed),
                var(&[7, 100], seed + 1),
                var(&[7], seed + 2),
                var(&[3], seed + 3),
            ]
        };
        let ids = Tensor::new(&[3u32, 17, 3, 399, 0, 17], &dev).unwrap();
        let target = Tensor::from_vec((0..42).map(|i| (i % 5) as f32 - 2.0).collect::<Vec<_>>(), (6, 7), &dev).unwrap();
        let loss = |v: &[Var]| -> Tensor {
            let x = embedding(v[0].as_tensor(), &ids).unwrap();
            let y = linear(&x, v[1].as_tensor(), v[2].as_tensor()).unwrap();
            ((y - &target).unwrap().sqr().unwrap().sum_all().unwrap() + v[3].as_tensor().sum_all().unwrap()).unwrap()
        };
        let (a, b) = (make(3), make(3));
        step_both(&a, &b, 1e-3, 4, loss);
        assert_eq!(flat(&a), flat(&b));
        assert_ne!(flat(&b[1..3]), flat(&make(3)[1..3]), "the linear layer trained");
    }
}
