//! A fully connected layer as one operation: `y = x W^T + b` over the last
//! dimension of `x` (any rank), with its backward pass in one kernel too.
//!
//! Why: composed from reshape, matmul and broadcast-add, a layer is four
//! nodes of candle's backward pass, and candle gives every node's input a
//! zeroed gradient buffer and then adds into it; for a transformer's wide
//! activations those buffers cost more than the products. Here the forward
//! pass is one matrix product that starts from the bias, and the backward
//! pass two products (`dx = dy W`, `dW = dy^T x`) and a column sum.
//! [`linear_gelu`] is the same operation with the feed-forward block's GELU
//! after the product.

mod backward;

use super::grad_sink;
use super::matmul::{all_threads, product, Matrix, Start};
use super::{gelu, values, with_values, written};
use backward::LinearBackward;
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, Tensor};
use std::mem::MaybeUninit;
use std::sync::OnceLock;

/// `x W^T + b`; `x` is `[..., in]`, `weight` `[out, in]`, `bias` `[out]`.
pub fn linear(x: &Tensor, weight: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        let (rows, in_dim) = (x.elem_count() / weight.dim(1)?, weight.dim(1)?);
        let mut dims = x.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = weight.dim(0)?;
        }
        return x
            .reshape((rows, in_dim))?
            .matmul(&weight.t()?)?
            .broadcast_add(bias)?
            .reshape(dims);
    }
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, Linear { gelu: None })
}

/// `gelu(x W^T + b)` (the exact GELU of [`super::gelu_erf`]) as one operation.
///
/// Why: as two operations the pre-activation is a node of the backward pass,
/// and candle zero-fills its gradient and adds into it: a transformer's
/// widest activation, four times the hidden width. Fused, the kernel keeps
/// the pre-activation itself when a backward pass may need it, and applies
/// the GELU in place when none can (evaluation).
pub fn linear_gelu(x: &Tensor, weight: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    if !x.device().is_cpu() {
        return super::gelu_erf(&linear(x, weight, bias)?);
    }
    let op = Linear {
        gelu: Some(PreActivation {
            keep: x.track_op() || weight.track_op() || bias.track_op(),
            kept: OnceLock::new(),
        }),
    };
    x.contiguous()?
        .apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)
}

