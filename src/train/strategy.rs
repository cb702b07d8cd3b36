//! The strategies under comparison and the one place they differ: the source
//! of the initial weights and the set of weights that train.

use crate::model::{checkpoint, init::seeded_init, ModelSpec, Network, HEAD};
use crate::{Error, Result};
use candle_core::{DType, Device, Var};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a run obtains its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

    /// The name used in suites, files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Scratch => "scratch",
            Strategy::Finetune => "finetune",
            Strategy::Probe => "probe",
            Strategy::Baseline => "baseline",
        }
    }

    /// Whether the backbone's weights come from the pretrained checkpoint.
    pub fn uses_pretrained(self) -> bool {
        matches!(self, Strategy::Finetune | Strategy::Probe)
    }

    /// Whether the backbone is frozen, so that only the head trains.
    pub fn freezes_backbone(self) -> bool {
        matches!(self, Strategy::Probe)
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
    /// Whether the backbone's output is detached in the forward pass.
    pub freeze_backbone: bool,
    /// Scalar parameters in the network.
    pub total_params: usize,
    /// Scalar parameters that train.
    pub trainable_params: usize,
    /// Examples per forward pass when evaluating ([`ModelSpec::eval_chunk`]).
    pub eval_chunk: usize,
}

/// Builds the network for `strategy`: seeded initialisation of every weight,
/// then, for reuse strategies, the backbone from `checkpoint`; for `probe`,
/// only the head is trainable.
pub fn prepare(
    spec: &ModelSpec,
    input_len: usize,
    num_classes: usize,
    strategy: Strategy,
    seed: u64,
    checkpoint: Option<&Path>,
    device: &Device,
) -> Result<PreparedModel> {
    let varmap = VarMap::new();
    let network = Network::new(
        spec,
        input_len,
        num_classes,
        seed,
        VarBuilder::from_varmap(&varmap, DType::F32, device),
    )?;
    seeded_init(&varmap, seed)?;
    if strategy.uses_pretrained() {
        let path = checkpoint.ok_or_else(|| {
            Error::Invalid(format!(
                "strategy '{strategy}' needs a pretrained checkpoint but none was given"
            ))
        })?;
        checkpoint::load_backbone(&varmap, path, device)?;
    }
    let freeze_backbone = strategy.freezes_backbone();
    let head_prefix = format!("{HEAD}.");
    let (trainable, total_params, trainable_params) = {
        let vars = varmap.data().lock().expect("var map lock poisoned");
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        let total: usize = vars.values().map(|v| v.elem_count()).sum();
        let trainable: Vec<Var> = names
            .into_iter()
            .filter(|n| !freeze_backbone || n.starts_with(&head_prefix))
            .map(|n| vars[n].clone())
            .collect();
        let count = trainable.iter().map(|v| v.elem_count()).sum();
        (trainable, total, count)
    };
    Ok(PreparedModel {
        network,
        varmap,
        trainable,
        freeze_backbone,
        total_params,
        trainable_params,
        eval_chunk: spec.eval_chunk(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::checkpoint::tests_support::save_for_test;
    use candle_core::Tensor;

    /// Probing must compute no gradient for the backbone at all; fine-tuning
    /// must reach every parameter tensor with a non-zero gradient.
    #[test]
    fn probe_freezes_backbone_finetune_trains_everything() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ModelSpec::Cnn { channels: 4 };
        let weights = save_for_test(dir.path(), &spec);
        let x = Tensor::randn(0f32, 1.0, (8, 40), &Device::Cpu).unwrap();
        let y = Tensor::from_slice(&[0u32, 1, 2, 0, 1, 2, 0, 1], 8, &Device::Cpu).unwrap();
        for strategy in Strategy::ALL {
            let m = prepare(&spec, 40, 3, strategy, 0, Some(&weights), &Device::Cpu).unwrap();
            let loss =
                candle_nn::loss::cross_entropy(&m.network.forward(&x, m.freeze_backbone, true).unwrap(), &y).unwrap();
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
        let err = prepare(&ModelSpec::default(), 40, 5, Strategy::Finetune, 0, None, &Device::Cpu)
            .err()
            .unwrap();
        assert!(err.to_string().contains("checkpoint"), "{err}");
    }
}
