//! `compare` is honest about what it compared: it refuses two result sets of
//! different tasks or models unless `--force`d (and then says how they
//! differ), names every run that diverged or failed on either side, and its
//! gate fails when runs of a cell failed in B or when A and B share no cell.
//!
//! One real quick sweep gives A; every B is A's `results.json` edited the way
//! the case needs (run statuses, the suite's task and model, the cells).

mod common;

use common::{expect_code, read_json, stderr, Fixture};
use serde_json::{json, Value};
use std::process::Output;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `results` into the new report folder `name` of the fixture.
fn write_results(fx: &Fixture, name: &str, results: &Value) {
    std::fs::create_dir(fx.path(name)).unwrap();
    assert_eq!(results["schema_version"], 1);
    std::fs::write(
        fx.path(&format!("{name}/results.json")),
        serde_json::to_vec(results).unwrap(),
    )
    .unwrap();
}

/// Every figure an aggregate summarises over its completed runs.
const FIGURES: &[&str] = &[
    "test_accuracy",
    "wall_s",
    "cpu_s",
    "peak_rss_mib",
    "time_to_target_s",
    "energy_kwh",
    "carbon_kg",
    "compute_usd",
    "labels_usd",
    "model_usd",
    "pretraining_usd",
    "total_usd",
];

/// A's results with every run failed, as a sweep whose workers all crashed leaves them.
fn all_failed(a: &Value) -> Value {
    let mut b = a.clone();
    for run in b["runs"].as_array_mut().unwrap() {
        run["status"] = json!("failed");
        run["message"] = json!("worker exited with signal 9");
        run["metrics"] = Value::Null;
        run["cost"] = Value::Null;
    }
    for agg in b["aggregates"].as_array_mut().unwrap() {
        agg["failed"] = agg["runs"].clone();
        agg["completed"] = json!(0);
        agg["reached_target"] = json!(0);
        for f in FIGURES {
            agg[*f] = Value::Null;
        }
    }
    b
}

/// A's results with one run (of a two-seed cell) diverged, its cell's counts to match.
fn one_diverged(a: &Value) -> (Value, String) {
    let mut b = a.clone();
    let run = &mut b["runs"][0];
    run["status"] = json!("diverged");
    run["message"] = json!("loss is NaN at epoch 3");
    let (id, strategy, budget) = (
        run["run_id"].as_str().unwrap().to_string(),
        run["strategy"].clone(),
        run["budget_per_class"].clone(),
    );
    let agg = b["aggregates"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|g| g["strategy"] == strategy && g["budget_per_class"] == budget)
        .unwrap();
    agg["completed"] = json!(agg["completed"].as_u64().unwrap() - 1);
    agg["diverged"] = json!(1);
    (b, id)
}

#[test]
fn compare_is_honest_about_failures_identity_and_empty_comparisons() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "a"]), 0);
    let a = read_json(&fx.path("a/results.json"));
    same_set_passes(&fx);
    failed_runs_in_b_fail_the_gate_and_are_named(&fx, &a);
    a_different_task_is_refused_unless_forced(&fx, &a);
    a_text_suite_against_mnist1d_is_refused_and_shares_no_cell(&fx, &a);
    no_shared_cell_fails_the_gate(&fx, &a);
}

/// A against itself: the same suite, every run completed, the gate passes.
fn same_set_passes(fx: &Fixture) {
    let out = fx.run(&["compare", "a", "a", "--fail-on-regression", "0", "--out", "same"]);
    expect_code(&out, 0);
    let md = stdout(&out);
    assert!(md.contains("No figure worsened by more than 0"), "{md}");
    assert!(
        md.contains("- A: every run completed.\n- B: every run completed."),
        "{md}"
    );
    assert!(!md.contains("Different suites"), "{md}");
    let cmp = read_json(&fx.path("same/compare.json"));
    assert_eq!(cmp["identity"], json!([]));
    assert_eq!(cmp["a"]["name"], "a");
    assert_eq!(cmp["a"]["suite"], "mnist1d-quick");
    assert_eq!(cmp["b"]["unfinished"], json!([]));
    assert_eq!(cmp["regressions"], json!([]));
    let cell = &cmp["cells"][0];
    assert_eq!(cell["a_runs"], cell["b_runs"]);
    assert_eq!(cell["a_runs"]["completed"], 2);
}

