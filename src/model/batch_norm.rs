//! Batch normalisation over the channels of `[N, C, H, W]` maps, and ReLU6:
//! the two operations MobileNetV2 puts after every convolution.
//!
//! In training, each channel is normalised by the mean and (biased) variance
//! of the batch, through differentiable tensor operations, and the running
//! statistics move towards the batch's (PyTorch's rule: momentum 0.1, the
//! unbiased variance); in evaluation the running statistics are used, so a
//! prediction never depends on the rest of its batch. Fine-tuning, probing and
//! scratch all use this one layer; a probe keeps it in evaluation mode, as
//! its backbone is frozen.

use super::ops;
use candle_core::{Tensor, D};

/// PyTorch's default momentum of the running statistics.
pub const MOMENTUM: f64 = 0.1;

/// Names of a layer's running statistics, as PyTorch's state dicts name
/// them: buffers, saved and loaded with the weights, never trained.
pub const BUFFERS: [&str; 2] = ["running_mean", "running_var"];

/// Whether a parameter name is a running statistic rather than a weight:
/// the optimiser leaves it alone and parameter counts leave it out.
pub fn is_buffer(name: &str) -> bool {
    BUFFERS.iter().any(|b| name.rsplit('.').next() == Some(b))
}

/// One BatchNorm2d layer: its affine weights and running statistics.
///
/// The running statistics are the tensors of the network's parameter map
/// (`running_mean`, `running_var`), overwritten in place by each training
/// pass, so a saved checkpoint carries them and a loaded one sets them.
#[derive(Debug)]
pub struct BatchNorm2d {
    /// Scale per channel (`weight` in PyTorch).
    pub gamma: Tensor,
    /// Shift per channel (`bias` in PyTorch).
    pub beta: Tensor,
    /// Running mean per channel.
    pub running_mean: Tensor,
    /// Running (unbiased) variance per channel.
    pub running_var: Tensor,
    /// Added to the variance.
    pub eps: f64,
}

/// `[C]` as `[1, C, 1, 1]`, to broadcast over a batch of maps.
fn per_channel(t: &Tensor) -> candle_core::Result<Tensor> {
    t.reshape((1, t.elem_count(), 1, 1))
}

impl BatchNorm2d {
    /// PyTorch's epsilon.
    pub const EPS: f64 = 1e-5;

    /// The layer's four tensors from `vb` (`weight`, `bias`, `running_mean`,
    /// `running_var`, PyTorch's names), `channels` wide.
    pub fn load(channels: usize, vb: candle_nn::VarBuilder) -> candle_core::Result<BatchNorm2d> {
        use candle_nn::Init::Const;
        Ok(BatchNorm2d {
            gamma: vb.get_with_hints(channels, "weight", Const(1.0))?,
            beta: vb.get_with_hints(channels, "bias", Const(0.0))?,
            running_mean: vb.get_with_hints(channels, BUFFERS[0], Const(0.0))?,
            running_var: vb.get_with_hints(channels, BUFFERS[1], Const(1.0))?,
            eps: Self::EPS,
        })
    }

