//! A text suite end to end on small real files made here: a CSV of labelled
//! snippets, a word-level tokenizer.json, and a given pretrained model folder
//! in Hugging Face layout (config.json + model.safetensors with bare tensor
//! names) holding a tiny BERT. The real all-MiniLM-L6-v2 is checked in
//! tests/minilm.rs; the built-in `sentiment` suite uses it.

mod common;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use common::{expect_code, read_json, stderr, Fixture};
use reuse_bench::model::bert::BertConfig;
use reuse_bench::model::{init::seeded_init, ModelSpec, Network};
use std::collections::HashMap;
use std::path::Path;

const WORDS: [&str; 12] = [
    "good", "great", "fine", "bad", "awful", "dull", "the", "film", "was", "a", "plot", "story",
];

fn config() -> BertConfig {
    BertConfig {
        vocab_size: WORDS.len() + 2,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 16,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        pad_token_id: 0,
    }
}

/// Snippets whose label follows from their sentiment word; `plot` rows to be dropped.
fn write_csv(path: &Path) {
    let mut csv = String::from("category,text\n");
    for i in 0..240 {
        let (label, word) = if i % 2 == 0 {
            ("fresh", ["good", "great", "fine"][i % 3])
        } else {
            ("rotten", ["bad", "awful", "dull"][i % 3])
        };
        csv.push_str(&format!(
            "{label},\"the {} was {word}, a {word} film\"\n",
            ["film", "story", "plot"][i % 3]
        ));
    }
    csv.push_str("plot,\"the plot was a story\"\n");
    std::fs::write(path, csv).unwrap();
}

fn write_tokenizer(path: &Path) {
    let mut vocab: Vec<String> = vec!["\"[PAD]\": 0".into(), "\"[UNK]\": 1".into()];
    vocab.extend(WORDS.iter().enumerate().map(|(i, w)| format!("\"{w}\": {}", i + 2)));
    let json = format!(
        r#"{{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": {{"type": "Lowercase"}}, "pre_tokenizer": {{"type": "Whitespace"}},
            "post_processor": null, "decoder": null,
            "model": {{"type": "WordLevel", "vocab": {{{}}}, "unk_token": "[UNK]"}}}}"#,
        vocab.join(", ")
    );
    std::fs::write(path, json).unwrap();
}

/// A "given" model folder: config.json and seeded weights under Hugging Face's bare names.
fn write_model(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut json = serde_json::to_value(config()).unwrap();
    json["hidden_act"] = "gelu".into();
    std::fs::write(dir.join("config.json"), json.to_string()).unwrap();
    let vm = VarMap::new();
    Network::new(
        &ModelSpec::Bert(config()),
        12,
        2,
        0,
        VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu),
    )
    .unwrap();
    seeded_init(&vm, 77).unwrap();
    let tensors: HashMap<String, Tensor> = vm
        .data()
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("backbone.")?.to_string(), v.as_tensor().clone())))
        .collect();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();
}

fn suite_toml() -> String {
    let c = config();
    format!(
        r#"name = "tiny-text"
target_accuracy = 0.7
[task]
kind = "text"
seed = 1
path = "reviews.csv"
text_column = "text"
label_column = "category"
drop_labels = ["plot"]
tokenizer = "tokenizer.json"
max_tokens = 12
classes = ["fresh", "rotten"]
target_val_per_class = 20
target_test_per_class = 40
[model]
arch = "bert"
vocab_size = {}
hidden_size = 16
num_hidden_layers = 2
num_attention_heads = 2
intermediate_size = 32
max_position_embeddings = 16
type_vocab_size = 2
layer_norm_eps = 1e-12
hidden_dropout_prob = 0.1
attention_probs_dropout_prob = 0.1
[pretrained]
dir = "model"
name = "test/tiny-bert"
[train]
strategies = ["scratch", "finetune", "probe", "baseline"]
budgets_per_class = [20]
seeds = [0]
max_epochs = 8
min_steps_per_epoch = 4
patience = 8
batch_size = 16
[train.learning_rate]
scratch = 0.003
finetune = 0.003
probe = 0.01
baseline = 0.01
[baseline]
arch = "bag"
vocab_size = {}
embedding_dim = 8
hidden = 8
[cost.model]
source = "hub"
licence = "Apache-2.0"
"#,
        c.vocab_size, c.vocab_size
    )
}

