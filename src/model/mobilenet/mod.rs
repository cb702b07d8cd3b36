//! MobileNetV2 (Sandler et al. 2018, width 1.0) as torchvision builds it, so
//! its ImageNet checkpoint loads by name: a strided 3x3 stem, seventeen
//! inverted residual blocks (1x1 expansion, 3x3 depthwise, 1x1 linear
//! projection, each followed by BatchNorm; ReLU6 after the first two; a skip
//! connection where shape allows), a 1x1 convolution to 1280 channels, and
//! global average pooling. torchvision's classifier (`classifier.1`, 1000
//! ImageNet classes) is not part of the backbone: the task gets its own head.
//!
//! BatchNorm ([`super::batch_norm`]): fine-tuning and scratch train in batch
//! statistics mode and update the running statistics, as PyTorch's
//! `model.train()` does; a probe's frozen backbone, and every evaluation,
//! uses the running statistics (for a probe, the ImageNet ones as loaded).
//!
//! Inputs are the task's flattened images in [0, 1], resized to the model's
//! side and normalised as torchvision's model card says ([`input`]).

pub mod input;

use super::batch_norm::BatchNorm2d;
use super::conv2d::{Conv2d, ConvShape};
use super::ops::Depthwise;
use super::Backbone;
use candle_core::{Tensor, D};
use candle_nn::VarBuilder;
use input::ImageNetInput;

/// Width of the features the head receives.
pub const FEATURES: usize = 1280;
/// Channels of the stem's output.
const STEM: usize = 32;
/// torchvision's inverted residual settings: expansion t, output channels c,
/// repeats n, first stride s.
const SETTINGS: [(usize, usize, usize, usize); 7] = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
];

/// A convolution (full or depthwise), its BatchNorm, and whether ReLU6 follows.
struct ConvBn {
    conv: Spatial,
    bn: BatchNorm2d,
    relu6: bool,
}

/// The two kinds of convolution MobileNetV2 uses.
enum Spatial {
    Full(Conv2d),
    Depthwise(Depthwise, Tensor),
}

impl ConvBn {
    /// A full convolution at `vb.pp("0")` with its BatchNorm at `vb.pp("1")`
    /// (torchvision's `Conv2dNormActivation`).
    fn full(shape: ConvShape, vb: &VarBuilder) -> candle_core::Result<ConvBn> {
        Ok(ConvBn {
            conv: Spatial::Full(Conv2d::load(shape, false, vb.pp("0"))?),
            bn: BatchNorm2d::load(shape.c_out, vb.pp("1"))?,
            relu6: true,
        })
    }

    /// A 3x3 depthwise convolution over `channels`, the same way.
    fn depthwise(channels: usize, stride: usize, vb: &VarBuilder) -> candle_core::Result<ConvBn> {
        let weight = vb.pp("0").get((channels, 1, 3, 3), "weight")?;
        let geometry = Depthwise {
            kernel: 3,
            stride,
            padding: 1,
        };
        Ok(ConvBn {
            conv: Spatial::Depthwise(geometry, weight),
            bn: BatchNorm2d::load(channels, vb.pp("1"))?,
            relu6: true,
        })
    }

    fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let y = match &self.conv {
            Spatial::Full(conv) => conv.forward(x)?,
            Spatial::Depthwise(geometry, weight) => geometry.forward(x, weight)?,
        };
        self.bn.forward_act(&y, train, self.relu6)
    }
}

/// One inverted residual block.
struct Block {
    layers: Vec<ConvBn>,
    residual: bool,
}