    /// Normalises `x` `[N, C, H, W]`: by the batch's statistics when
    /// `train` (updating the running ones), else by the running ones.
    pub fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        self.forward_act(x, train, false)
    }

    /// [`Self::forward`], then ReLU6 when `relu6`: one fused kernel each way
    /// on the CPU ([`ops::BatchNormPass`]), candle's operations elsewhere.
    pub fn forward_act(&self, x: &Tensor, train: bool, relu6: bool) -> candle_core::Result<Tensor> {
        if !x.device().is_cpu() {
            let y = self.forward_composed(x, train)?;
            return if relu6 { self::relu6(&y) } else { Ok(y) };
        }
        let x = x.contiguous()?;
        let (mean, var) = if train {
            let (n, _, h, w) = x.dims4()?;
            let (mean, var) = ops::channel_moments(&x)?;
            let device = x.device();
            let (m, v) = (
                Tensor::from_slice(&mean, mean.len(), device)?,
                Tensor::from_slice(&var, var.len(), device)?,
            );
            self.update_running(&m, &v, n * h * w)?;
            (mean, var)
        } else {
            (self.running_mean.to_vec1::<f32>()?, self.running_var.to_vec1::<f32>()?)
        };
        let pass = ops::BatchNormPass {
            mean,
            rstd: var.iter().map(|v| 1.0 / (v + self.eps as f32).sqrt()).collect(),
            batch_stats: train,
            relu6,
        };
        pass.apply(&x, &self.gamma, &self.beta)
    }

    /// The same function from candle's tensor operations (any device).
    fn forward_composed(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let (gamma, beta) = (per_channel(&self.gamma)?, per_channel(&self.beta)?);
        if !train {
            // One scale and one shift per channel: y = x * scale + shift.
            let scale = (&self.running_var + self.eps)?.sqrt()?.recip()?.mul(&self.gamma)?;
            let shift = (&self.beta - self.running_mean.mul(&scale)?)?;
            return x
                .broadcast_mul(&per_channel(&scale)?)?
                .broadcast_add(&per_channel(&shift)?);
        }
        // Per channel over (N, H, W): move C first and flatten the rest.
        let by_channel = x.transpose(0, 1)?.reshape((c, n * h * w))?;
        let mean = by_channel.mean(D::Minus1)?; // [C]
        let centred = x.broadcast_sub(&per_channel(&mean)?)?;
        let var = centred
            .sqr()?
            .transpose(0, 1)?
            .reshape((c, n * h * w))?
            .mean(D::Minus1)?; // biased, [C]
        self.update_running(&mean, &var, n * h * w)?;
        let inv = (per_channel(&var)? + self.eps)?.sqrt()?.recip()?;
        centred.broadcast_mul(&inv)?.broadcast_mul(&gamma)?.broadcast_add(&beta)
    }

    /// Moves the running statistics towards the batch's by [`MOMENTUM`], in place.
    fn update_running(&self, mean: &Tensor, var: &Tensor, count: usize) -> candle_core::Result<()> {
        let unbias = if count > 1 {
            count as f64 / (count - 1) as f64
        } else {
            1.0
        };
        let m = MOMENTUM;
        let new_mean = ((&self.running_mean * (1.0 - m))? + (mean.detach() * m)?)?;
        let new_var = ((&self.running_var * (1.0 - m))? + (var.detach() * (m * unbias))?)?;
        self.running_mean.slice_set(&new_mean, 0, 0)?;
        self.running_var.slice_set(&new_var, 0, 0)
    }
}

