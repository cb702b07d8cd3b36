//! From the task's pixels to what an ImageNet model expects: the image's
//! shape read off its length, a bilinear resize to the model's side, grey
//! replicated to RGB, and ImageNet's per-channel normalisation.
//!
//! The task stores images flattened with values in [0, 1]; doing this here,
//! per batch, keeps the data stage independent of the model (a small CNN on
//! the same task reads the pixels as they are) and costs a few small matrix
//! products against the network's hundreds.

use candle_core::{Device, Tensor};

/// torchvision's ImageNet channel means (RGB), on pixels in [0, 1].
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// torchvision's ImageNet channel standard deviations (RGB).
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Channels and side of a square image flattened to `len` values: one
/// channel when `len` is a square, three when `len / 3` is (both cannot hold).
pub fn square_image(len: usize) -> Option<(usize, usize)> {
    let side = |n: usize| {
        let s = (n as f64).sqrt().round() as usize;
        (s > 0 && s * s == n).then_some(s)
    };
    side(len)
        .map(|s| (1, s))
        .or_else(|| len.is_multiple_of(3).then(|| side(len / 3)).flatten().map(|s| (3, s)))
}

/// Bilinear interpolation from `from` to `to` samples as a `[to, from]`
/// matrix, PyTorch's `align_corners=False` rule (pixel centres, edges
/// clamped). Shrinking averages no more than two neighbours (no antialias).
fn bilinear_matrix(from: usize, to: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; to * from];
    let scale = from as f32 / to as f32;
    for o in 0..to {
        let src = ((o as f32 + 0.5) * scale - 0.5).max(0.0);
        let i0 = (src.floor() as usize).min(from - 1);
        let i1 = (i0 + 1).min(from - 1);
        let frac = src - i0 as f32;
        m[o * from + i0] += 1.0 - frac;
        m[o * from + i1] += frac;
    }
    m
}

/// The fixed preprocessing of one model input: resize, RGB, normalise.
#[derive(Debug, Clone)]
pub struct ImageNetInput {
    channels: usize,
    side: usize,
    /// `[side, to]`: the transposed resize matrix (None when the sides match).
    resize_t: Option<Tensor>,
    /// `[1, 3, 1, 1]` each.
    mean: Tensor,
    inv_std: Tensor,
}

impl ImageNetInput {
    /// For examples of `input_len` values, resized to `to` x `to`; fails
    /// when `input_len` is not a flattened square image.
    pub fn new(input_len: usize, to: usize, device: &Device) -> candle_core::Result<ImageNetInput> {
        let Some((channels, side)) = square_image(input_len) else {
            candle_core::bail!(
                "an image model needs square images, flattened: {input_len} values per example is neither s*s nor \
                 3*s*s"
            )
        };
        let resize_t = (side != to)
            .then(|| {
                Tensor::from_vec(bilinear_matrix(side, to), (to, side), device)?
                    .t()?
                    .contiguous()
            })
            .transpose()?;
        let inv: Vec<f32> = IMAGENET_STD.iter().map(|s| 1.0 / s).collect();
        Ok(ImageNetInput {
            channels,
            side,
            resize_t,
            mean: Tensor::from_vec(IMAGENET_MEAN.to_vec(), (1, 3, 1, 1), device)?,
            inv_std: Tensor::from_vec(inv, (1, 3, 1, 1), device)?,
        })
    }

    /// `[N, input_len]` in [0, 1] to `[N, 3, to, to]`, normalised.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let n = x.dim(0)?;
        let planes = x.reshape((n * self.channels, self.side, self.side))?;
        let resized = match &self.resize_t {
            // rows then columns: (R P R^T) = ((P R^T)^T R^T)^T
            Some(rt) => planes
                .broadcast_matmul(rt)?
                .transpose(1, 2)?
                .broadcast_matmul(rt)?
                .transpose(1, 2)?,
            None => planes,
        };
        let to = resized.dim(1)?;
        let images = resized.reshape((n, self.channels, to, to))?;
        // A grey image broadcasts over the three channels here.
        images
            .broadcast_sub(&self.mean)?
            .broadcast_mul(&self.inv_std)?
            .contiguous()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_shapes_are_read_off_their_length() {
        assert_eq!(square_image(784), Some((1, 28)));
        assert_eq!(square_image(3 * 32 * 32), Some((3, 32)));
        assert_eq!(square_image(40), None);
    }

    #[test]
    fn bilinear_rows_sum_to_one_and_match_pytorch_at_the_centres() {
        let m = bilinear_matrix(2, 4);
        // PyTorch: interpolate([a, b], size=4, bilinear, align_corners=False)
        // gives [a, 0.75a+0.25b, 0.25a+0.75b, b].
        assert_eq!(m, vec![1.0, 0.0, 0.75, 0.25, 0.25, 0.75, 0.0, 1.0]);
        for (from, to) in [(28, 96), (28, 64), (96, 28), (5, 5)] {
            let m = bilinear_matrix(from, to);
            for row in m.chunks(from) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn a_grey_image_becomes_three_normalised_channels() {
        let dev = Device::Cpu;
        let prep = ImageNetInput::new(4, 4, &dev).unwrap();
        let x = Tensor::new(&[[0.0f32, 0.5, 1.0, 0.25]], &dev).unwrap();
        let y = prep.forward(&x).unwrap();
        assert_eq!(y.dims(), &[1, 3, 4, 4]);
        let red_corner = y.get(0).unwrap().get(0).unwrap().get(0).unwrap().get(0).unwrap();
        let want = (0.0 - IMAGENET_MEAN[0]) / IMAGENET_STD[0];
        assert!((red_corner.to_scalar::<f32>().unwrap() - want).abs() < 1e-5);
        let constant = Tensor::full(0.5f32, (2, 3 * 2 * 2), &dev).unwrap();
        let y = ImageNetInput::new(12, 5, &dev).unwrap().forward(&constant).unwrap();
        let blue: Vec<f32> = y.narrow(1, 2, 1).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let want = (0.5 - IMAGENET_MEAN[2]) / IMAGENET_STD[2];
        assert!(
            blue.iter().all(|v| (v - want).abs() < 1e-5),
            "a constant image stays constant"
        );
    }
}