/// Problem 1: every run of B failed, yet the gate passed ("No figure worsened")
/// and the failures went unmentioned.
fn failed_runs_in_b_fail_the_gate_and_are_named(fx: &Fixture, a: &Value) {
    write_results(fx, "failed", &all_failed(a));
    let out = gate(fx, "a", "failed", "cmp-failed", false);
    expect_code(&out, 4);
    let md = stdout(&out);
    assert!(!md.contains("No figure worsened"), "{md}");
    assert!(
        md.contains("scratch @ 5: 0 of 2 runs completed in B (2 failed), against 2 of 2 in A"),
        "{md}"
    );
    assert!(md.contains("2/2 → 0/2 **regression**"), "{md}");
    assert!(
        md.contains("- B: 12 of 12 runs did not complete; failed: `scratch-b5-s0`, "),
        "{md}"
    );
    assert!(md.contains("- A: every run completed."), "{md}");
    let cells = a["aggregates"].as_array().unwrap().len();
    assert!(
        stderr(&out).contains(&format!(
            "{cells} regression(s) beyond 10%: {cells} cell(s) whose runs diverged or failed in B"
        )),
        "{}",
        stderr(&out)
    );
    let cmp = read_json(&fx.path("cmp-failed/compare.json"));
    let regressions = cmp["regressions"].as_array().unwrap();
    assert_eq!(regressions.len(), cells);
    assert!(regressions.iter().all(|r| r["kind"] == "runs_lost"), "{regressions:?}");
    assert_eq!(regressions[0]["b"]["failed"], 2);
    let unfinished = cmp["b"]["unfinished"].as_array().unwrap();
    let ids: Vec<&Value> = a["runs"].as_array().unwrap().iter().map(|r| &r["run_id"]).collect();
    assert_eq!(unfinished.iter().map(|u| &u["run_id"]).collect::<Vec<_>>(), ids);
    assert_eq!(unfinished[0]["status"], "failed");
    assert_eq!(unfinished[0]["message"], "worker exited with signal 9");

    // Without the gate nothing fails, but the failures are still listed.
    let out = fx.run(&["compare", "a", "failed"]);
    expect_code(&out, 0);
    assert!(stdout(&out).contains("- B: 12 of 12 runs did not complete; failed: "));
    assert!(!stdout(&out).contains("Regressions"));

    // One diverged run of a two-seed cell: named, and the gate fails on it.
    let (b, id) = one_diverged(a);
    write_results(fx, "diverged", &b);
    let out = fx.run(&["compare", "a", "diverged", "--fail-on-regression", "10"]);
    expect_code(&out, 4);
    let md = stdout(&out);
    assert!(
        md.contains(&format!("- B: 1 of 12 runs did not complete; diverged: `{id}`.")),
        "{md}"
    );
    assert!(
        md.contains("1 of 2 runs completed in B (1 diverged), against 2 of 2 in A"),
        "{md}"
    );
    // Runs that failed in A and not in B are B's improvement, never B's regression.
    let out = fx.run(&["compare", "diverged", "a", "--fail-on-regression", "10"]);
    expect_code(&out, 0);
    assert!(stdout(&out).contains(&format!("- A: 1 of 12 runs did not complete; diverged: `{id}`.")));
}

/// The UCI digits task in place of A's MNIST-1D (10 classes, an MLP).
fn as_digits(a: &Value) -> Value {
    let mut b = a.clone();
    b["suite"]["name"] = json!("digits-quick");
    b["suite"]["task"]["kind"] = json!("digits");
    b["suite"]["task"]["target_classes"] = json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    b["suite"]["model"] = json!({"arch": "mlp", "hidden": 128, "depth": 2});
    // Lower figures, as ten classes would give: a "regression" were they comparable.
    for agg in b["aggregates"].as_array_mut().unwrap() {
        let mean = agg["test_accuracy"]["mean"].as_f64().unwrap();
        agg["test_accuracy"]["mean"] = json!(mean * 0.5);
    }
    b
}

/// Problem 2: MNIST-1D (5 classes) against the UCI digits (10 classes) exited 4
/// with "regressions" between unrelated experiments.
fn a_different_task_is_refused_unless_forced(fx: &Fixture, a: &Value) {
    write_results(fx, "digits", &as_digits(a));
    let out = gate(fx, "a", "digits", "cmp-digits", false);
    expect_code(&out, 1);
    let err = stderr(&out);
    for part in [
        "error: cannot compare a with digits: they ran different tasks or models (suites mnist1d-quick and \
         digits-quick)",
        "  task.kind: mnist1d vs digits\n",
        "  task.target_classes: [5, 6, 7, 8, 9] vs [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n",
        "  model: 1-D CNN (3 conv layers, 32 channels) vs MLP (2 hidden layers of 128)\n",
        "pass --force to compare them anyway",
    ] {
        assert!(err.contains(part), "{part:?} missing from:\n{err}");
    }
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(!fx.path("cmp-digits").exists(), "a refused comparison writes nothing");

    // Forced: compared, the differences listed first, and the gate still gates.
    let out = gate(fx, "a", "digits", "cmp-digits", true);
    expect_code(&out, 4);
    assert!(stderr(&out).contains("comparing anyway (--force): A and B differ in 3 setting(s)"));
    let md = std::fs::read_to_string(fx.path("cmp-digits/compare.md")).unwrap();
    assert!(md.contains("## Different suites (compared anyway: --force)"), "{md}");
    assert!(md.contains("- task.kind: mnist1d vs digits\n"), "{md}");
    assert!(md.contains("test_accuracy fell by 50.0%"), "{md}");
    let cmp = read_json(&fx.path("cmp-digits/compare.json"));
    assert_eq!(
        cmp["identity"][0],
        json!({"part": "task", "key": "kind", "a": "mnist1d", "b": "digits"})
    );
    assert_eq!(cmp["identity"][2]["part"], "model");
    assert_eq!(
        cmp["identity"][2]["b"],
        json!({"arch": "mlp", "hidden": 128, "depth": 2})
    );
    // Forced without a gate: exit 0, the differences still in the Markdown.
    let out = fx.run(&["compare", "a", "digits", "--force"]);
    expect_code(&out, 0);
    assert!(stdout(&out).contains("- model: 1-D CNN (3 conv layers, 32 channels) vs MLP (2 hidden layers of 128)"));
}

