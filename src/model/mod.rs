//! Networks: a backbone that turns an example into features, and a linear
//! head that turns features into class scores.
//!
//! Parameter names follow the module tree (`backbone.fc1.weight`,
//! `head.bias`), so a checkpoint's `backbone.*` tensors load into a new
//! network whose head has a different number of classes.

pub mod bag;
pub mod batch_norm;
pub mod bert;
pub mod cnn;
pub mod cnn2d;
pub mod conv1d;
pub mod conv2d;
pub mod dropout;
pub mod given;
pub mod hub;
pub mod init;
pub mod mlp;
pub mod mobilenet;
pub mod ops;
pub mod pth;
pub mod weights;

use candle_core::{Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::{Deserialize, Serialize};

/// Whether the backbone's features are detached from the graph in a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freeze {
    /// Every weight gets a gradient.
    Nothing,
    /// No gradient flows into the backbone (a probe; and every evaluation).
    Backbone,
}

/// Whether a forward pass trains (dropout on) or evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Dropout on, where the model has it (never in a frozen backbone).
    Train,
    /// Dropout off.
    Eval,
}

/// Prefix of every backbone parameter name.
pub const BACKBONE: &str = "backbone";
/// Prefix of every head parameter name.
pub const HEAD: &str = "head";

/// Which architecture, with its size. Scratch and reuse share it by default,
/// so the starting point is the only difference between strategies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase", deny_unknown_fields)]
pub enum ModelSpec {
    /// Fully connected layers with ReLU.
    Mlp {
        /// Units per hidden layer.
        hidden: usize,
        /// Number of hidden layers.
        depth: usize,
    },
    /// Three strided 1-D convolutions with ReLU, then flattened.
    Cnn {
        /// Channels per convolution.
        channels: usize,
    },
    /// Three strided 3x3 convolutions with ReLU over square images, then
    /// flattened (see [`cnn2d`]): the small model a team would build.
    Cnn2d {
        /// Channels of the first convolution (the others have twice as many).
        channels: usize,
    },
    /// A BERT encoder with mean pooling over token ids (see [`bert`]).
    Bert(bert::BertConfig),
    /// torchvision's MobileNetV2 (width 1.0) over square images, grey or RGB,
    /// resized to `image_size` and normalised as for ImageNet (see [`mobilenet`]).
    #[serde(rename = "mobilenetv2")]
    MobileNetV2 {
        /// Side the images are resized to (ImageNet's is 224; smaller is faster).
        image_size: usize,
    },
    /// No backbone: the inputs already are features (a probe trained on
    /// cached embeddings of a frozen backbone). Internal: built by the probe
    /// cache, never read from or written to a suite.
    #[serde(skip)]
    Identity {
        /// Width of the features.
        dim: usize,
    },
    /// An embedding bag over token ids: the mean of the tokens' embeddings,
    /// then one hidden layer (see [`bag`]).
    Bag {
        /// Tokens in the vocabulary.
        vocab_size: usize,
        /// Width of each token's embedding.
        embedding_dim: usize,
        /// Units of the hidden layer.
        hidden: usize,
    },
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec::Cnn { channels: 32 }
    }
}

impl ModelSpec {
    /// Examples per forward pass when evaluating. candle keeps every
    /// intermediate of a forward pass alive while its result lives, so a wide
    /// model evaluated in one large chunk holds gigabytes (measured: 10.9 GB
    /// peak RSS for 500 texts through MiniLM); small models evaluate faster in
    /// large chunks.
    pub fn eval_chunk(&self) -> usize {
        match self {
            ModelSpec::Mlp { .. } | ModelSpec::Cnn { .. } => 4096,
            ModelSpec::Cnn2d { .. } => 512,
            ModelSpec::Bert(_) => 32,
            // Measured at 64 px: ~4 MB of intermediates per image in a forward pass.
            ModelSpec::MobileNetV2 { .. } => 64,
            ModelSpec::Bag { .. } => 1024,
            ModelSpec::Identity { .. } => 4096,
        }
    }

    /// Whether a probe should train its head on the frozen backbone's cached
    /// features instead of running the backbone every step: worth it for a
    /// large backbone (measured on MiniLM, the forward pass is ~30 ms per text).
    pub fn caches_probe_features(&self) -> bool {
        matches!(self, ModelSpec::Bert(_) | ModelSpec::MobileNetV2 { .. })
    }

    /// Checks the sizes (every one positive, and within what a worker can
    /// build); the message names the key.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        const MAX_WIDTH: usize = 1 << 16;
        let sizes: Vec<(&str, usize)> = match self {
            ModelSpec::Mlp { hidden, depth } => vec![("hidden", *hidden), ("depth", *depth)],
            ModelSpec::Cnn { channels } | ModelSpec::Cnn2d { channels } => vec![("channels", *channels)],
            ModelSpec::MobileNetV2 { image_size } => {
                if !(16..=1024).contains(image_size) {
                    return Err(format!("{key}.image_size = {image_size} must be 16 to 1024 pixels"));
                }
                vec![]
            }
            ModelSpec::Identity { dim } => vec![("dim", *dim)],
            ModelSpec::Bag {
                vocab_size,
                embedding_dim,
                hidden,
            } => vec![
                ("vocab_size", *vocab_size),
                ("embedding_dim", *embedding_dim),
                ("hidden", *hidden),
            ],
            ModelSpec::Bert(c) => return c.validate().map_err(|m| format!("{key}.{m}")),
        };
        // A vocabulary may be large; every other size is a width or a depth.
        let too_big = |name: &str, v: usize| v > MAX_WIDTH && name != "vocab_size";
        match sizes.iter().find(|(name, v)| *v == 0 || too_big(name, *v)) {
            Some((name, v)) => Err(format!("{key}.{name} = {v} must be 1 to {MAX_WIDTH}")),
            None => Ok(()),
        }
    }

    /// A short human-readable description, e.g. `cnn (32 channels)`.
    pub fn describe(&self) -> String {
        match self {
            ModelSpec::Mlp { hidden, depth } => format!("MLP ({depth} hidden layers of {hidden})"),
            ModelSpec::Cnn { channels } => format!("1-D CNN (3 conv layers, {channels} channels)"),
            ModelSpec::Cnn2d { channels } => format!("2-D CNN (3 strided 3x3 conv layers, {channels} channels)"),
            ModelSpec::MobileNetV2 { image_size } => {
                format!("MobileNetV2 (width 1.0, inputs resized to {image_size}x{image_size})")
            }
            ModelSpec::Identity { dim } => format!("cached {dim}-d features"),
            ModelSpec::Bag {
                embedding_dim, hidden, ..
            } => {
                format!("embedding bag ({embedding_dim}-d token embeddings, mean, {hidden} hidden)")
            }
            ModelSpec::Bert(c) => format!(
                "BERT ({} layers, hidden {}, {} heads, vocabulary {})",
                c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.vocab_size
            ),
        }
    }
}

