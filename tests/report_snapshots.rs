//! What the report says, pinned: `summary.md`, `runs.csv` and the text of
//! `index.html` rendered from a small hand-made result set, compared with the
//! snapshots in `tests/snapshots/`. A change to any report shows up here as a
//! diff in milliseconds; when it is intended, review it and accept it with
//! `INSTA_UPDATE=always cargo test --release --test report_snapshots` (or
//! `cargo insta review`).
//!
//! The hand-made set: the default suite cut to two strategies x two budgets x
//! two seeds, with fixed measurements, one diverged and one failed run; the
//! analysis (prices, aggregates, verdict) is the real one, so the snapshots
//! also pin the verdict's rule and its words.

use reuse_bench::analysis::{analyse, Provenance, Results};
use reuse_bench::cost::Catalog;
use reuse_bench::measure::machine::Machine;
use reuse_bench::measure::sampler::ResourceSample;
use reuse_bench::measure::stopwatch::Phases;
use reuse_bench::report::{write_reports, Files};
use reuse_bench::results::card::{ModelCard, CARD_SCHEMA_VERSION};
use reuse_bench::results::files::{INDEX_HTML, RUNS_CSV, SUMMARY_MD};
use reuse_bench::results::{Pretrained, ReportDir, RunMetrics, RunRecord, RunStatus};
use reuse_bench::suite::Suite;
use reuse_bench::train::{CurvePoint, RunSpec, Strategy};

/// A machine described by hand, so the snapshots do not depend on where they run.
fn machine() -> Machine {
    Machine {
        cpu_model: "Test CPU 3000".into(),
        logical_cores: 2,
        physical_cores: Some(1),
        compute_threads: 1,
        memory_bytes: 24 << 30,
        os: "Linux (test)".into(),
        kernel: "6.1.0".into(),
        arch: "x86_64".into(),
        device: "cpu".into(),
        parallel_jobs: 1,
        matmul_kernels: "avx2-fma".into(),
    }
}

fn suite() -> Suite {
    let mut s = Suite::resolve("mnist1d").unwrap();
    s.name = "snapshot".into();
    s.train.strategies = vec![Strategy::Scratch, Strategy::Finetune];
    s.train.budgets_per_class = vec![5, 50];
    s.train.seeds = vec![0, 1];
    s.cost.label_budget_per_class = 50;
    s
}

/// Measurements of a completed run; `acc` its test accuracy, `wall_s` its time.
fn metrics(spec: &RunSpec, acc: f64, wall_s: f64) -> RunMetrics {
    let curve: Vec<CurvePoint> = (1..=3)
        .map(|epoch| CurvePoint {
            epoch,
            elapsed_s: wall_s * epoch as f64 / 3.0,
            val_accuracy: acc * (0.7 + 0.1 * epoch as f64),
            train_loss: 1.5 / epoch as f64,
        })
        .collect();
    let finetune = spec.strategy == Strategy::Finetune;
    RunMetrics {
        train_examples: spec.budget_per_class * 5,
        train_set_digest: format!("digest-b{}-s{}", spec.budget_per_class, spec.seed),
        test_accuracy: Some(acc),
        best_val_accuracy: acc,
        best_epoch: 3,
        epochs_run: 3,
        steps: 60,
        time_to_target_s: (acc >= 0.8).then_some(wall_s * 2.0 / 3.0),
        phases: Phases {
            data_s: 0.1,
            init_s: if finetune { 0.05 } else { 0.01 },
            train_s: wall_s - 0.2,
            test_s: 0.05,
        },
        wall_s,
        cpu_user_s: wall_s * 0.9,
        cpu_system_s: wall_s * 0.05,
        peak_rss_bytes: 100 << 20,
        rapl_energy_j: None,
        total_params: 7205,
        trainable_params: 7205,
        curve,
    }
}

fn record(spec: RunSpec, status: RunStatus, metrics: Option<RunMetrics>, message: Option<&str>) -> RunRecord {
    RunRecord {
        run_id: spec.run_id(),
        strategy: spec.strategy,
        budget_per_class: spec.budget_per_class,
        seed: spec.seed,
        status,
        message: message.map(str::to_string),
        process_wall_s: metrics.as_ref().map_or(0.3, |m| m.wall_s + 0.05),
        metrics,
        timeline: vec![ResourceSample {
            elapsed_s: 0.1,
            rss_bytes: 50 << 20,
            cpu_percent: 99.0,
        }],
    }
}