/// A text suite's results in place of A's: another task, model and sweep.
fn as_text(a: &Value) -> Value {
    let mut b = a.clone();
    b["suite"]["name"] = json!("sentiment-quick");
    let task = &mut b["suite"]["task"];
    task["kind"] = json!("text");
    task["path"] = json!("data/rotten_tomatoes.csv");
    task["tokenizer"] = json!("data/all-MiniLM-L6-v2/tokenizer.json");
    task["source_classes"] = json!([]);
    task["target_classes"] = json!([0, 1]);
    b["suite"]["model"] = json!({"arch": "bag", "vocab_size": 30522, "embedding_dim": 64, "hidden": 64});
    for agg in b["aggregates"].as_array_mut().unwrap() {
        agg["budget_per_class"] = json!(agg["budget_per_class"].as_u64().unwrap() * 8 / 5);
    }
    b
}

/// Problem 2, again: a text suite against MNIST-1D shared no cell and passed
/// the gate with "No figure worsened".
fn a_text_suite_against_mnist1d_is_refused_and_shares_no_cell(fx: &Fixture, a: &Value) {
    write_results(fx, "text", &as_text(a));
    let out = fx.run(&["compare", "text", "a", "--fail-on-regression", "10"]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("  task.kind: text vs mnist1d\n"), "{err}");
    assert!(err.contains("  task.path: data/rotten_tomatoes.csv vs none\n"), "{err}");
    assert!(
        err.contains("  model: embedding bag (64-d token embeddings, mean, 64 hidden) vs 1-D CNN"),
        "{err}"
    );

    let out = gate(fx, "text", "a", "cmp-text", true);
    expect_code(&out, 4);
    let md = stdout(&out);
    assert!(!md.contains("No figure worsened"), "{md}");
    assert!(md.contains("A and B share no cell (strategy and labels per class), so nothing was compared."));
    assert!(stderr(&out).contains("A and B share no cell (strategy and labels per class): nothing was compared"));
    let cmp = read_json(&fx.path("cmp-text/compare.json"));
    assert_eq!(cmp["regressions"], json!([{"kind": "no_shared_cell"}]));
    assert_eq!(
        cmp["only_in_a"][0],
        json!({"strategy": "scratch", "budget_per_class": 8})
    );
}

/// The same suite with no cell in common (other budgets): nothing compared fails the gate.
fn no_shared_cell_fails_the_gate(fx: &Fixture, a: &Value) {
    let mut b = a.clone();
    for agg in b["aggregates"].as_array_mut().unwrap() {
        agg["budget_per_class"] = json!(agg["budget_per_class"].as_u64().unwrap() + 1);
    }
    write_results(fx, "shifted", &b);
    let out = fx.run(&["compare", "a", "shifted", "--fail-on-regression", "10"]);
    expect_code(&out, 4);
    assert!(stderr(&out).contains("share no cell"), "{}", stderr(&out));
    assert!(stdout(&out).contains("Only in B: scratch @ 6, finetune @ 6"));
    // Without the gate it is reported, not failed.
    let out = fx.run(&["compare", "a", "shifted"]);
    expect_code(&out, 0);
    assert!(stdout(&out).contains("A and B share no cell"));
}

/// `compare A B --fail-on-regression 10 --out OUT`, with `--force` when asked.
fn gate(fx: &Fixture, a: &str, b: &str, out: &str, force: bool) -> std::process::Output {
    let mut args = vec!["compare", a, b, "--fail-on-regression", "10", "--out", out];
    if force {
        args.push("--force");
    }
    fx.run(&args)
}
