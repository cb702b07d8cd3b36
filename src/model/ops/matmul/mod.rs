//! Matrix products on raw f32 buffers, for kernels that run inside one
//! operation (linear layers, attention, 1x1 convolutions).
//!
//! On AVX2 and AVX-512 CPUs the products are the project's own: tile
//! kernels ([`kernel`]) inside cache blocks ([`blocked`]). Elsewhere (CPUs
//! without AVX2, or `$REUSE_BENCH_SIMD=baseline`, and non-x86 builds) they
//! go to the `gemm` crate, the engine of candle's own `matmul`.
//!
//! Why our own: each value is summed the same way at every vector level
//! (see [`blocked`]), so a transformer's fused operations give the same bits
//! on AVX2 and AVX-512 CPUs, which gemm's kernels (different on each) did
//! not. And on a transformer's shapes they are at least as fast: alternating
//! in one process on AVX2, two threads, 768 x 384 x 384 ran at 1.1-1.3x gemm
//! 0.19's speed (0.8-1.0x MKL's); one attention head's 48 x 48 x 32 at 1.25x
//! gemm's (one thread); whole forward passes and training steps within a few
//! percent of gemm's either way (`benches/README.md`).

#[cfg(target_arch = "x86_64")]
mod blocked;
#[cfg(target_arch = "x86_64")]
mod kernel;
#[cfg(target_arch = "x86_64")]
mod pack;

use gemm::Parallelism;

/// A read-only matrix: where its first value is and its row and column strides.
#[derive(Clone, Copy)]
pub struct Matrix {
    ptr: *const f32,
    row_stride: usize,
    col_stride: usize,
}

impl Matrix {
    /// A row-major matrix of rows `width` apart, starting at `values[0]`.
    pub fn rows(values: &[f32], width: usize) -> Self {
        Matrix {
            ptr: values.as_ptr(),
            row_stride: width,
            col_stride: 1,
        }
    }

    /// Where row `r`, column `c` is.
    ///
    /// # Safety
    /// The value must lie inside the buffer the matrix was made from.
    #[cfg(target_arch = "x86_64")]
    unsafe fn at(self, r: usize, c: usize) -> *const f32 {
        self.ptr.add(r * self.row_stride + c * self.col_stride)
    }

