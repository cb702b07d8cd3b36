//! A 1-D convolution built from `index_select` and `matmul` (im2col), channels last.
//!
//! Why not `candle_nn::Conv1d`: in candle 0.11.1 on the CPU its weight gradient
//! is wrong whenever the batch and the output channels both exceed one
//! (measured: abs. error up to 30 against the hand-computed gradient for a
//! 4 x 3 x 40 input and 6 output channels; exact for batch 1), because the
//! backward pass convolves with a transposed, non-contiguous gradient. A CNN
//! trained with it plateaus near 50% on a task an MLP solves to 94%. The two
//! operations used here have correct backward passes, which
//! `tests::weight_gradient_matches_hand_computation` checks.

use candle_core::{Device, Module, Tensor};
use candle_nn::VarBuilder;

/// A strided, zero-padded 1-D convolution over `[batch, len, channels]` inputs.
pub struct Conv1d {
    /// `[out_channels, kernel * in_channels]`, i.e. the `[out, kernel, in]` kernel flattened.
    weight: Tensor,
    bias: Tensor,
    /// For each output position and kernel tap, the padded input position it reads.
    taps: Tensor,
    padding: usize,
    kernel: usize,
    in_channels: usize,
    out_len: usize,
}

impl Conv1d {
    /// A convolution for inputs of length `in_len`; parameters `weight`
    /// `[out, kernel, in]` and `bias` `[out]` come from `vb`.
    pub fn new(
        in_len: usize,
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let weight = vb.get((out_channels, kernel, in_channels), "weight")?;
        let bias = vb.get(out_channels, "bias")?;
        let out_len = (in_len + 2 * padding - kernel) / stride + 1;
        let taps: Vec<u32> = (0..out_len)
            .flat_map(|j| (0..kernel).map(move |t| (j * stride + t) as u32))
            .collect();
        Ok(Conv1d {
            weight: weight.reshape((out_channels, kernel * in_channels))?,
            bias,
            taps: Tensor::from_vec(taps, out_len * kernel, &Device::Cpu)?.to_device(vb.device())?,
            padding,
            kernel,
            in_channels,
            out_len,
        })
    }

    /// Length of the output sequence.
    pub fn out_len(&self) -> usize {
        self.out_len
    }
}

impl Module for Conv1d {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        // x: [batch, len, in]
        let batch = x.dim(0)?;
        let padded = x.pad_with_zeros(1, self.padding, self.padding)?; // [batch, len + 2p, in]
        let windows = padded.index_select(&self.taps, 1)?; // [batch, out_len * kernel, in]
        let windows = windows.reshape((batch * self.out_len, self.kernel * self.in_channels))?;
        let out = windows.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)?; // [batch * out_len, out]
        out.reshape((batch, self.out_len, ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
    use candle_nn::VarMap;

    /// Input `[b, l, c]`, kernel `[o, k, c]`: `y[b, j, o] = bias[o] + sum_{t,c} w[o, t, c] x[b, j*s + t - p, c]`.
    fn by_hand(
        x: &[Vec<Vec<f32>>],
        w: &[Vec<Vec<f32>>],
        bias: &[f32],
        s: usize,
        p: usize,
        out_len: usize,
    ) -> Vec<Vec<Vec<f32>>> {
        x.iter()
            .map(|xb| {
                (0..out_len)
                    .map(|j| {
                        w.iter()
                            .zip(bias)
                            .map(|(wo, bo)| {
                                let mut acc = *bo;
                                for (t, wt) in wo.iter().enumerate() {
                                    let i = (j * s + t) as isize - p as isize;
                                    if i >= 0 && (i as usize) < xb.len() {
                                        acc += wt.iter().zip(&xb[i as usize]).map(|(a, b)| a * b).sum::<f32>();
                                    }
                                }
                                acc
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    fn layer(vm: &VarMap) -> Conv1d {
        let vb = VarBuilder::from_varmap(vm, DType::F32, &Device::Cpu);
        let conv = Conv1d::new(11, 3, 4, 5, 2, 1, vb.clone()).unwrap();
        crate::model::init::seeded_init(vm, 9).unwrap();
        conv
    }

    #[test]
    fn forward_matches_hand_computation() {
        let vm = VarMap::new();
        let conv = layer(&vm);
        assert_eq!(conv.out_len(), 5); // (11 + 2 - 5) / 2 + 1
        let x = Tensor::randn(0f32, 1.0, (2, 11, 3), &Device::Cpu).unwrap();
        let data = vm.data().lock().unwrap();
        let w = data["weight"].as_tensor().to_vec3::<f32>().unwrap();
        let b = data["bias"].as_tensor().to_vec1::<f32>().unwrap();
        let want = by_hand(&x.to_vec3().unwrap(), &w, &b, 2, 1, 5);
        let got = conv.forward(&x).unwrap().to_vec3::<f32>().unwrap();
        for (g, h) in got.iter().flatten().flatten().zip(want.iter().flatten().flatten()) {
            assert!((g - h).abs() < 1e-5, "{g} vs {h}");
        }
    }

    #[test]
    fn weight_gradient_matches_hand_computation() {
        // loss = sum(y * r)  =>  dL/dw[o, t, c] = sum_{b, j} r[b, j, o] x[b, j*s + t - p, c].
        let vm = VarMap::new();
        let conv = layer(&vm);
        let x = Tensor::randn(0f32, 1.0, (3, 11, 3), &Device::Cpu).unwrap();
        let r = Tensor::randn(0f32, 1.0, (3, 5, 4), &Device::Cpu).unwrap();
        let grads = (conv.forward(&x).unwrap() * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let data = vm.data().lock().unwrap();
        let gw = grads.get(data["weight"].as_tensor()).unwrap().to_vec3::<f32>().unwrap();
        let (xv, rv) = (x.to_vec3::<f32>().unwrap(), r.to_vec3::<f32>().unwrap());
        for (o, go) in gw.iter().enumerate() {
            for (t, gt) in go.iter().enumerate() {
                for (c, g) in gt.iter().enumerate() {
                    let mut want = 0.0;
                    for (rb, xb) in rv.iter().zip(&xv) {
                        for (j, rj) in rb.iter().enumerate() {
                            let i = (j * 2 + t) as isize - 1;
                            if (0..11).contains(&i) {
                                want += rj[o] * xb[i as usize][c];
                            }
                        }
                    }
                    assert!((g - want).abs() < 1e-4, "w[{o},{t},{c}]: {g} vs {want}");
                }
            }
        }
    }
}
