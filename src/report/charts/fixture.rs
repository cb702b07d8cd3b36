//! A small result set for the charts' tests, and a check that a chart drew.
//!
//! Three strategies at three budgets and three seeds, with accuracies on known
//! learning curves, analysed by the real analysis: fine-tuning wins at the
//! label budget (scratch reaches the target too, at more labels and less
//! compute, so the prices and fees have break-evens), scratch's and
//! fine-tuning's needs are projected, and the probe's lies beyond the range.

use super::{register_font, render, Area, DrawResult, HEIGHT, WIDTH};
use crate::analysis::{analyse, Results};
use crate::cost::bill::tests_support::run;
use crate::cost::Catalog;
use crate::measure::machine::Machine;
use crate::results::{RunRecord, SCHEMA_VERSION};
use crate::suite::Suite;
use crate::train::Strategy;

/// Budgets of the fixture, labels per class.
const BUDGETS: [usize; 3] = [5, 25, 100];

/// Test error at `n` labels per class, `a * n^-b + c`, and wall seconds at `n`, per strategy.
fn truth(s: Strategy, n: f64) -> (f64, f64) {
    match s {
        Strategy::Scratch => (0.8 * n.powf(-0.35), 1.0 + 0.02 * n),
        Strategy::Finetune => (0.5 * n.powf(-0.4) + 0.02, 100.0 + 10.0 * n),
        _ => (0.45 * n.powf(-0.2) + 0.1, 0.5 + 0.005 * n),
    }
}

fn runs(strategies: &[Strategy]) -> Vec<RunRecord> {
    let mut out = Vec::new();
    for &s in strategies {
        for b in BUDGETS {
            for (seed, noise) in [-0.01, 0.0, 0.01].into_iter().enumerate() {
                let (error, wall_s) = truth(s, b as f64);
                let mut r = run(s, wall_s, b * 5);
                r.seed = seed as u64;
                r.run_id = format!("{s}-b{b}-s{seed}");
                if let Some(m) = r.metrics.as_mut() {
                    m.test_accuracy = Some(1.0 - error + noise);
                }
                out.push(r);
            }
        }
    }
    out
}

/// The fixture, analysed: projections and sensitivity included.
pub(super) fn results() -> Results {
    let mut suite = Suite::resolve("mnist1d").expect("the default suite resolves");
    suite.train.strategies = vec![Strategy::Scratch, Strategy::Finetune, Strategy::Probe];
    suite.train.budgets_per_class = BUDGETS.to_vec();
    suite.train.seeds = vec![0, 1, 2];
    suite.cost.label_budget_per_class = 100;
    let runs = runs(&suite.train.strategies);
    let a = analyse(&suite, &runs, None, &Catalog::builtin()).expect("the fixture analyses");
    Results {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.0.0-test".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        command: vec!["reuse-bench".into()],
        suite,
        machine: Machine::default(),
        pretrained: None,
        runs: a.runs,
        aggregates: a.aggregates,
        cost: a.cost,
        labels_to_target: a.labels_to_target,
        break_even: a.break_even,
        projection: a.projection,
        sensitivity: a.sensitivity,
        verdict: a.verdict,
        repriced: None,
        sweep_wall_s: 10.0,
        partial: None,
    }
}

/// The fixture as a `results.json` written before projections and sensitivity existed.
pub(super) fn results_without_projection() -> Results {
    let mut r = results();
    r.projection.clear();
    r.sensitivity.clear();
    r
}

/// Draws one chart of `r` and returns its PNG, after checking that it
/// decodes to the chart size and is not blank.
pub(super) fn drawn(r: &Results, draw: fn(&Results, &Area) -> DrawResult) -> Vec<u8> {
    register_font().unwrap();
    let png = render(|area| draw(r, area)).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    let inked = rgb[..info.buffer_size()]
        .chunks(3)
        .filter(|p| *p != [255, 255, 255])
        .count();
    assert!(
        inked > (WIDTH * HEIGHT / 50) as usize,
        "blank chart: {inked} pixels inked"
    );
    png
}
