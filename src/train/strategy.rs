//! The strategies under comparison and the one place they differ: the source
//! of the initial weights and the set of weights that train.

use crate::model::{batch_norm::is_buffer, init::initialise, weights, Freeze, ModelSpec, Network, HEAD};
use crate::{Error, Result};
use candle_core::{DType, Device, Var};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a run obtains its model.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Strategy {
    /// Random (seeded) initialisation; every weight trains.
    Scratch,
    /// Pretrained backbone, new head; every weight trains.
    Finetune,
    /// Pretrained backbone frozen (a linear probe); only the new head trains.
    Probe,
    /// The small model a team would build instead (the suite's `[baseline]`
    /// architecture), from scratch: random init, every weight trains.
    Baseline,
}

impl Strategy {
    /// Every strategy, in report order.
    pub const ALL: [Strategy; 4] = [
        Strategy::Scratch,
        Strategy::Finetune,
        Strategy::Probe,
        Strategy::Baseline,
    ];

    /// The name used in suites, files and reports (the serde and Display form).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether the backbone's weights come from the pretrained checkpoint.
    pub fn uses_pretrained(self) -> bool {
        matches!(self, Strategy::Finetune | Strategy::Probe)
    }

    /// Which weights train: a probe freezes its backbone, so only the head trains.
    pub fn freeze(self) -> Freeze {
        match self {
            Strategy::Probe => Freeze::Backbone,
            _ => Freeze::Nothing,
        }
    }
}

/// Where a network's initial weights come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start<'a> {
    /// Every weight from the project's seeded initialiser.
    Seeded,
    /// Seeded, then the backbone overwritten from this safetensors file.
    Pretrained(&'a Path),
}

/// Everything that fixes a network before training: its architecture and
/// size, where its weights come from and which of them train.
#[derive(Debug, Clone, Copy)]
pub struct ModelPlan<'a> {
    /// Architecture.
    pub spec: &'a ModelSpec,
    /// Values per example.
    pub input_len: usize,
    /// Classes the head scores.
    pub num_classes: usize,
    /// Seed of the initialisation and of dropout masks.
    pub seed: u64,
    /// Initial weights.
    pub start: Start<'a>,
    /// Which weights train.
    pub freeze: Freeze,
}

impl Strategy {
    /// The plan of a run of this strategy: a reuse strategy starts from
    /// `checkpoint` (which it needs), the others from seeded weights.
    pub fn plan<'a>(
        self,
        spec: &'a ModelSpec,
        input_len: usize,
        num_classes: usize,
        seed: u64,
        checkpoint: Option<&'a Path>,
    ) -> Result<ModelPlan<'a>> {
        let start = if self.uses_pretrained() {
            Start::Pretrained(checkpoint.ok_or_else(|| Error::Checkpoint {
                path: "(none)".into(),
                message: format!("strategy '{self}' needs a pretrained checkpoint but none was given"),
            })?)
        } else {
            Start::Seeded
        };
        Ok(ModelPlan {
            spec,
            input_len,
            num_classes,
            seed,
            start,
            freeze: self.freeze(),
        })
    }
}

/// A network ready for the training loop.
pub struct PreparedModel {
    /// The network.
    pub network: Network,
    /// All its parameters by name.
    pub varmap: VarMap,
    /// The parameters the optimiser updates, in sorted name order.
    pub trainable: Vec<Var>,
    /// State that training passes update without the optimiser (BatchNorm's
    /// running statistics), in sorted name order.
    pub buffers: Vec<Var>,
    /// Whether the backbone's output is detached in the training forward pass.
    pub freeze: Freeze,
    /// Scalar parameters in the network.
    pub total_params: usize,
    /// Scalar parameters that train.
    pub trainable_params: usize,
    /// Examples per forward pass when evaluating ([`ModelSpec::eval_chunk`]).
    pub eval_chunk: usize,
}