    /// The same values read as the transpose.
    pub fn transposed(self) -> Self {
        Matrix {
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// The threads candle's own products use.
pub fn all_threads() -> Parallelism {
    match candle_core::utils::get_num_threads() {
        0 | 1 => Parallelism::None,
        n => Parallelism::Rayon(n),
    }
}

/// One product: where it goes, its shape and operands, and how it is stored.
#[derive(Clone, Copy)]
struct Call {
    /// The destination's first value (m x n, rows `dst_stride` apart).
    dst: *mut f32,
    dst_stride: usize,
    /// Add to the destination; otherwise only write it.
    accumulate: bool,
    /// (m, n, k): rows and columns of the destination, terms of each sum.
    shape: (usize, usize, usize),
    lhs: Matrix,
    rhs: Matrix,
    scale: f32,
}

/// The kernels of one vector level (none outside x86-64).
#[cfg(target_arch = "x86_64")]
use kernel::Kernels;
#[cfg(not(target_arch = "x86_64"))]
enum Kernels {}

/// `dst (m x n, rows `dst_stride` apart) = [dst +] scale * lhs (m x k) * rhs (k x n)`.
///
/// Without `accumulate`, `dst` is only written (it may be uninitialised).
///
/// # Safety
/// `dst`, `lhs` and `rhs` must address `m x n`, `m x k` and `k x n` valid,
/// non-overlapping values through their strides.
#[allow(clippy::too_many_arguments)]
pub unsafe fn product(
    dst: *mut f32,
    dst_stride: usize,
    accumulate: bool,
    shape: (usize, usize, usize),
    lhs: Matrix,
    rhs: Matrix,
    scale: f32,
    parallelism: Parallelism,
) {
    #[cfg(target_arch = "x86_64")]
    let kernels = kernel::for_level(super::simd::vector_level());
    #[cfg(not(target_arch = "x86_64"))]
    let kernels = None;
    let call = Call {
        dst,
        dst_stride,
        accumulate,
        shape,
        lhs,
        rhs,
        scale,
    };
    product_on(kernels, call, parallelism)
}

/// `call` with `kernels`, or through the gemm crate when there are none.
///
/// # Safety
/// As [`product`]; the CPU must have the kernels' vector units.
unsafe fn product_on(kernels: Option<&Kernels>, call: Call, parallelism: Parallelism) {
    let Some(kernels) = kernels else {
        return with_gemm(call, parallelism);
    };
    #[cfg(target_arch = "x86_64")]
    {
        let threads = match parallelism {
            Parallelism::None => 1,
            Parallelism::Rayon(0) => rayon::current_num_threads(),
            Parallelism::Rayon(n) => n,
        };
        blocked::product(kernels, call, threads)
    }
    #[cfg(not(target_arch = "x86_64"))]
    match *kernels {}
}

/// `call` through the gemm crate.
///
/// # Safety
/// As [`product`].
unsafe fn with_gemm(call: Call, parallelism: Parallelism) {
    let Call {
        dst,
        dst_stride,
        accumulate,
        shape: (m, n, k),
        lhs,
        rhs,
        scale,
    } = call;
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_stride as isize,
        accumulate,
        lhs.ptr,
        lhs.col_stride as isize,
        lhs.row_stride as isize,
        rhs.ptr,
        rhs.col_stride as isize,
        rhs.row_stride as isize,
        1.0,
        scale,
        false,
        false,
        false,
        parallelism,
    )
}

#[cfg(test)]
mod tests {
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

    /// `product` with a destination prefilled with `start`, through `kernels` (None: gemm).
    #[allow(clippy::too_many_arguments)]
    fn run(
        kernels: Option<&str>,
        (m, n, k): (usize, usize, usize),
        layout: usize,
        accumulate: bool,
        scale: f32,
        threads: usize,
        start: f32,
    ) -> Vec<f32> {
        let (a, b, [ta, tb]) = operands(m, n, k, layout);
        let (lhs, rhs) = (view(&a, m, k, ta), view(&b, k, n, tb));
        let stride = n + 3;
        let mut dst = vec![start; m * stride];
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
        let call = Call {
            dst: dst.as_mut_ptr(),
            dst_stride: stride,
            accumulate,
            shape: (m, n, k),
            lhs,
            rhs,
            scale,
        };
        // SAFETY: the buffers hold m x k, k x n and m x (n + 3) values; the kernels are this CPU's.
        unsafe { product_on(kernels, call, parallelism) };
        dst
    }

    /// The product in f64, as rows `n + 3` apart.
    fn reference(
        (m, n, k): (usize, usize, usize),
        layout: usize,
        accumulate: bool,
        scale: f32,
        start: f32,
    ) -> Vec<f64> {
        let (a, b, [ta, tb]) = operands(m, n, k, layout);
        let at = |i: usize, p: usize| if ta { a[p * m + i] } else { a[i * k + p] } as f64;
        let bt = |p: usize, j: usize| if tb { b[j * k + p] } else { b[p * n + j] } as f64;
        let mut out = vec![start as f64; m * (n + 3)];
        for i in 0..m {
            for j in 0..n {
                let sum: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
                let base = if accumulate { start as f64 } else { 0.0 };
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
                for layout in 0..4 {
                    for (accumulate, scale, threads) in [(false, 1.0, 1), (true, 0.5, 2), (false, -2.0, 2)] {
                        let start = if accumulate { 0.25 } else { f32::NAN };
                        let got = run(kernels, shape, layout, accumulate, scale, threads, start);
                        let want = reference(shape, layout, accumulate, scale, start);
                        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                            let (row, col) = (i / (shape.1 + 3), i % (shape.1 + 3));
                            if col >= shape.1 {
                                // The gap between rows is never touched.
                                assert!(
                                    g.to_bits() == start.to_bits(),
                                    "{kernels:?} {shape:?} wrote row {row}'s padding"
                                );
                                continue;
                            }
                            let tolerance = 1e-5 * (1.0 + shape.2 as f64) * scale.abs() as f64;
                            assert!(
                                (*g as f64 - w).abs() <= tolerance,
                                "{kernels:?} {shape:?} layout {layout} \
                                 accumulate {accumulate} threads {threads} at ({row}, {col}): {g} vs {w}"
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
                    run(Some(kernels), shape, layout, true, 0.5, threads, 0.25)
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
}
