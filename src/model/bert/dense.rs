//! A fully connected layer over the last dimension of a `[batch, tokens, in]`
//! tensor, as one matrix product over all tokens.
//!
//! Why not `candle_nn::Linear`: for a 3-D input it broadcasts the weight to
//! one copy per batch row and runs a batched product, so the backward pass
//! builds a `[batch, out, in]` weight gradient (37 MB per feed-forward
//! matrix of MiniLM at batch 16) only to sum it over the batch. Folding
//! batch and tokens into one dimension gives the same function with one
//! product per pass and a weight gradient of the weight's own size.

use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

/// `y = x W^T + b`, parameters named `weight` (`[out, in]`) and `bias` as in Hugging Face files.
pub struct Dense {
    weight: Tensor,
    bias: Tensor,
}

impl Dense {
    /// A layer from `in_dim` to `out_dim` features under `vb`.
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Dense {
            weight: vb.get((out_dim, in_dim), "weight")?,
            bias: vb.get(out_dim, "bias")?,
        })
    }
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims();
        let in_dim = *dims.last().unwrap_or(&0);
        let rows = x.elem_count() / in_dim.max(1);
        let mut out_dims = dims.to_vec();
        if let Some(last) = out_dims.last_mut() {
            *last = self.weight.dim(0)?;
        }
        x.reshape((rows, in_dim))?
            .matmul(&self.weight.t()?)?
            .broadcast_add(&self.bias)?
            .reshape(out_dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    /// The same function and the same gradients as candle's Linear.
    #[test]
    fn matches_candles_linear() {
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        let dense = Dense::new(6, 4, vb.pp("d")).unwrap();
        let linear = candle_nn::linear(6, 4, vb.pp("d")).unwrap();
        let x = candle_core::Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 5, 6), &Device::Cpu).unwrap()).unwrap();
        let a = dense.forward(&x).unwrap();
        let b = linear.forward(&x).unwrap();
        assert_eq!(a.dims(), &[3, 5, 4]);
        let close = |p: &Tensor, q: &Tensor| {
            let d = (p - q).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
            assert!(d < 1e-5, "difference {d}");
        };
        close(&a, &b);
        let ga = a.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let gb = b.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        for t in [x.as_tensor(), &dense.weight, &dense.bias] {
            close(ga.get(t).unwrap(), gb.get(t).unwrap());
        }
    }
}