/// Builds the network a plan describes: seeded initialisation of every
/// weight, then the backbone from the checkpoint if it starts pretrained;
/// with a frozen backbone only the head is trainable.
pub fn prepare(plan: &ModelPlan, device: &Device) -> Result<PreparedModel> {
    let varmap = VarMap::new();
    let network = Network::new(
        plan.spec,
        plan.input_len,
        plan.num_classes,
        plan.seed,
        VarBuilder::from_varmap(&varmap, DType::F32, device),
    )?;
    initialise(plan.spec, &varmap, plan.seed)?;
    if let Start::Pretrained(path) = plan.start {
        weights::load_backbone(&varmap, path, device)?;
    }
    let head_prefix = format!("{HEAD}.");
    let frozen = plan.freeze == Freeze::Backbone;
    let (trainable, buffers, total_params, trainable_params) = {
        let vars = varmap.data().lock().expect("var map lock poisoned");
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        // Running statistics are state, not weights: never trained or counted.
        let (buffers, names): (Vec<&String>, Vec<&String>) = names.into_iter().partition(|n| is_buffer(n));
        let total: usize = names.iter().map(|n| vars[*n].elem_count()).sum();
        let trainable: Vec<Var> = names
            .into_iter()
            .filter(|n| !frozen || n.starts_with(&head_prefix))
            .map(|n| vars[n].clone())
            .collect();
        let count = trainable.iter().map(|v| v.elem_count()).sum();
        let buffers: Vec<Var> = buffers.into_iter().map(|n| vars[n].clone()).collect();
        (trainable, buffers, total, count)
    };
    Ok(PreparedModel {
        network,
        varmap,
        trainable,
        buffers,
        freeze: plan.freeze,
        total_params,
        trainable_params,
        eval_chunk: plan.spec.eval_chunk(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::tests_support::save_for_test;
    use crate::model::Mode;
    use candle_core::Tensor;

    /// Probing must compute no gradient for the backbone at all; fine-tuning
    /// must reach every parameter tensor with a non-zero gradient.
    #[test]
    fn probe_freezes_backbone_finetune_trains_everything() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ModelSpec::Cnn { channels: 4 };
        let weights = save_for_test(dir.path(), &spec);
        // Seeded input: with candle's unseeded randn, an unlucky draw left every
        // unit of a 4-channel layer dead and one gradient zero (seen once in CI).
        let mut rng = crate::rng::stream(1, crate::rng::Purpose::Dataset);
        let values: Vec<f32> = (0..8 * 40)
            .map(|_| rand_distr::Distribution::<f32>::sample(&rand_distr::StandardNormal, &mut rng))
            .collect();
        let x = Tensor::from_vec(values, (8, 40), &Device::Cpu).unwrap();
        let y = Tensor::from_slice(&[0u32, 1, 2, 0, 1, 2, 0, 1], 8, &Device::Cpu).unwrap();
        for strategy in Strategy::ALL {
            let plan = strategy.plan(&spec, 40, 3, 0, Some(&weights)).unwrap();
            let m = prepare(&plan, &Device::Cpu).unwrap();
            let logits = m.network.forward(&x, m.freeze, Mode::Train).unwrap();
            let loss = candle_nn::loss::cross_entropy(&logits, &y).unwrap();
            let grads = loss.backward().unwrap();
            let vars = m.varmap.data().lock().unwrap();
            for (name, var) in vars.iter() {
                let g = grads.get(var.as_tensor());
                let in_head = name.starts_with("head.");
                if strategy == Strategy::Probe && !in_head {
                    assert!(g.is_none(), "{strategy}: backbone tensor {name} got a gradient");
                } else {
                    let g = g.unwrap_or_else(|| panic!("{strategy}: {name} got no gradient"));
                    let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
                    assert!(norm > 0.0, "{strategy}: {name} has a zero gradient");
                }
            }
            let head: usize = vars
                .iter()
                .filter(|(n, _)| n.starts_with("head."))
                .map(|(_, v)| v.elem_count())
                .sum();
            match strategy {
                Strategy::Probe => assert_eq!(m.trainable_params, head),
                _ => assert_eq!(m.trainable_params, m.total_params),
            }
        }
    }

    #[test]
    fn reuse_without_checkpoint_is_an_error() {
        let err = Strategy::Finetune
            .plan(&ModelSpec::default(), 40, 5, 0, None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("checkpoint"), "{err}");
    }
}
