//! Matrix products on raw f32 buffers through the `gemm` crate (the engine
//! candle's own `matmul` uses), for kernels that run inside one operation.

use gemm::Parallelism;

/// A read-only matrix: where its first value is and its row and column strides.
#[derive(Clone, Copy)]
pub struct Matrix {
    ptr: *const f32,
    row_stride: isize,
    col_stride: isize,
}

impl Matrix {
    /// A row-major matrix of rows `width` apart, starting at `values[0]`.
    pub fn rows(values: &[f32], width: usize) -> Self {
        Matrix {
            ptr: values.as_ptr(),
            row_stride: width as isize,
            col_stride: 1,
        }
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

/// `dst (m x n, rows `dst_stride` apart) = [dst +] scale * lhs (m x k) * rhs (k x n)`.
///
/// # Safety
/// `dst`, `lhs` and `rhs` must address `m x n`, `m x k` and `k x n` valid,
/// non-overlapping values through their strides.
#[allow(clippy::too_many_arguments)]
pub unsafe fn product(
    dst: *mut f32,
    dst_stride: usize,
    accumulate: bool,
    (m, n, k): (usize, usize, usize),
    lhs: Matrix,
    rhs: Matrix,
    scale: f32,
    parallelism: Parallelism,
) {
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_stride as isize,
        accumulate,
        lhs.ptr,
        lhs.col_stride,
        lhs.row_stride,
        rhs.ptr,
        rhs.col_stride,
        rhs.row_stride,
        1.0,
        scale,
        false,
        false,
        false,
        parallelism,
    )
}