/// The part of a network that pretraining is for.
pub trait Backbone: Send + Sync {
    /// `[batch, input_len]` -> `[batch, feature_dim]`; `train` turns dropout on.
    fn features(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor>;
    /// Width of the feature vector the head receives.
    fn feature_dim(&self) -> usize;
    /// The padding token id, for a backbone that reads token ids and ignores
    /// padding: a pass may then drop the trailing columns that are padding in
    /// all its rows (training batches and evaluation passes do; evaluation
    /// sorts texts by length first).
    fn padding_id(&self) -> Option<u32> {
        None
    }
}

/// Inputs that already are features.
struct Identity(usize);

impl Backbone for Identity {
    fn features(&self, x: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        Ok(x.clone())
    }

    fn feature_dim(&self) -> usize {
        self.0
    }
}

/// A backbone plus a linear classification head.
pub struct Network {
    backbone: Box<dyn Backbone>,
    head: Linear,
}

impl Network {
    /// Builds the network, creating or fetching its parameters through `vb`;
    /// `seed` fixes its dropout masks, if it has dropout.
    pub fn new(
        spec: &ModelSpec,
        input_len: usize,
        num_classes: usize,
        seed: u64,
        vb: VarBuilder,
    ) -> candle_core::Result<Self> {
        let backbone: Box<dyn Backbone> = match spec {
            ModelSpec::Mlp { hidden, depth } => Box::new(mlp::Mlp::new(input_len, *hidden, *depth, vb.pp(BACKBONE))?),
            ModelSpec::Cnn { channels } => Box::new(cnn::Cnn::new(input_len, *channels, vb.pp(BACKBONE))?),
            ModelSpec::Cnn2d { channels } => Box::new(cnn2d::Cnn2d::new(input_len, *channels, vb.pp(BACKBONE))?),
            ModelSpec::MobileNetV2 { image_size } => {
                Box::new(mobilenet::MobileNetV2::new(input_len, *image_size, vb.pp(BACKBONE))?)
            }
            ModelSpec::Bert(config) => Box::new(bert::Bert::new(config, input_len, seed, vb.pp(BACKBONE))?),
            ModelSpec::Bag {
                vocab_size,
                embedding_dim,
                hidden,
            } => Box::new(bag::Bag::new(*vocab_size, *embedding_dim, *hidden, vb.pp(BACKBONE))?),
            ModelSpec::Identity { dim } => Box::new(Identity(*dim)),
        };
        let head = candle_nn::linear(backbone.feature_dim(), num_classes, vb.pp(HEAD))?;
        Ok(Network { backbone, head })
    }

    /// The backbone's features `[batch, feature_dim]` in evaluation mode (no
    /// dropout, no graph through the input): what a frozen probe's head sees,
    /// and what can be cached once per dataset.
    pub fn features(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        Ok(self.backbone.features(&x.detach(), false)?.detach())
    }

    /// The padding token id when the inputs are token ids whose padding the
    /// network ignores ([`Backbone::padding_id`]).
    pub fn padding_id(&self) -> Option<u32> {
        self.backbone.padding_id()
    }

    /// Class scores `[batch, num_classes]` for `x` `[batch, input_len]`.
    ///
    /// With [`Freeze::Backbone`] the features are detached from the graph, so
    /// no gradient is computed through the backbone at all (leaving its weights
    /// out of the optimizer alone would still compute every gradient), and its
    /// dropout stays off.
    pub fn forward(&self, x: &Tensor, freeze: Freeze, mode: Mode) -> candle_core::Result<Tensor> {
        let frozen = freeze == Freeze::Backbone;
        let features = self.backbone.features(x, mode == Mode::Train && !frozen)?;
        let features = if frozen { features.detach() } else { features };
        self.head.forward(&features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn both_architectures_give_class_scores() {
        for spec in [ModelSpec::Mlp { hidden: 16, depth: 2 }, ModelSpec::Cnn { channels: 4 }] {
            let vm = VarMap::new();
            let net = Network::new(&spec, 40, 5, 0, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
            let x = Tensor::zeros((3, 40), DType::F32, &Device::Cpu).unwrap();
            assert_eq!(net.forward(&x, Freeze::Nothing, Mode::Eval).unwrap().dims(), &[3, 5]);
            let names: Vec<String> = vm.data().lock().unwrap().keys().cloned().collect();
            assert!(
                names
                    .iter()
                    .all(|n| n.starts_with("backbone.") || n.starts_with("head.")),
                "{names:?}"
            );
        }
    }
}
