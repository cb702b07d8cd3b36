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
use rayon::prelude::*;

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

/// What the product is added to.
#[derive(Clone, Copy, Debug)]
pub enum Start<'a> {
    /// Nothing: the destination is only written (it may be uninitialised).
    Zero,
    /// The destination's own values.
    Existing,
    /// The same `n` values in every row (a layer's bias). The kernels add
    /// them as they store a tile's first depth block, so the destination is
    /// never filled with copies that the product then reads back; each value
    /// is `bias + sum`, the bits of adding to a prefilled destination.
    Bias(&'a [f32]),
}

impl<'a> Start<'a> {
    /// The start of the columns from `first` on (a part of the product that
    /// begins there).
    fn columns_from(self, first: usize) -> Start<'a> {
        match self {
            Start::Bias(bias) => Start::Bias(&bias[first..]),
            other => other,
        }
    }
}

/// One product: where it goes, its shape and operands, and how it is stored.
#[derive(Clone, Copy)]
struct Call<'a> {
    /// The destination's first value (m x n, rows `dst_stride` apart).
    dst: *mut f32,
    dst_stride: usize,
    /// What the product is added to (a bias holds at least `n` values).
    start: Start<'a>,
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

/// `dst (m x n, rows `dst_stride` apart) = start + scale * lhs (m x k) * rhs (k x n)`.
///
/// With [`Start::Zero`] or [`Start::Bias`], `dst` is only written (it may be
/// uninitialised).
///
/// # Safety
/// `dst`, `lhs` and `rhs` must address `m x n`, `m x k` and `k x n` valid,
/// non-overlapping values through their strides.
///
/// # Panics
/// If a [`Start::Bias`] does not hold `n` values.
#[allow(clippy::too_many_arguments)]
pub unsafe fn product(
    dst: *mut f32,
    dst_stride: usize,
    start: Start,
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
    if let Start::Bias(bias) = start {
        assert_eq!(
            bias.len(),
            shape.1,
            "a bias of {} values for {} columns",
            bias.len(),
            shape.1
        );
    }
    let call = Call {
        dst,
        dst_stride,
        start,
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
        start,
        shape: (m, n, k),
        lhs,
        rhs,
        scale,
    } = call;
    // gemm starts from zero or the destination: a bias is copied into every
    // row first, by all threads (one thread's copy was 4% of a forward pass on two).
    if let (Start::Bias(bias), true) = (start, m > 0 && n > 0) {
        let rows = std::slice::from_raw_parts_mut(dst, (m - 1) * dst_stride + n);
        let copy = |row: &mut [f32]| row[..n].copy_from_slice(&bias[..n]);
        match parallelism {
            Parallelism::None => rows.chunks_mut(dst_stride).for_each(copy),
            _ => rows.par_chunks_mut(dst_stride).for_each(copy),
        }
    }
    let accumulate = !matches!(start, Start::Zero);
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
mod tests;