#[test]
fn text_suite_with_a_given_model() {
    let fx = Fixture::new();
    write_csv(&fx.path("reviews.csv"));
    write_tokenizer(&fx.path("tokenizer.json"));
    std::fs::write(fx.path("text.toml"), suite_toml()).unwrap();

    // Without the model's files the run stops before creating its folder, naming the file.
    let missing = fx.run(&["run", "--suite", "text.toml", "--out", "none"]);
    expect_code(&missing, 1);
    assert!(stderr(&missing).contains("model.safetensors"), "{}", stderr(&missing));
    assert!(!fx.path("none").exists());

    write_model(&fx.path("model"));
    let out = fx.run(&["run", "--suite", "text.toml", "--out", "r"]);
    expect_code(&out, 0);
    assert!(
        stderr(&out).contains("using the given pretrained model test/tiny-bert"),
        "{}",
        stderr(&out)
    );
    let results = read_json(&fx.path("r/results.json"));
    assert_eq!(results["pretrained"]["given"]["name"], "test/tiny-bert");
    assert!(results["pretrained"]["card"].is_null(), "nothing was pretrained here");
    assert!(results["cost"]["pretraining"].is_null());
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for r in runs {
        assert_eq!(r["status"], "completed", "{r}");
        let m = &r["metrics"];
        assert_eq!(m["train_examples"], 40);
        assert!(
            m["test_accuracy"].as_f64().unwrap() > 0.6,
            "the sentiment word decides the label: {r}"
        );
    }
    let finetune = runs.iter().find(|r| r["strategy"] == "finetune").unwrap();
    let probe = runs.iter().find(|r| r["strategy"] == "probe").unwrap();
    assert_eq!(
        finetune["metrics"]["trainable_params"],
        finetune["metrics"]["total_params"]
    );
    assert_eq!(
        probe["metrics"]["trainable_params"],
        16 * 2 + 2,
        "probe trains only the head"
    );
    assert_eq!(
        probe["metrics"]["total_params"], finetune["metrics"]["total_params"],
        "the frozen backbone counts"
    );
    // The probe trained its head on the frozen backbone's features, cached once for the dataset.
    let cached: Vec<_> = std::fs::read_dir(fx.cache().join("features")).unwrap().collect();
    assert_eq!(cached.len(), 1, "one feature cache file");

    // The same model through --pretrained hf:ORG/NAME, from a folder laid out like the hub cache.
    let snapshot = fx.path("hub/models--test--tiny-bert/snapshots/0123456789abcdef0123456789abcdef01234567");
    std::fs::create_dir_all(&snapshot).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(fx.path("model").join(f), snapshot.join(f)).unwrap();
    }
    std::fs::create_dir_all(fx.path("hub/models--test--tiny-bert/refs")).unwrap();
    std::fs::write(
        fx.path("hub/models--test--tiny-bert/refs/main"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .unwrap();
    let hub = std::process::Command::new(env!("CARGO_BIN_EXE_reuse-bench"))
        .args([
            "run",
            "--suite",
            "text.toml",
            "--pretrained",
            "hf:test/tiny-bert",
            "--out",
            "r-hub",
        ])
        .current_dir(fx.dir.path())
        .env("REUSE_BENCH_CACHE", fx.cache())
        .env("HF_HUB_CACHE", fx.path("hub"))
        .output()
        .unwrap();
    expect_code(&hub, 0);
    let via_hub = read_json(&fx.path("r-hub/results.json"));
    assert_eq!(via_hub["pretrained"]["given"]["name"], "test/tiny-bert@main");
    let accuracies = |r: &serde_json::Value| -> Vec<f64> {
        r["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["metrics"]["test_accuracy"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(
        accuracies(&via_hub),
        accuracies(&results),
        "the same weights give the same runs"
    );
    let missing = fx.run(&[
        "run",
        "--suite",
        "text.toml",
        "--pretrained",
        "hf:test/absent",
        "--out",
        "r-none",
    ]);
    expect_code(&missing, 1);
    assert!(stderr(&missing).contains("never downloads"), "{}", stderr(&missing));

    // Without [model], the given model's config.json describes it, as it is: the same runs.
    let text = suite_toml();
    let (head, rest) = text.split_once("[model]").unwrap();
    let tail = &rest[rest.find("[pretrained]").unwrap()..];
    std::fs::write(fx.path("no-model.toml"), format!("{head}{tail}")).unwrap();
    let out = fx.run(&["run", "--suite", "no-model.toml", "--out", "r-config"]);
    expect_code(&out, 0);
    let from_config = read_json(&fx.path("r-config/results.json"));
    assert_eq!(
        accuracies(&from_config),
        accuracies(&results),
        "config.json gives the same model"
    );
    let saved = std::fs::read_to_string(fx.path("r-config/suite.toml")).unwrap();
    assert!(
        saved.contains("arch = \"bert\"") && saved.contains("hidden_size = 16"),
        "{saved}"
    );

    // A given model whose config does not match the suite's is refused, naming the file.
    let mut json: serde_json::Value = read_json(&fx.path("model/config.json"));
    json["hidden_size"] = 32.into();
    std::fs::write(fx.path("model/config.json"), json.to_string()).unwrap();
    let misfit = fx.run(&["run", "--suite", "text.toml", "--out", "r2"]);
    expect_code(&misfit, 1);
    assert!(stderr(&misfit).contains("config.json"), "{}", stderr(&misfit));
}

/// Bad text data and bad given weights are found in the parent before any
/// worker starts: exit 1, a message naming the file and the fix, no folder.
#[test]
fn text_data_and_model_errors_stop_the_sweep_before_it_starts() {
    let fx = Fixture::new();
    write_tokenizer(&fx.path("tokenizer.json"));
    write_model(&fx.path("model"));
    std::fs::write(fx.path("text.toml"), suite_toml()).unwrap();
    let refused = |out: &str, needles: &[&str]| {
        let run = fx.run(&["run", "--suite", "text.toml", "--out", out]);
        expect_code(&run, 1);
        let err = stderr(&run);
        assert!(needles.iter().all(|n| err.contains(n)), "{err}");
        assert!(!err.contains("stack backtrace"), "{err}");
        assert!(!fx.path(out).exists(), "a refused sweep left {out}");
    };

    // A third label is not silently a class (or silently dropped): it must be listed.
    write_csv(&fx.path("reviews.csv"));
    let mut csv = std::fs::read_to_string(fx.path("reviews.csv")).unwrap();
    csv.push_str(&"meh,\"the film was fine\"\n".repeat(70));
    std::fs::write(fx.path("reviews.csv"), &csv).unwrap();
    refused("meh", &["reviews.csv", "label 'meh' (70 rows)", "task.drop_labels"]);

    // A missing label column names the columns there are.
    std::fs::write(fx.path("reviews.csv"), "kind,text\nfresh,good film\nrotten,bad film\n").unwrap();
    refused("nolabel", &["reviews.csv", "no column named 'category'", "kind, text"]);

    // Truncated weights of the given model: found when loading them into the suite's network.
    write_csv(&fx.path("reviews.csv"));
    let weights = std::fs::read(fx.path("model/model.safetensors")).unwrap();
    std::fs::write(fx.path("model/model.safetensors"), &weights[..weights.len() / 2]).unwrap();
    refused(
        "torn",
        &["model.safetensors", "not a readable safetensors file", "fetch it again"],
    );

    // Weights of another shape: the tensor and both shapes are named.
    std::fs::write(fx.path("model/model.safetensors"), &weights).unwrap();
    let suite = suite_toml().replace("intermediate_size = 32", "intermediate_size = 48");
    std::fs::write(fx.path("text.toml"), suite).unwrap();
    let mut config: serde_json::Value = read_json(&fx.path("model/config.json"));
    config["intermediate_size"] = 48.into();
    std::fs::write(fx.path("model/config.json"), config.to_string()).unwrap();
    refused("shape", &["intermediate.dense.bias", "shape [32]", "needs [48]"]);
}

/// `init --format text --pretrained DIR` writes a suite without `[model]`
/// (the model's config.json describes it) that `run --quick` completes.
#[test]
fn init_writes_a_text_suite_for_a_given_model() {
    let fx = Fixture::new();
    write_csv(&fx.path("all.csv"));
    write_model(&fx.path("model"));
    write_tokenizer(&fx.path("model/tokenizer.json"));
    let init = |data: &str, out: &str| {
        fx.run(&[
            "init",
            data,
            "--format",
            "text",
            "--label-column",
            "category",
            "--pretrained",
            "model",
            "--out",
            out,
        ])
    };
    // The single `plot` row is a class too small to sweep: named, nothing written.
    let small = init("all.csv", "bad.toml");
    expect_code(&small, 1);
    assert!(stderr(&small).contains("'plot', has 1 texts"), "{}", stderr(&small));
    assert!(!fx.path("bad.toml").exists());

    let csv = std::fs::read_to_string(fx.path("all.csv")).unwrap();
    let kept: Vec<&str> = csv.lines().filter(|l| !l.starts_with("plot,")).collect();
    std::fs::write(fx.path("reviews.csv"), kept.join("\n") + "\n").unwrap();
    let out = init("reviews.csv", "reviews.toml");
    expect_code(&out, 0);
    let text = std::fs::read_to_string(fx.path("reviews.toml")).unwrap();
    for line in [
        "kind = \"text\"",
        "classes = [\"fresh\", \"rotten\"]",
        "[pretrained]",
        "arch = \"bag\"",
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
    assert!(
        !text.lines().any(|l| l.trim() == "[model]"),
        "the model comes from config.json:\n{text}"
    );
    let run = fx.run(&["run", "--suite", "reviews.toml", "--quick", "--out", "r"]);
    expect_code(&run, 0);
    let r = read_json(&fx.path("r/results.json"));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 16, "4 strategies x 2 budgets x 2 seeds");
    let best = runs
        .iter()
        .filter_map(|run| run["metrics"]["test_accuracy"].as_f64())
        .fold(0.0, f64::max);
    assert!(best > 0.8, "the sentiment word decides the label: best {best}");
    // Without a model, a text suite cannot be written.
    let none = fx.run(&[
        "init",
        "reviews.csv",
        "--format",
        "text",
        "--source-classes",
        "fresh",
        "--out",
        "x.toml",
    ]);
    expect_code(&none, 1);
    assert!(stderr(&none).contains("--pretrained"), "{}", stderr(&none));
}
