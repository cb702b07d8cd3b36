//! `report DIR` with cost options prices the measured runs again into a new
//! folder: the verdict changes exactly where the run's sensitivity table says
//! it should, the folder says which settings differ, and DIR is untouched.

mod common;

use common::{expect_code, read_json, stderr, Fixture};
use serde_json::Value;

fn winner(results: &Value) -> Option<String> {
    results["verdict"]["options"][0]["strategy"]
        .as_str()
        .map(str::to_string)
}

/// The sensitivity entry of `assumption`.
fn entry<'a>(results: &'a Value, assumption: &str) -> &'a Value {
    results["sensitivity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["assumption"] == assumption)
        .unwrap_or_else(|| panic!("no {assumption} in {}", results["sensitivity"]))
}

#[test]
fn repricing_follows_the_sensitivity_table_and_leaves_the_run_alone() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "run"]), 0);
    let before = std::fs::read(fx.path("run/results.json")).unwrap();
    let summary_before = std::fs::read(fx.path("run/summary.md")).unwrap();

    // The quick suite's budgets stop short of 80%; at 65% and 70% there are winners to move.
    let mut flips_checked = 0;
    for target in ["0.65", "0.7"] {
        let base_dir = format!("base{target}");
        expect_code(&fx.run(&["report", "run", "--target", target, "--out", &base_dir]), 0);
        let base = read_json(&fx.path(&format!("{base_dir}/results.json")));
        let first = winner(&base).expect("a winner");
        assert_eq!(base["repriced"]["changed"][0]["setting"], "target_accuracy");
        assert_eq!(base["repriced"]["from"], "run", "the folder as the user named it");
        let reprice = |flag: &str, value: String, out: &str| {
            let o = fx.run(&["report", "run", "--target", target, flag, &value, "--out", out]);
            expect_code(&o, 0);
            winner(&read_json(&fx.path(&format!("{out}/results.json"))))
        };

        // A label price of 0.001: the winner changes only if the table puts a flip between.
        let label = entry(&base, "usd_per_label");
        let run_price = label["value_in_run"].as_f64().unwrap();
        let expected = match label["flips_at"].as_f64() {
            Some(f) if (0.001 - f) * (run_price - f) < 0.0 => label["new_winner"].as_str().map(str::to_string),
            _ => Some(first.clone()),
        };
        let cheap = reprice("--usd-per-label", "0.001".into(), &format!("cheap{target}"));
        assert_eq!(cheap, expected, "sensitivity said {label}");

        // Every flip the table finds that an option can set: just short of it, the same
        // winner; at it, the new one.
        for (assumption, flag, integer) in [
            ("usd_per_label", "--usd-per-label", false),
            ("model_one_time_usd", "--model-one-time-usd", false),
            ("model_usd_per_hour", "--model-usd-per-hour", false),
            ("amortize_over_tasks", "--amortize-over", true),
        ] {
            let e = entry(&base, assumption);
            let Some(flip) = e["flips_at"].as_f64() else { continue };
            let run_value = e["value_in_run"].as_f64().unwrap();
            let short = if integer {
                format!("{}", flip - (flip - run_value).signum())
            } else {
                format!("{}", run_value + (flip - run_value) * 0.98)
            };
            let at = if integer {
                format!("{flip}")
            } else {
                format!("{}", run_value + (flip - run_value) * 1.02)
            };
            assert_eq!(
                reprice(flag, short.clone(), &format!("short-{assumption}{target}")),
                Some(first.clone()),
                "{flag} {short}"
            );
            let new_winner = e["new_winner"].as_str().map(str::to_string);
            assert_eq!(
                reprice(flag, at.clone(), &format!("at-{assumption}{target}")),
                new_winner,
                "{flag} {at}"
            );
            flips_checked += 1;
        }
    }
    assert!(flips_checked > 0, "no flip to check: the test would prove nothing");

    // The run's own folder is untouched; the re-priced one is complete.
    assert_eq!(std::fs::read(fx.path("run/results.json")).unwrap(), before);
    assert_eq!(std::fs::read(fx.path("run/summary.md")).unwrap(), summary_before);
    for file in [
        "summary.md",
        "index.html",
        "runs.csv",
        "suite.toml",
        "charts/data_efficiency.png",
    ] {
        assert!(fx.path(&format!("cheap0.7/{file}")).is_file(), "{file} missing");
    }
    let summary = std::fs::read_to_string(fx.path("cheap0.7/summary.md")).unwrap();
    assert!(
        summary.contains("cost.usd_per_label"),
        "the summary names the changed setting"
    );

    // Bad values are refused, naming the option, and write nothing.
    let bad = fx.run(&["report", "run", "--target", "1.5", "--out", "bad"]);
    expect_code(&bad, 1);
    assert!(stderr(&bad).contains("target_accuracy"), "{}", stderr(&bad));
    assert!(!fx.path("bad/results.json").exists());
    let bad = fx.run(&["report", "run", "--usd-per-label", "-1"]);
    expect_code(&bad, 2);
    let lone_out = fx.run(&["report", "run", "--out", "x"]);
    expect_code(&lone_out, 1);
    assert!(stderr(&lone_out).contains("cost option"), "{}", stderr(&lone_out));
}

#[test]
fn projections_and_sensitivity_are_in_results_json() {
    let fx = Fixture::new();
    expect_code(&fx.run(&["run", "--quick", "--out", "run"]), 0);
    let r = read_json(&fx.path("run/results.json"));
    for strategy in ["scratch", "finetune", "probe"] {
        let p = &r["projection"][strategy];
        assert!(p.is_object(), "no projection for {strategy}: {}", r["projection"]);
        let fit = &p["fit"];
        assert_eq!(fit["budgets_per_class"], serde_json::json!([5, 50]));
        match p["labels_per_class"].as_object() {
            Some(l) => {
                let (est, low) = (l["estimate"].as_f64().unwrap(), l["low"].as_f64().unwrap());
                assert!(low <= est && est > 0.0 && est <= 500.0, "{strategy}: {l:?}");
                assert!(p["total_usd"]["estimate"].as_f64().unwrap() > 0.0);
            }
            None => assert!(
                p["reason"]["kind"].is_string(),
                "{strategy}: refused without a reason: {p}"
            ),
        }
        // Two budgets: no backtest (it needs a third).
        assert!(p["backtest_abs_error"].is_null());
    }
}
