//! `reuse-bench run --quick` end to end: files, their contents, the transfer
//! effect, determinism across invocations, and the checkpoint cache.

mod common;

use common::{expect_code, read_json, stderr, test_accuracies, Fixture};
use serde_json::Value;
use std::collections::HashMap;

const FILES: [&str; 5] = ["results.json", "runs.csv", "runs.jsonl", "summary.md", "suite.toml"];

#[test]
fn quick_run_writes_sane_reports_and_repeats_exactly() {
    let fx = Fixture::new();
    let first = fx.run(&["run", "--quick", "--out", "r1"]);
    expect_code(&first, 0);
    assert!(
        stderr(&first).contains("pretraining the backbone"),
        "{}",
        stderr(&first)
    );
    for f in FILES {
        assert!(fx.path("r1").join(f).is_file(), "{f} missing");
    }

    let results = read_json(&fx.path("r1/results.json"));
    assert_eq!(results["schema_version"], 1);
    assert_eq!(results["tool_version"], env!("CARGO_PKG_VERSION"));
    assert!(results["machine"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(results["machine"]["memory_bytes"].as_u64().unwrap() > 0);
    assert_eq!(
        results["machine"]["compute_threads"], 1,
        "the built-in suite runs workers on one thread"
    );
    assert_eq!(results["suite"]["name"], "mnist1d-quick");
    let card = &results["pretrained"]["card"];
    assert!(
        card["source_test_accuracy"].as_f64().unwrap() > 0.6,
        "pretraining learned little: {card}"
    );
    assert!(card["wall_s"].as_f64().unwrap() > 0.0 && card["peak_rss_bytes"].as_u64().unwrap() > 1 << 20);

    let suite = &results["suite"]["train"];
    let expected_runs = suite["budgets_per_class"].as_array().unwrap().len()
        * suite["seeds"].as_array().unwrap().len()
        * suite["strategies"].as_array().unwrap().len();
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), expected_runs);
    let mut digests: HashMap<(u64, u64), Vec<String>> = HashMap::new();
    for r in runs {
        assert_eq!(r["status"], "completed", "{r}");
        let m = &r["metrics"];
        let acc = m["test_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        let wall = m["wall_s"].as_f64().unwrap();
        let p = &m["phases"];
        let phases: f64 = ["data_s", "init_s", "train_s", "test_s"]
            .iter()
            .map(|k| p[k].as_f64().unwrap())
            .sum();
        assert!(wall > 0.0 && phases <= wall + 1e-6, "phases {phases} > wall {wall}");
        assert!(r["process_wall_s"].as_f64().unwrap() >= wall);
        let rss = m["peak_rss_bytes"].as_u64().unwrap();
        assert!(rss > 4 << 20 && rss < 2 << 30, "peak RSS {rss}");
        assert!(m["cpu_user_s"].as_f64().unwrap() > 0.0);
        assert!(!m["curve"].as_array().unwrap().is_empty());
        assert!(m["trainable_params"].as_u64().unwrap() <= m["total_params"].as_u64().unwrap());
        let key = (r["budget_per_class"].as_u64().unwrap(), r["seed"].as_u64().unwrap());
        digests
            .entry(key)
            .or_default()
            .push(m["train_set_digest"].as_str().unwrap().to_string());
    }
    // Every strategy trained on the same examples at a budget and seed; seeds differ.
    for (key, d) in &digests {
        assert!(
            d.windows(2).all(|w| w[0] == w[1]),
            "{key:?}: strategies saw different examples: {d:?}"
        );
    }
    let mut distinct: Vec<&String> = digests.values().map(|d| &d[0]).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), digests.len());

    // Aggregates: above chance (20%) at the larger budget, reuse ahead of scratch at the smallest.
    let aggs = results["aggregates"].as_array().unwrap();
    let mean = |strategy: &str, budget: u64| {
        aggs.iter()
            .find(|a| a["strategy"] == strategy && a["budget_per_class"] == budget)
            .map(|a| a["test_accuracy"]["mean"].as_f64().unwrap())
            .unwrap()
    };
    let budgets: Vec<u64> = suite["budgets_per_class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap())
        .collect();
    let (small, large) = (budgets[0], *budgets.last().unwrap());
    for s in ["scratch", "finetune", "probe"] {
        assert!(mean(s, large) > 0.4, "{s} at {large} per class: {}", mean(s, large));
    }
    assert!(
        mean("probe", small) > mean("scratch", small),
        "probe does not beat scratch at {small} per class"
    );
    assert!(
        mean("finetune", small) > mean("scratch", small),
        "finetune does not beat scratch at {small} per class"
    );

    // Every completed run is priced; the verdict, cost assumptions and intervals are there.
    for r in runs {
        let c = &r["cost"];
        let total = c["total_usd"].as_f64().unwrap();
        let parts: f64 = ["compute_usd", "labels_usd", "model_usd", "pretraining_usd"]
            .iter()
            .map(|k| c[k].as_f64().unwrap())
            .sum();
        assert!((total - parts).abs() < 1e-12 && total > 0.0, "{c}");
        assert!(c["energy"]["kwh"].as_f64().unwrap() > 0.0 && c["energy"]["carbon_kg"].as_f64().unwrap() > 0.0);
        let examples = r["metrics"]["train_examples"].as_f64().unwrap();
        let per_label = results["cost"]["usd_per_label"].as_f64().unwrap();
        assert!((c["labels_usd"].as_f64().unwrap() - examples * per_label).abs() < 1e-9);
    }
    let cost = &results["cost"];
    assert!(cost["instance"]["source"].as_str().unwrap().starts_with("http"));
    assert!(["rapl", "model", "mixed"].contains(&cost["energy_method"].as_str().unwrap()));
    let verdict = &results["verdict"];
    // The verdict is data: reasons and changes are tagged variants with their figures.
    let reasons = verdict["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty());
    assert!(reasons.iter().all(|r| r["reason"].is_string()), "{reasons:?}");
    assert!(verdict["what_would_change_it"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["change"].is_string()));
    for a in aggs.iter().filter(|a| a["completed"].as_u64().unwrap() >= 2) {
        let (lo, hi) = (
            a["test_accuracy"]["ci95"][0].as_f64().unwrap(),
            a["test_accuracy"]["ci95"][1].as_f64().unwrap(),
        );
        let mean = a["test_accuracy"]["mean"].as_f64().unwrap();
        assert!((0.0..=mean).contains(&lo) && (mean..=1.0).contains(&hi), "{a}");
        assert!(a["total_usd"]["mean"].as_f64().unwrap() > 0.0);
    }

    // The other files agree with results.json.
    let csv = std::fs::read_to_string(fx.path("r1/runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), expected_runs + 1);
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("run_id,strategy,budget_per_class,seed,status"));
    let jsonl = std::fs::read_to_string(fx.path("r1/runs.jsonl")).unwrap();
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), expected_runs);
    // runs.jsonl is in the order runs finished (workers run side by side); results.json in matrix order.
    let ids = |v: Vec<&Value>| {
        let mut ids: Vec<String> = v.iter().map(|r| r["run_id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(lines.iter().collect()), ids(runs.iter().collect()));
    let summary = std::fs::read_to_string(fx.path("r1/summary.md")).unwrap();
    assert!(summary.contains("## Test accuracy by label budget") && summary.contains("| probe |"));
    assert!(summary.starts_with("# reuse-bench: mnist1d-quick"));
    let verdict_at = summary.find("## Verdict").unwrap();
    assert!(
        verdict_at < summary.find("## Test accuracy").unwrap(),
        "the verdict comes first"
    );
    // The headline is worded in the report, from the winner (or its absence) in the data.
    let headline_start = match verdict["options"][0]["strategy"].as_str() {
        Some(winner) => format!("**Choose {winner}:"),
        None => "**No strategy reaches".to_string(),
    };
    assert!(summary[verdict_at..].contains(&headline_start), "{summary}");
    assert!(summary.contains("## Cost, energy and carbon per strategy") && summary.contains("## Cost assumptions"));
    let saved_suite = std::fs::read_to_string(fx.path("r1/suite.toml")).unwrap();
    assert!(saved_suite.contains("name = \"mnist1d-quick\""));

    // A second invocation reuses the cached checkpoint and reproduces every accuracy.
    let second = fx.run(&["run", "--quick", "--out", "r2"]);
    expect_code(&second, 0);
    assert!(
        stderr(&second).contains("using cached pretrained backbone"),
        "{}",
        stderr(&second)
    );
    let again = read_json(&fx.path("r2/results.json"));
    assert_eq!(test_accuracies(&results), test_accuracies(&again));
    assert_eq!(results["pretrained"]["card"], again["pretrained"]["card"]);

    // A third into an existing report folder is refused, and the results stay intact.
    let before = std::fs::read(fx.path("r1/results.json")).unwrap();
    let third = fx.run(&["run", "--quick", "--out", "r1"]);
    expect_code(&third, 1);
    assert!(stderr(&third).contains("never overwrites"), "{}", stderr(&third));
    assert_eq!(std::fs::read(fx.path("r1/results.json")).unwrap(), before);

    // A damaged cached checkpoint is named, with the fix, before any run starts.
    let weights = std::fs::read_dir(fx.cache().join("checkpoints"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(weights.join("model.safetensors"), b"garbage").unwrap();
    let damaged = fx.run(&["run", "--quick", "--out", "r3"]);
    expect_code(&damaged, 1);
    let err = stderr(&damaged);
    assert!(err.contains("model.safetensors") && err.contains("--force"), "{err}");
    assert!(
        !fx.path("r3").exists(),
        "a sweep stopped before its first run leaves no folder"
    );
}
