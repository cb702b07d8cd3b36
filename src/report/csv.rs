//! `runs.csv`: one row per run, flat, for spreadsheets and dataframes.

use super::{Exporter, OutputFile, Rendered};
use crate::cost::PricedRun;
use crate::results::files::RUNS_CSV;
use crate::{Error, Result};
use serde::Serialize;

/// One run per row.
pub(super) struct Csv;

/// The flat columns of a run. Empty cells mean "not measured" (failed run,
/// target not reached), never zero.
#[derive(Serialize)]
struct Row<'a> {
    run_id: &'a str,
    strategy: &'a str,
    budget_per_class: usize,
    seed: u64,
    status: &'a str,
    train_examples: Option<usize>,
    test_accuracy: Option<f64>,
    best_val_accuracy: Option<f64>,
    best_epoch: Option<usize>,
    epochs_run: Option<usize>,
    steps: Option<usize>,
    time_to_target_s: Option<f64>,
    wall_s: Option<f64>,
    process_wall_s: f64,
    data_s: Option<f64>,
    init_s: Option<f64>,
    train_s: Option<f64>,
    test_s: Option<f64>,
    cpu_s: Option<f64>,
    peak_rss_bytes: Option<u64>,
    total_params: Option<usize>,
    trainable_params: Option<usize>,
    rapl_energy_j: Option<f64>,
    energy_kwh: Option<f64>,
    energy_source: Option<&'static str>,
    carbon_kg: Option<f64>,
    compute_usd: Option<f64>,
    labels_usd: Option<f64>,
    model_usd: Option<f64>,
    pretraining_usd: Option<f64>,
    total_usd: Option<f64>,
    message: &'a str,
}

impl<'a> Row<'a> {
    fn of(priced: &'a PricedRun) -> Self {
        let r = &priced.run;
        let m = r.metrics.as_ref();
        let c = priced.cost.as_ref();
        Row {
            run_id: &r.run_id,
            strategy: r.strategy.name(),
            budget_per_class: r.budget_per_class,
            seed: r.seed,
            status: r.status.into(),
            train_examples: m.map(|m| m.train_examples),
            test_accuracy: m.and_then(|m| m.test_accuracy),
            best_val_accuracy: m.map(|m| m.best_val_accuracy),
            best_epoch: m.map(|m| m.best_epoch),
            epochs_run: m.map(|m| m.epochs_run),
            steps: m.map(|m| m.steps),
            time_to_target_s: m.and_then(|m| m.time_to_target_s),
            wall_s: m.map(|m| m.wall_s),
            process_wall_s: r.process_wall_s,
            data_s: m.map(|m| m.phases.data_s),
            init_s: m.map(|m| m.phases.init_s),
            train_s: m.map(|m| m.phases.train_s),
            test_s: m.map(|m| m.phases.test_s),
            cpu_s: m.map(|m| m.cpu_s()),
            peak_rss_bytes: m.map(|m| m.peak_rss_bytes),
            total_params: m.map(|m| m.total_params),
            trainable_params: m.map(|m| m.trainable_params),
            rapl_energy_j: m.and_then(|m| m.rapl_energy_j),
            energy_kwh: c.map(|c| c.energy.kwh),
            energy_source: c.map(|c| c.energy.source.into()),
            carbon_kg: c.map(|c| c.energy.carbon_kg),
            compute_usd: c.map(|c| c.money.compute_usd),
            labels_usd: c.map(|c| c.money.labels_usd),
            model_usd: c.map(|c| c.money.model_usd),
            pretraining_usd: c.map(|c| c.money.pretraining_usd),
            total_usd: c.map(|c| c.money.total_usd),
            message: r.message.as_deref().unwrap_or(""),
        }
    }
}

impl Exporter for Csv {
    fn render(&self, input: &Rendered) -> Result<Vec<OutputFile>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for run in &input.results.runs {
            w.serialize(Row::of(run))
                .map_err(|e| Error::Report(format!("cannot format runs.csv: {e}")))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::Report(format!("cannot format runs.csv: {e}")))?;
        Ok(vec![OutputFile::new(RUNS_CSV, bytes)])
    }
}
