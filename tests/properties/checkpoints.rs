//! Checkpoints: a damaged model card or weights file loads or fails with an
//! error naming the file; nothing panics.

use crate::mutate::{check, mutated, names};
use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use proptest::prelude::*;
use reuse_bench::measure::machine::Machine;
use reuse_bench::model::init::seeded_init;
use reuse_bench::model::weights::{load_backbone, save_varmap, verify, WEIGHTS_FILE};
use reuse_bench::model::{ModelSpec, Network};
use reuse_bench::results::card::{ModelCard, PretrainRecipe, CARD_SCHEMA_VERSION};
use reuse_bench::results::checkpoints::load_card;
use reuse_bench::results::files::MODEL_CARD_JSON;
use reuse_bench::suite::{PretrainSpec, TaskSpec};

/// A small network's parameters: the CNN's backbone (six tensors) and a head.
fn network(channels: usize) -> VarMap {
    let vm = VarMap::new();
    let spec = ModelSpec::Cnn { channels };
    Network::new(&spec, 40, 3, 0, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
    seeded_init(&vm, 7).unwrap();
    vm
}

fn card() -> ModelCard {
    ModelCard {
        schema_version: CARD_SCHEMA_VERSION,
        tool_version: reuse_bench::TOOL_VERSION.into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        recipe: PretrainRecipe {
            model: ModelSpec::Cnn { channels: 4 },
            task: TaskSpec::default(),
            pretrain: PretrainSpec::default(),
        },
        source_train_examples: 15500,
        source_val_accuracy: 0.91,
        source_test_accuracy: 0.9,
        epochs_run: 12,
        best_epoch: 9,
        wall_s: 31.5,
        cpu_s: 30.25,
        peak_rss_bytes: 123_456_789,
        rapl_energy_j: Some(812.5),
        total_params: 2_000,
        checkpoint_bytes: 9_000,
        machine: Machine::default(),
    }
}

#[test]
fn damaged_model_cards_load_or_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(MODEL_CARD_JSON);
    let valid = serde_json::to_vec_pretty(&card()).unwrap();
    let bytes = prop_oneof![
        4 => mutated(valid),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    check(256, bytes, |bytes| {
        std::fs::write(&path, &bytes).unwrap();
        match load_card(dir.path()) {
            // Whatever a damaged card still says, it says it again when saved.
            Ok(c) => {
                let again: ModelCard = serde_json::from_slice(&serde_json::to_vec(&c).unwrap()).unwrap();
                prop_assert_eq!(again, c);
            }
            Err(e) => names(&e, &path.display().to_string())?,
        }
        Ok(())
    });
    std::fs::remove_file(&path).unwrap();
    let missing = load_card(dir.path()).unwrap_err();
    assert!(missing.to_string().contains(&*path.to_string_lossy()), "{missing}");
}

/// Weights: a valid file damaged, or bytes with a plausible length prefix, or any bytes.
fn weights_bytes(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let header = prop::collection::vec(any::<u8>(), 0..48);
    prop_oneof![
        6 => mutated(valid),
        1 => header.clone(),
        // An 8-byte little-endian header length, then a JSON-ish header.
        1 => (any::<u64>(), header).prop_map(|(n, rest)| [n.to_le_bytes().to_vec(), rest].concat()),
        1 => prop::sample::select(vec!["[4294967296,4294967296]", "[4294967296,4294967296,4294967296]", "[0,3]"])
            .prop_map(declaring),
    ]
}

/// A file declaring one F32 tensor `backbone.conv1.weight` of `shape` and holding no data.
fn declaring(shape: &str) -> Vec<u8> {
    let header = format!(r#"{{"backbone.conv1.weight":{{"dtype":"F32","shape":{shape},"data_offsets":[0,0]}}}}"#);
    [(header.len() as u64).to_le_bytes().as_slice(), header.as_bytes()].concat()
}

#[test]
fn damaged_weights_load_or_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(WEIGHTS_FILE);
    let source = network(4);
    save_varmap(&source, &path).unwrap();
    let valid = std::fs::read(&path).unwrap();
    let target = network(4);
    check(192, weights_bytes(valid), |bytes| {
        std::fs::write(&path, &bytes).unwrap();
        let verified = verify(dir.path());
        if let Err(e) = &verified {
            names(e, &path.display().to_string())?;
        }
        match load_backbone(&target, &path, &Device::Cpu) {
            Ok(n) => {
                prop_assert_eq!(n, 6);
                prop_assert!(verified.is_ok(), "loads, but verify says {}", verified.unwrap_err());
            }
            Err(e) => names(&e, &path.display().to_string())?,
        }
        Ok(())
    });
}
