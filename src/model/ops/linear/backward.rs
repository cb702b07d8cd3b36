//! The backward kernel of [`super::linear`]: `dx = dy W`, `dW = dy^T x`
//! and `db` the column sums of `dy`, the parameters' gradients written into
//! the open [`grad_sink`] when it takes them.

use super::super::grad_sink;
use super::super::matmul::{all_threads, product, Matrix, Start};
use super::super::simd::multiversion;
use super::super::{values, written, zeroed};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Shape, TensorId};
use std::mem::MaybeUninit;

/// The backward kernel; `weight` and `bias` name the parameters whose
/// gradients go to the open [`grad_sink`] rather than into its output.
pub(super) struct LinearBackward {
    pub(super) weight: Option<TensorId>,
    pub(super) bias: Option<TensorId>,
}

impl CustomOp3 for LinearBackward {
    fn name(&self) -> &'static str {
        "linear-backward"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        dys: &CpuStorage,
        dyl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(xs, xl, self.name())?;
        let w = values(ws, wl, self.name())?;
        let dy = values(dys, dyl, self.name())?;
        let (out_dim, in_dim) = wl.shape().dims2()?;
        let rows = x.len() / in_dim;
        if dy.len() != rows * out_dim {
            bail!(
                "linear-backward: gradient of {} values for {rows} x {out_dim} outputs",
                dy.len()
            )
        }
        let kept = x.len() + self.weight.map_or(w.len(), |_| 0) + self.bias.map_or(out_dim, |_| 0);
        // dx, then the parameters' gradients the sink does not take (zeroed).
        let fill = |out: &mut [MaybeUninit<f32>]| {
            let (dx, rest) = out.split_at_mut(x.len());
            zeroed(rest);
            // SAFETY: dx holds rows x in values, dy is rows x out, w out x in, as checked above.
            unsafe {
                product(
                    dx.as_mut_ptr().cast::<f32>(),
                    in_dim,
                    Start::Zero,
                    (rows, in_dim, out_dim),
                    Matrix::rows(dy, out_dim),
                    Matrix::rows(w, in_dim),
                    1.0,
                    all_threads(),
                )
            }
        };
        // SAFETY: a product that does not read its destination writes all of dx; the rest is zeroed.
        let mut out = unsafe { written(kept, fill) };
        let mut rest = &mut out[x.len()..];
        // dW = dy^T x, written over (or added to) its destination.
        let weight_gradient = |dw: &mut [f32], accumulate: bool| {
            // SAFETY: dw holds out x in values, dy rows x out, x rows x in.
            unsafe {
                product(
                    dw.as_mut_ptr(),
                    in_dim,
                    if accumulate { Start::Existing } else { Start::Zero },
                    (out_dim, in_dim, rows),
                    Matrix::rows(dy, out_dim).transposed(),
                    Matrix::rows(x, in_dim),
                    1.0,
                    all_threads(),
                )
            }
        };
        deliver(self.weight, &mut rest, w.len(), weight_gradient)?;
        let mut db = vec![0f32; out_dim];
        column_sums(&mut db, dy);
        let bias_gradient = |slot: &mut [f32], accumulate: bool| {
            if accumulate {
                slot.iter_mut().zip(&db).for_each(|(s, g)| *s += g);
            } else {
                slot.copy_from_slice(&db);
            }
        };
        deliver(self.bias, &mut rest, out_dim, bias_gradient)?;
        Ok((CpuStorage::F32(out), Shape::from(kept)))
    }
}

multiversion! {
    /// Adds each row of `rows` (rows of `sums.len()`) into `sums`, in row order.
    fn column_sums(sums: &mut [f32], rows: &[f32]) {
        for row in rows.chunks(sums.len()) {
            for (s, g) in sums.iter_mut().zip(row) {
                *s += g;
            }
        }
    }
}

/// Hands a parameter's gradient to `fill(destination, accumulate)`: the
/// sink's slot for `sunk`, else the next `len` values of `rest`.
fn deliver(
    sunk: Option<TensorId>,
    rest: &mut &mut [f32],
    len: usize,
    fill: impl FnOnce(&mut [f32], bool),
) -> candle_core::Result<()> {
    match sunk {
        Some(id) => {
            if !grad_sink::write(id, fill) {
                bail!("linear-backward: the gradient sink closed during the backward pass")
            }
            Ok(())
        }
        None => {
            let (part, tail) = std::mem::take(rest).split_at_mut(len);
            fill(part, false);
            *rest = tail;
            Ok(())
        }
    }
}