/// `min(max(x, 0), 6)`: MobileNet's activation, bounded for low-precision
/// inference; its gradient is 1 strictly inside (0, 6) and 0 outside.
pub fn relu6(x: &Tensor) -> candle_core::Result<Tensor> {
    x.clamp(0f32, 6f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ops::gradcheck::{self, values};
    use candle_core::{Device, Var};

    fn with_stats(gamma: Tensor, beta: Tensor, mean: Vec<f32>, var: Vec<f32>) -> BatchNorm2d {
        let dev = gamma.device().clone();
        let c = mean.len();
        BatchNorm2d {
            gamma,
            beta,
            running_mean: Tensor::from_vec(mean, c, &dev).unwrap(),
            running_var: Tensor::from_vec(var, c, &dev).unwrap(),
            eps: BatchNorm2d::EPS,
        }
    }

    fn layer(c: usize) -> BatchNorm2d {
        let dev = Device::Cpu;
        with_stats(
            Tensor::from_vec(values(c, 11), c, &dev).unwrap(),
            Tensor::from_vec(values(c, 12), c, &dev).unwrap(),
            vec![0.0; c],
            vec![1.0; c],
        )
    }

    #[test]
    fn training_normalises_each_channel_and_moves_the_running_statistics() {
        let dev = Device::Cpu;
        let bn = layer(3);
        let (gamma, beta) = (bn.gamma.to_vec1::<f32>().unwrap(), bn.beta.to_vec1::<f32>().unwrap());
        let x = Tensor::from_vec(values(2 * 3 * 4 * 5, 1), (2, 3, 4, 5), &dev)
            .unwrap()
            .affine(3.0, 1.0)
            .unwrap();
        let y = bn.forward(&x, true).unwrap();
        // Channel c's values, their mean and their sum of squared deviations.
        let channel = |t: &Tensor, c: usize| {
            let v = t
                .narrow(1, c, 1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let ss = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>();
            (mean, ss, v.len() as f32)
        };
        for c in 0..3 {
            let (mean, ss, n) = channel(&y, c);
            let sd = (ss / n).sqrt();
            assert!((mean - beta[c]).abs() < 1e-4, "channel {c} mean {mean}");
            assert!((sd - gamma[c].abs()).abs() < 1e-3, "channel {c} sd {sd}");
            let (xm, xss, n) = channel(&x, c);
            let unbiased = xss / (n - 1.0);
            let (rm, rv) = (
                bn.running_mean.to_vec1::<f32>().unwrap(),
                bn.running_var.to_vec1::<f32>().unwrap(),
            );
            assert!((rm[c] - 0.1 * xm).abs() < 1e-5);
            assert!((rv[c] - (0.9 + 0.1 * unbiased)).abs() < 1e-4);
        }
    }

    #[test]
    fn evaluation_uses_the_running_statistics_row_by_row() {
        let dev = Device::Cpu;
        let bn = layer(2);
        let bn = with_stats(bn.gamma, bn.beta, vec![1.0, -2.0], vec![4.0, 0.25]);
        let x = Tensor::from_vec(values(2 * 2 * 3 * 3, 4), (2, 2, 3, 3), &dev).unwrap();
        let both = bn.forward(&x, false).unwrap();
        let first = bn.forward(&x.narrow(0, 0, 1).unwrap(), false).unwrap();
        assert!(
            gradcheck::max_diff(&both.narrow(0, 0, 1).unwrap(), &first) < 1e-7,
            "no batch dependence"
        );
        let (xv, yv) = (x.get(0).unwrap().get(1).unwrap(), both.get(0).unwrap().get(1).unwrap());
        let (g, b) = (
            bn.gamma.to_vec1::<f32>().unwrap()[1],
            bn.beta.to_vec1::<f32>().unwrap()[1],
        );
        let expected = ((xv + 2.0).unwrap() * (g as f64 / (0.25f64 + 1e-5).sqrt())).unwrap() + b as f64;
        assert!(gradcheck::max_diff(&yv, &expected.unwrap()) < 1e-5);
        assert_eq!(
            bn.running_mean.to_vec1::<f32>().unwrap(),
            vec![1.0, -2.0],
            "evaluation leaves the statistics"
        );
    }

    #[test]
    fn training_gradients_match_finite_differences() {
        let c = 2;
        gradcheck::check(
            &[values(3 * c * 2 * 3, 7), values(c, 8), values(c, 9)],
            &[&[3, c, 2, 3], &[c], &[c]],
            |t| {
                let bn = with_stats(t[1].clone(), t[2].clone(), vec![0.0; c], vec![1.0; c]);
                bn.forward(&t[0], true).unwrap()
            },
            2e-2,
        );
    }

    /// The fused CPU kernels compute what the composed operations do, in
    /// both modes, values and gradients.
    #[test]
    fn fused_pass_matches_the_composed_one() {
        let dev = Device::Cpu;
        for (train, relu6) in [(true, false), (true, true), (false, true)] {
            let x = Var::from_tensor(
                &Tensor::from_vec(values(4 * 3 * 5 * 5, 31), (4, 3, 5, 5), &dev)
                    .unwrap()
                    .affine(2.0, 1.0)
                    .unwrap(),
            )
            .unwrap();
            let w = Tensor::from_vec(values(4 * 3 * 5 * 5, 32), (4, 3, 5, 5), &dev).unwrap();
            let run = |fused: bool| {
                let bn = with_stats(
                    Tensor::from_vec(values(3, 33), 3, &dev)
                        .unwrap()
                        .affine(2.0, 0.0)
                        .unwrap(),
                    Tensor::from_vec(values(3, 34), 3, &dev)
                        .unwrap()
                        .affine(1.0, 2.0)
                        .unwrap(),
                    vec![0.5, -0.5, 0.0],
                    vec![2.0, 0.5, 1.0],
                );
                let y = if fused {
                    bn.forward_act(&x, train, relu6).unwrap()
                } else {
                    let y = bn.forward_composed(&x, train).unwrap();
                    if relu6 {
                        super::relu6(&y).unwrap()
                    } else {
                        y
                    }
                };
                let dx = (&y * &w).unwrap().sum_all().unwrap().backward().unwrap();
                let dx = dx.get(x.as_tensor()).unwrap().clone();
                (y, dx, bn.running_var.to_vec1::<f32>().unwrap())
            };
            let (a, b) = (run(true), run(false));
            assert!(gradcheck::max_diff(&a.0, &b.0) < 1e-5, "values ({train}, {relu6})");
            assert!(gradcheck::max_diff(&a.1, &b.1) < 1e-4, "gradients ({train}, {relu6})");
            for (p, q) in a.2.iter().zip(&b.2) {
                assert!((p - q).abs() < 1e-5, "running statistics");
            }
        }
    }

    #[test]
    fn relu6_clips_and_its_gradient_is_one_inside() {
        let dev = Device::Cpu;
        let x = Var::from_vec(vec![-3.0f32, -0.5, 0.5, 3.0, 5.5, 6.5, 9.0], 7, &dev).unwrap();
        let y = relu6(x.as_tensor()).unwrap();
        assert_eq!(y.to_vec1::<f32>().unwrap(), vec![0.0, 0.0, 0.5, 3.0, 5.5, 6.0, 6.0]);
        let g = y.sum_all().unwrap().backward().unwrap();
        let dx = g.get(x.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(dx, vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
        // Away from the kinks, finite differences agree.
        let away: Vec<f32> = values(50, 3)
            .iter()
            .map(|v| v * 4.0 + 2.0)
            .filter(|v| (v.abs() > 0.05) && ((v - 6.0).abs() > 0.05))
            .collect();
        let n = away.len();
        gradcheck::check(&[away], &[&[n]], |t| relu6(&t[0]).unwrap(), 1e-3);
    }
}