/// The checked values of `x`, `weight`, `bias`, and (rows, in, out).
#[allow(clippy::type_complexity)]
fn operands<'a>(
    x: (&'a CpuStorage, &Layout),
    w: (&'a CpuStorage, &Layout),
    b: (&'a CpuStorage, &Layout),
    op: &str,
) -> candle_core::Result<(&'a [f32], &'a [f32], &'a [f32], (usize, usize, usize))> {
    let (out_dim, in_dim) = match w.1.dims() {
        &[o, i] if o > 0 && i > 0 => (o, i),
        d => bail!("{op}: weight of shape {d:?}, expected [out, in]"),
    };
    if x.1.dims().last() != Some(&in_dim) || b.1.dims() != [out_dim] {
        bail!(
            "{op}: input {:?}, weight [{out_dim}, {in_dim}], bias {:?} do not fit",
            x.1.dims(),
            b.1.dims()
        )
    }
    let xv = values(x.0, x.1, op)?;
    Ok((
        xv,
        values(w.0, w.1, op)?,
        values(b.0, b.1, op)?,
        (xv.len() / in_dim, in_dim, out_dim),
    ))
}

/// The forward operation, with or without a GELU after the product.
struct Linear {
    gelu: Option<PreActivation>,
}

/// A GELU's input `x W^T + b`, kept by the forward pass when `keep` (a
/// backward pass may follow).
struct PreActivation {
    keep: bool,
    kept: OnceLock<Vec<f32>>,
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        match self.gelu {
            Some(_) => "linear-gelu",
            None => "linear",
        }
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, w, b, (rows, in_dim, out_dim)) = operands((xs, xl), (ws, wl), (bs, bl), self.name())?;
        // Without a GELU, the product starts from the bias. With one, it
        // starts from zero and the GELU's pass adds the bias (so the
        // pre-activation is `sum + bias`, the bits it has always had).
        let start = match self.gelu {
            None => Start::Bias(b),
            Some(_) => Start::Zero,
        };
        let fill = |y: &mut [MaybeUninit<f32>]| {
            // SAFETY: y holds rows x out values, x is rows x in, w is out x in
            // (read transposed), and b out values, as `operands` checked.
            unsafe {
                product(
                    y.as_mut_ptr().cast(),
                    out_dim,
                    start,
                    (rows, out_dim, in_dim),
                    Matrix::rows(x, in_dim),
                    Matrix::rows(w, in_dim).transposed(),
                    1.0,
                    all_threads(),
                )
            }
        };
        // SAFETY: the product (which starts from the bias or zero) writes every value of y.
        let mut y = unsafe { written(rows * out_dim, fill) };
        let y = match &self.gelu {
            None => y,
            Some(pre) if pre.keep => {
                let activated = gelu::bias_forward_values(&mut y, b);
                // The op runs its forward pass once, so the cell is empty.
                let _ = pre.kept.set(y);
                activated
            }
            Some(_) => {
                gelu::bias_forward_in_place(&mut y, b);
                y
            }
        };
        let mut dims = xl.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = out_dim;
        }
        Ok((CpuStorage::F32(y), Shape::from(dims)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // Parameters with a slot in an open gradient sink get their gradients there.
        let kernel = LinearBackward {
            weight: grad_sink::takes(w).then(|| w.id()),
            bias: grad_sink::takes(b).then(|| b.id()),
        };
        let dy = dy.contiguous()?;
        // Through the GELU first: the gradient of the product's output.
        let dz = match &self.gelu {
            None => dy,
            Some(pre) => {
                let Some(z) = pre.kept.get() else {
                    bail!("linear-gelu: a backward pass through a forward pass that kept no pre-activation")
                };
                let dz = with_values([&dy], "linear-gelu", |[dy]| {
                    if dy.len() != z.len() {
                        bail!("linear-gelu: gradient of {} values for {} outputs", dy.len(), z.len())
                    }
                    Ok(gelu::backward_values(z, dy))
                })?;
                Tensor::from_vec(dz, dy.shape(), dy.device())?
            }
        };
        // One buffer: dx, then dW and db unless the sink took them.
        let packed = x.apply_op3_no_bwd(w, &dz, &kernel)?;
        let mut at = 0;
        let mut part = |shape: &Shape, sunk: bool| -> candle_core::Result<Option<Tensor>> {
            if sunk {
                return Ok(None);
            }
            let t = packed.narrow(0, at, shape.elem_count())?.reshape(shape)?;
            at += shape.elem_count();
            Ok(Some(t))
        };
        let dx = part(x.shape(), false)?;
        let dw = part(w.shape(), kernel.weight.is_some())?;
        let db = part(b.shape(), kernel.bias.is_some())?;
        Ok((dx, dw, db))
    }
}

#[cfg(test)]
mod tests {
    use super::super::gradcheck::{self, values};
    use super::*;
    use candle_core::{Device, Module, Var};

    #[test]
    fn matches_candles_linear_with_its_gradients() {
        let dev = Device::Cpu;
        let make = |n: usize, s: &[usize], seed| {
            Var::from_tensor(&Tensor::from_vec(values(n, seed), s, &dev).unwrap()).unwrap()
        };
        let (x, w, b) = (
            make(3 * 5 * 6, &[3, 5, 6], 1),
            make(4 * 6, &[4, 6], 2),
            make(4, &[4], 3),
        );
        let reference = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
        let fused = linear(&x, &w, &b).unwrap();
        let composed = reference.forward(&x).unwrap();
        assert_eq!(fused.dims(), &[3, 5, 4]);
        let close = |p: &Tensor, q: &Tensor| {
            let d = gradcheck::max_diff(p, q);
            assert!(d < 1e-5, "difference {d}");
        };
        close(&fused, &composed);
        let weights = Tensor::from_vec(values(60, 4), (3, 5, 4), &dev).unwrap();
        let ga = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (composed * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&x, &w, &b] {
            close(ga.get(v).unwrap(), gb.get(v).unwrap());
        }
    }

    #[test]
    fn linear_gelu_equals_the_two_operations_bit_for_bit() {
        let dev = Device::Cpu;
        let make = |n: usize, s: &[usize], seed| Tensor::from_vec(values(n, seed), s, &dev).unwrap();
        let (x, w, b) = (
            make(2 * 7 * 6, &[2, 7, 6], 11),
            make(9 * 6, &[9, 6], 12),
            make(9, &[9], 13),
        );
        let composed = |x: &Tensor, w: &Tensor, b: &Tensor| super::super::gelu_erf(&linear(x, w, b).unwrap()).unwrap();
        // Evaluation: nothing is tracked, so the GELU runs in place.
        assert_eq!(
            gradcheck::max_diff(&linear_gelu(&x, &w, &b).unwrap(), &composed(&x, &w, &b)),
            0.0
        );
        let vars: Vec<Var> = [&x, &w, &b].iter().map(|t| Var::from_tensor(t).unwrap()).collect();
        let (xv, wv, bv) = (vars[0].as_tensor(), vars[1].as_tensor(), vars[2].as_tensor());
        let fused = linear_gelu(xv, wv, bv).unwrap();
        let separate = composed(xv, wv, bv);
        assert_eq!(gradcheck::max_diff(&fused, &separate), 0.0);
        let weights = make(2 * 7 * 9, &[2, 7, 9], 14);
        let ga = (fused * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        let gb = (separate * &weights).unwrap().sum_all().unwrap().backward().unwrap();
        for v in &vars {
            assert_eq!(gradcheck::max_diff(ga.get(v).unwrap(), gb.get(v).unwrap()), 0.0);
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        gradcheck::check(
            &[values(7 * 5, 5), values(3 * 5, 6), values(3, 7)],
            &[&[7, 5], &[3, 5], &[3]],
            |t| linear(&t[0], &t[1], &t[2]).unwrap(),
            2e-2,
        );
        gradcheck::check(
            &[values(7 * 5, 8), values(3 * 5, 9), values(3, 10)],
            &[&[7, 5], &[3, 5], &[3]],
            |t| linear_gelu(&t[0], &t[1], &t[2]).unwrap(),
            2e-2,
        );
    }
}
