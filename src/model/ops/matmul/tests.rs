//! The products against an f64 reference, and the bits they promise: the
//! same at every level and thread count, and with a fused bias.

use super::*;

/// Values in [-1, 1), different for every seed and index.
fn values(count: usize, seed: usize) -> Vec<f32> {
    (0..count)
        .map(|i| ((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5 - 1.0)
        .collect()
}

/// `lhs` (m x k) and `rhs` (k x n) stored as rows or as the transpose, and their values.
fn operands(m: usize, n: usize, k: usize, layout: usize) -> (Vec<f32>, Vec<f32>, [bool; 2]) {
    let transposed = [layout & 1 == 1, layout & 2 == 2];
    (values(m * k, 1), values(k * n, 2), transposed)
}

fn view(values: &[f32], rows: usize, cols: usize, transposed: bool) -> Matrix {
    if transposed {
        Matrix::rows(values, rows).transposed()
    } else {
        Matrix::rows(values, cols)
    }
}

/// The bias of an `n`-column product.
fn bias(n: usize) -> Vec<f32> {
    values(n, 3)
}

/// `product` into `dst` (m rows `n + 3` apart, as the test prepared it),
/// through `kernels` (None: gemm).
#[allow(clippy::too_many_arguments)]
fn run(
    kernels: Option<&str>,
    (m, n, k): (usize, usize, usize),
    layout: usize,
    start: Start,
    scale: f32,
    threads: usize,
    mut dst: Vec<f32>,
) -> Vec<f32> {
    assert_eq!(dst.len(), m * (n + 3));
    let (a, b, [ta, tb]) = operands(m, n, k, layout);
    let call = Call {
        dst: dst.as_mut_ptr(),
        dst_stride: n + 3,
        start,
        shape: (m, n, k),
        lhs: view(&a, m, k, ta),
        rhs: view(&b, k, n, tb),
        scale,
    };
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    #[cfg(target_arch = "x86_64")]
    let kernels = kernels.map(|name| {
        if name == "avx512" {
            &kernel::AVX512
        } else {
            &kernel::AVX2
        }
    });
    #[cfg(not(target_arch = "x86_64"))]
    let kernels: Option<&Kernels> = kernels.map(|_| unreachable!());
    // SAFETY: the buffers hold m x k, k x n and m x (n + 3) values (a bias n);
    // the kernels are among `levels`, this CPU's.
    unsafe { product_on(kernels, call, parallelism) };
    dst
}

/// A destination of `m` rows `n + 3` apart, every value `fill`.
fn filled((m, n, _): (usize, usize, usize), fill: f32) -> Vec<f32> {
    vec![fill; m * (n + 3)]
}

/// The product in f64, as rows `n + 3` apart.
fn reference((m, n, k): (usize, usize, usize), layout: usize, start: Start, scale: f32, fill: f32) -> Vec<f64> {
    let (a, b, [ta, tb]) = operands(m, n, k, layout);
    let at = |i: usize, p: usize| if ta { a[p * m + i] } else { a[i * k + p] } as f64;
    let bt = |p: usize, j: usize| if tb { b[j * k + p] } else { b[p * n + j] } as f64;
    let mut out = vec![fill as f64; m * (n + 3)];
    for i in 0..m {
        for j in 0..n {
            let sum: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            let base = match start {
                Start::Zero => 0.0,
                Start::Existing => fill as f64,
                Start::Bias(bias) => bias[j] as f64,
            };
            out[i * (n + 3) + j] = base + scale as f64 * sum;
        }
    }
    out
}

const SHAPES: [(usize, usize, usize); 7] = [
    (1, 1, 1),
    (7, 5, 3),
    (6, 16, 256),
    (13, 37, 300),
    (48, 48, 32),
    (50, 70, 520),
    (100, 33, 0),
];

/// The levels this CPU can run our kernels at.
fn levels() -> Vec<Option<&'static str>> {
    let mut levels = vec![None];
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            levels.push(Some("avx2"));
        }
        if std::is_x86_feature_detected!("avx512f") {
            levels.push(Some("avx512"));
        }
    }
    levels
}

#[test]
fn every_layout_edge_and_thread_count_matches_the_f64_product() {
    for kernels in levels() {
        for shape in SHAPES {
            let bias = bias(shape.1);
            for layout in 0..4 {
                for (start, scale, threads) in [
                    (Start::Zero, 1.0, 1),
                    (Start::Existing, 0.5, 2),
                    (Start::Zero, -2.0, 2),
                    (Start::Bias(&bias), 1.0, 1),
                    (Start::Bias(&bias), -0.5, 2),
                ] {
                    let fill = if matches!(start, Start::Existing) {
                        0.25
                    } else {
                        f32::NAN
                    };
                    let got = run(kernels, shape, layout, start, scale, threads, filled(shape, fill));
                    let want = reference(shape, layout, start, scale, fill);
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        let (row, col) = (i / (shape.1 + 3), i % (shape.1 + 3));
                        if col >= shape.1 {
                            // The gap between rows is never touched.
                            assert!(
                                g.to_bits() == fill.to_bits(),
                                "{kernels:?} {shape:?} wrote row {row}'s padding"
                            );
                            continue;
                        }
                        let tolerance = 1e-5 * (1.0 + shape.2 as f64) * scale.abs() as f64;
                        assert!(
                            (*g as f64 - w).abs() <= tolerance,
                            "{kernels:?} {shape:?} layout {layout} \
                             {start:?} threads {threads} at ({row}, {col}): {g} vs {w}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn our_kernels_give_the_same_bits_on_every_level_and_thread_count() {
    let ours: Vec<&str> = levels().into_iter().flatten().collect();
    for shape in [(50, 70, 520), (97, 300, 384), (48, 48, 32)] {
        for layout in 0..4 {
            let bits = |kernels: &str, threads: usize| -> Vec<u32> {
                run(
                    Some(kernels),
                    shape,
                    layout,
                    Start::Existing,
                    0.5,
                    threads,
                    filled(shape, 0.25),
                )
                .iter()
                .map(|v| v.to_bits())
                .collect()
            };
            let Some(first) = ours.first() else { return };
            let expected = bits(first, 1);
            for kernels in &ours {
                for threads in [1, 2, 3] {
                    assert!(
                        bits(kernels, threads) == expected,
                        "{kernels} on {threads} threads, {shape:?} layout {layout}"
                    );
                }
            }
        }
    }
}

#[test]
fn starting_from_the_bias_gives_the_bits_of_adding_to_a_prefilled_destination() {
    for kernels in levels() {
        for (m, n, k) in [(13, 37, 300), (50, 70, 520), (24, 64, 16), (5, 3, 0)] {
            for layout in 0..4 {
                for threads in [1, 2] {
                    let bias = bias(n);
                    let shape = (m, n, k);
                    let fused = run(
                        kernels,
                        shape,
                        layout,
                        Start::Bias(&bias),
                        0.5,
                        threads,
                        filled(shape, f32::NAN),
                    );
                    // The bias copied into every row (the padding left NaN), then added to.
                    let mut prefilled = filled(shape, f32::NAN);
                    for row in prefilled.chunks_mut(n + 3) {
                        row[..n].copy_from_slice(&bias);
                    }
                    let prefilled = run(kernels, shape, layout, Start::Existing, 0.5, threads, prefilled);
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert!(
                        bits(&fused) == bits(&prefilled),
                        "{kernels:?} ({m}, {n}, {k}) layout {layout} threads {threads}"
                    );
                }
            }
        }
    }
}