fn runs() -> Vec<RunRecord> {
    let mut out = Vec::new();
    for (budget, seed, scratch, finetune) in [
        (5, 0, Some(0.41), Some(0.62)),
        (5, 1, Some(0.39), None),
        (50, 0, Some(0.74), Some(0.86)),
        (50, 1, None, Some(0.84)),
    ] {
        for (strategy, acc) in [(Strategy::Scratch, scratch), (Strategy::Finetune, finetune)] {
            let spec = RunSpec {
                strategy,
                budget_per_class: budget,
                seed,
            };
            let wall_s = 0.5 + budget as f64 / 50.0 + seed as f64 * 0.1;
            out.push(match acc {
                Some(acc) => record(spec, RunStatus::Completed, Some(metrics(&spec, acc, wall_s)), None),
                None if strategy == Strategy::Finetune => {
                    let mut m = metrics(&spec, 0.2, wall_s);
                    m.test_accuracy = None;
                    let message = "loss NaN at epoch 2, step 31; try a lower learning rate";
                    record(spec, RunStatus::Diverged, Some(m), Some(message))
                }
                None => record(spec, RunStatus::Failed, None, Some("worker exited with signal 9")),
            });
        }
    }
    out
}

fn card(suite: &Suite) -> ModelCard {
    ModelCard {
        schema_version: CARD_SCHEMA_VERSION,
        tool_version: "0.0.0-snapshot".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        recipe: suite.pretrain_recipe(),
        source_train_examples: 16500,
        source_val_accuracy: 0.99,
        source_test_accuracy: 0.988,
        epochs_run: 12,
        best_epoch: 9,
        wall_s: 2.5,
        cpu_s: 2.4,
        peak_rss_bytes: 150 << 20,
        rapl_energy_j: None,
        total_params: 7205,
        checkpoint_bytes: 29_120,
        machine: machine(),
    }
}

/// The hand-made result set, analysed by the real analysis.
fn results() -> Results {
    let suite = suite();
    let card = card(&suite);
    let runs = runs();
    let analysis = analyse(&suite, &runs, Some(&card), &Catalog::builtin()).unwrap();
    let mut results = Results::new(
        Provenance {
            tool_version: "0.0.0-snapshot".into(),
            command: vec![
                "reuse-bench".into(),
                "run".into(),
                "--suite".into(),
                "snapshot.toml".into(),
            ],
            suite,
            machine: machine(),
            pretrained: Some(Pretrained {
                dir: "/cache/checkpoints/0123456789abcdef".into(),
                card: Some(card),
                from_cache: true,
                given: None,
            }),
            sweep_wall_s: 12.5,
            partial: None,
            repriced: None,
        },
        analysis,
    );
    results.created_at = "2026-01-02T03:04:05Z".into();
    results
}

/// Renders the hand-made set into a fresh folder and reads one file back.
fn rendered(file: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = ReportDir::new(dir.path());
    write_reports(&out, &results(), Files::All).unwrap();
    std::fs::read_to_string(out.file(file)).unwrap()
}

#[test]
fn summary_md() {
    insta::assert_snapshot!("summary.md", rendered(SUMMARY_MD));
}

#[test]
fn runs_csv() {
    insta::assert_snapshot!("runs.csv", rendered(RUNS_CSV));
}

/// The page's text: the HTML with each embedded PNG cut to its prefix, so
/// the snapshot pins what the page says and how it is laid out, while the
/// charts' pixels are checked by `tests/report_outputs.rs`.
#[test]
fn index_html_text() {
    let html = rendered(INDEX_HTML);
    let mut text = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(at) = rest.find("data:image/png;base64,") {
        let (before, after) = rest.split_at(at + "data:image/png;base64,".len());
        text.push_str(before);
        text.push_str("...");
        rest = &after[after.find('"').unwrap_or(after.len())..];
    }
    text.push_str(rest);
    insta::assert_snapshot!("index.html", text);
}

#[test]
fn tables_do_not_depend_on_the_order_of_the_aggregates() {
    let r = results();
    let mut shuffled = r.clone();
    shuffled.aggregates.reverse();
    let table = |r: &Results| reuse_bench::report::accuracy_table(r);
    assert_eq!(table(&r), table(&shuffled));
}

#[test]
fn the_verdict_is_data_worded_in_the_report() {
    let r = results();
    // Finetune reaches 80% at 50 labels per class (0.86, 0.84); scratch never does.
    let winner = r.verdict.winner().unwrap();
    assert_eq!((winner.strategy, winner.budget_per_class), (Strategy::Finetune, 50));
    let json = serde_json::to_value(&r.verdict).unwrap();
    assert_eq!(json["reasons"][0]["reason"], "winner_reaches");
    assert!(
        json.get("headline").is_none(),
        "the sentences live in the report, not the data"
    );
    let summary = rendered(SUMMARY_MD);
    assert!(
        summary.contains("**Choose finetune: it reaches 80.0% with 50 labels per class"),
        "{summary}"
    );
}
