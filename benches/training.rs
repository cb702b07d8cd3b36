//! Speed of the pieces a sweep spends its time in: generating MNIST-1D, one
//! epoch of the real training loop for each architecture and strategy, and
//! that loop against a bare loop of the same optimiser steps (what the
//! harness adds per epoch: validation, keeping the best weights, bookkeeping).
//! Run with `cargo bench --bench training`.

use candle_core::Device;
use candle_core::Tensor;
use criterion::{criterion_group, criterion_main, Criterion};
use reuse_bench::data::splits::budget_subset;
use reuse_bench::data::{mnist1d, Dataset, TaskSpec};
use reuse_bench::measure::stopwatch::Stopwatch;
use reuse_bench::model::ModelSpec;
use reuse_bench::train::{batch_loss, fit, optimizer, prepare, FitConfig, ModelPlan, PreparedModel, Start, Strategy};
use std::hint::black_box;

/// The product trains with mimalloc; so must its benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What every worker does before training: the process settings, and one
/// thread (the MNIST-1D suites' `train.threads`) unless RAYON_NUM_THREADS says otherwise.
fn as_a_worker() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    reuse_bench::runtime::configure();
}

/// One epoch at the default suite's optimiser settings, batch 32.
fn one_epoch_config() -> FitConfig {
    FitConfig {
        learning_rate: 1e-3,
        weight_decay: 1e-2,
        batch_size: 32,
        max_epochs: 1,
        min_steps_per_epoch: 1,
        patience: 1,
        target_accuracy: 1.0,
        seed: 0,
    }
}

/// The default suite's training set at 250 labels per class, and its validation set.
fn epoch_data() -> ((Tensor, Tensor), (Tensor, Tensor)) {
    let target = TaskSpec::default().target_task().unwrap();
    let train: Dataset = budget_subset(&target.train, 250, 0).unwrap();
    (
        train.to_tensors(&Device::Cpu).unwrap(),
        target.val.to_tensors(&Device::Cpu).unwrap(),
    )
}

fn generation(c: &mut Criterion) {
    as_a_worker();
    c.bench_function("mnist1d/generate 4000 per class", |b| {
        b.iter(|| black_box(mnist1d::generate(4000, 42, &mnist1d::Params::default())))
    });
}

/// An MNIST-1D network (40 inputs, 5 classes) seeded from scratch, frozen as `strategy` freezes.
fn seeded_model(spec: &ModelSpec, strategy: Strategy) -> PreparedModel {
    let plan = ModelPlan {
        spec,
        input_len: 40,
        num_classes: 5,
        seed: 0,
        start: Start::Seeded,
        freeze: strategy.freeze(),
    };
    prepare(&plan, &Device::Cpu).unwrap()
}

fn one_epoch(c: &mut Criterion) {
    as_a_worker();
    let ((x, y), (vx, vy)) = epoch_data();
    let cfg = one_epoch_config();
    let mut group = c.benchmark_group("fit/1 epoch, 1250 examples, batch 32");
    group.sample_size(20);
    for (label, spec) in [
        ("cnn", ModelSpec::Cnn { channels: 32 }),
        ("mlp", ModelSpec::Mlp { hidden: 256, depth: 2 }),
    ] {
        for strategy in [Strategy::Scratch, Strategy::Probe] {
            // Probing needs no checkpoint to measure its speed: freezing is what differs.
            let model = seeded_model(&spec, strategy);
            group.bench_function(format!("{label}/{strategy}"), |b| {
                b.iter(|| black_box(fit(&model, (&x, &y), (&vx, &vy), &cfg, &Stopwatch::start()).unwrap()))
            });
        }
    }
    group.finish();
}

/// The loop `fit` runs per epoch against the bare optimiser steps of that epoch.
fn harness_overhead(c: &mut Criterion) {
    as_a_worker();
    let ((x, y), (vx, vy)) = epoch_data();
    let cfg = one_epoch_config();
    let model = seeded_model(&ModelSpec::Cnn { channels: 32 }, Strategy::Scratch);
    let batches: Vec<(Tensor, Tensor)> = (0..x.dim(0).unwrap())
        .step_by(cfg.batch_size)
        .map(|start| {
            let len = cfg.batch_size.min(x.dim(0).unwrap() - start);
            (x.narrow(0, start, len).unwrap(), y.narrow(0, start, len).unwrap())
        })
        .collect();
    let mut group = c.benchmark_group("harness/cnn, 1250 examples, batch 32");
    group.sample_size(20);
    group.bench_function("fit: validate, 1 epoch, validate, keep best", |b| {
        b.iter(|| black_box(fit(&model, (&x, &y), (&vx, &vy), &cfg, &Stopwatch::start()).unwrap()))
    });
    let mut opt = optimizer(&model, &cfg).unwrap();
    group.bench_function("bare: the same 40 optimiser steps", |b| {
        b.iter(|| {
            for (bx, by) in &batches {
                opt.backward_step(&batch_loss(&model, bx, by).unwrap()).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, generation, one_epoch, harness_overhead);
criterion_main!(benches);