impl Block {
    /// torchvision's `InvertedResidual(c_in, c_out, stride, t)` under `vb` (`features.i`).
    fn new(c_in: usize, c_out: usize, stride: usize, t: usize, vb: VarBuilder) -> candle_core::Result<Block> {
        let vb = vb.pp("conv");
        let hidden = c_in * t;
        let mut layers = Vec::with_capacity(3);
        let mut next = 0;
        if t != 1 {
            layers.push(ConvBn::full(ConvShape::pointwise(c_in, hidden), &vb.pp("0"))?);
            next = 1;
        }
        layers.push(ConvBn::depthwise(hidden, stride, &vb.pp(next.to_string()))?);
        // The linear bottleneck: a 1x1 projection and BatchNorm, no activation.
        layers.push(ConvBn {
            conv: Spatial::Full(Conv2d::load(
                ConvShape::pointwise(hidden, c_out),
                false,
                vb.pp((next + 1).to_string()),
            )?),
            bn: BatchNorm2d::load(c_out, vb.pp((next + 2).to_string()))?,
            relu6: false,
        });
        Ok(Block {
            layers,
            residual: stride == 1 && c_in == c_out,
        })
    }

    fn forward(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let y = self
            .layers
            .iter()
            .try_fold(x.clone(), |h, layer| layer.forward(&h, train))?;
        if self.residual {
            y + x
        } else {
            Ok(y)
        }
    }
}

/// The MobileNetV2 backbone.
pub struct MobileNetV2 {
    input: ImageNetInput,
    stem: ConvBn,
    blocks: Vec<Block>,
    last: ConvBn,
}

impl MobileNetV2 {
    /// Parameters named as torchvision's (`features.0.0.weight`, ...) under
    /// `vb`; examples of `input_len` values (a flattened square image, grey or
    /// RGB) are resized to `image_size` x `image_size`.
    pub fn new(input_len: usize, image_size: usize, vb: VarBuilder) -> candle_core::Result<MobileNetV2> {
        let features = vb.pp("features");
        let stem_shape = ConvShape {
            c_in: 3,
            c_out: STEM,
            kernel: 3,
            stride: 2,
            padding: 1,
        };
        let stem = ConvBn::full(stem_shape, &features.pp("0"))?;
        let mut blocks = Vec::new();
        let mut c_in = STEM;
        for &(t, c_out, repeats, stride) in &SETTINGS {
            for r in 0..repeats {
                let index = blocks.len() + 1;
                let s = if r == 0 { stride } else { 1 };
                blocks.push(Block::new(c_in, c_out, s, t, features.pp(index.to_string()))?);
                c_in = c_out;
            }
        }
        let last = ConvBn::full(
            ConvShape::pointwise(c_in, FEATURES),
            &features.pp((blocks.len() + 1).to_string()),
        )?;
        Ok(MobileNetV2 {
            input: ImageNetInput::new(input_len, image_size, vb.device())?,
            stem,
            blocks,
            last,
        })
    }
}

impl Backbone for MobileNetV2 {
    fn features(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let h = self.stem.forward(&self.input.forward(x)?, train)?;
        let h = self.blocks.iter().try_fold(h, |h, block| block.forward(&h, train))?;
        let h = self.last.forward(&h, train)?;
        // Global average pooling: [N, 1280, H, W] -> [N, 1280].
        h.flatten_from(2)?.mean(D::Minus1)
    }

    fn feature_dim(&self) -> usize {
        FEATURES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn has_torchvisions_parameter_names_and_count() {
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
        let net = MobileNetV2::new(28 * 28, 32, vb).unwrap();
        let data = vm.data().lock().unwrap();
        for name in [
            "features.0.0.weight",
            "features.0.1.running_var",
            "features.1.conv.0.0.weight",
            "features.1.conv.2.bias",
            "features.2.conv.1.0.weight",
            "features.17.conv.3.running_mean",
            "features.18.1.weight",
        ] {
            assert!(data.contains_key(name), "{name}");
        }
        let weights: usize = data
            .iter()
            .filter(|(k, _)| !crate::model::batch_norm::is_buffer(k))
            .map(|(_, v)| v.elem_count())
            .sum();
        // torchvision: 3,504,872 parameters, of which the classifier is 1,281,000.
        assert_eq!(weights, 3_504_872 - 1_281_000);
        drop(data);
        let x = Tensor::zeros((2, 784), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.features(&x, true).unwrap().dims(), &[2, FEATURES]);
    }
}
