//! The loops around the tile kernels: the product split between threads,
//! then in depth blocks (the right operand's block packed once per thread),
//! then in tiles, with the edges of the destination computed into a scratch
//! tile.
//!
//! Each destination value is summed in depth blocks of [`DEPTH_BLOCK`]
//! terms, added to the destination in block order. Neither the thread
//! count, the tile size nor the vector level changes that order, so none of
//! them changes a bit of the result.

#![cfg(target_arch = "x86_64")]

use super::kernel::{Kernels, Tile};
use super::{pack, Matrix};
use rayon::prelude::*;
use std::cell::RefCell;

/// Terms per depth block: a packed right-hand panel (block x 16 or 32
/// values, 16-32 KiB) stays in the L1 cache while the tiles of one column
/// of tiles are computed.
const DEPTH_BLOCK: usize = 256;

/// Rows of the left operand per packed block (a multiple of both kernels'
/// 6 and 12 rows): 96 x 256 values, 96 KiB, stay in the L2 cache while
/// every panel of the right operand passes over them.
const ROW_BLOCK: usize = 96;

/// Below this many multiply-adds a product runs on one thread: waking a
/// second costs more than it saves.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// A 64-byte-aligned run of 16 values: packing buffers are vectors of these,
/// so the kernels' vector loads never straddle a cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

thread_local! {
    /// Each thread's packing buffers (left, right), kept between products.
    static BUFFERS: RefCell<(Vec<Line>, Vec<Line>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// The destination pointer, sent to the threads that write disjoint parts of it.
#[derive(Clone, Copy)]
struct Destination(*mut f32);
// SAFETY: the threads write disjoint blocks of rows or columns.
unsafe impl Send for Destination {}
unsafe impl Sync for Destination {}

/// The operands, sent to the threads that only read them.
#[derive(Clone, Copy)]
struct Operands(Matrix, Matrix);
// SAFETY: read only, for the duration of the product.
unsafe impl Send for Operands {}
unsafe impl Sync for Operands {}

/// What every part of one product shares.
#[derive(Clone, Copy)]
struct Job<'k> {
    kernels: &'k Kernels,
    dst_stride: usize,
    accumulate: bool,
    scale: f32,
}

/// `dst (m x n) = [dst +] scale * lhs (m x k) * rhs (k x n)` on `threads` threads.
///
/// # Safety
/// As [`super::product`]; the CPU must have the kernels' vector units.
#[allow(clippy::too_many_arguments)]
pub unsafe fn product(
    kernels: &Kernels,
    dst: *mut f32,
    dst_stride: usize,
    accumulate: bool,
    (m, n, k): (usize, usize, usize),
    lhs: Matrix,
    rhs: Matrix,
    scale: f32,
    threads: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    let job = Job {
        kernels,
        dst_stride,
        accumulate,
        scale,
    };
    let parts = if threads > 1 && m * n * k >= PARALLEL_MIN_WORK {
        threads
    } else {
        1
    };
    if parts == 1 {
        return part(job, dst, (m, n, k), lhs, rhs);
    }
    // By columns when the left operand is read in place (nothing is then
    // packed twice) and there are columns enough; by rows otherwise.
    let panels = n.div_ceil(kernels.cols);
    let by_columns = lhs.col_stride == 1 && panels >= 2 * parts;
    let (len, unit) = if by_columns {
        (n, kernels.cols)
    } else {
        (m, kernels.rows)
    };
    let per_part = len.div_ceil(unit).div_ceil(parts) * unit;
    let (out, operands) = (Destination(dst), Operands(lhs, rhs));
    (0..parts).into_par_iter().for_each(move |t| {
        let (out, Operands(lhs, rhs)) = (out, operands);
        let (start, end) = ((t * per_part).min(len), ((t + 1) * per_part).min(len));
        if start == end {
            return;
        }
        // SAFETY: each part writes its own rows or columns of the destination.
        unsafe {
            if by_columns {
                let rhs = Matrix {
                    ptr: rhs.at(0, start),
                    ..rhs
                };
                part(job, out.0.add(start), (m, end - start, k), lhs, rhs)
            } else {
                let lhs = Matrix {
                    ptr: lhs.at(start, 0),
                    ..lhs
                };
                part(job, out.0.add(start * dst_stride), (end - start, n, k), lhs, rhs)
            }
        }
    });
}

/// One thread's product, with this thread's packing buffers (or fresh ones
/// if they are in use further up the stack).
unsafe fn part(job: Job, dst: *mut f32, shape: (usize, usize, usize), lhs: Matrix, rhs: Matrix) {
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => {
            let (left, right) = &mut *buffers;
            blocks(job, dst, shape, lhs, rhs, left, right)
        }
        Err(_) => blocks(job, dst, shape, lhs, rhs, &mut Vec::new(), &mut Vec::new()),
    })
}

/// `buffer` grown to at least `values` values, as a slice of f32.
fn at_least(buffer: &mut Vec<Line>, values: usize) -> &mut [f32] {
    let lines = values.div_ceil(16);
    if buffer.len() < lines {
        buffer.resize(lines, Line([0.0; 16]));
    }
    // SAFETY: a Line is 16 f32 with no padding (repr C, 64 bytes).
    unsafe { std::slice::from_raw_parts_mut(buffer.as_mut_ptr().cast::<f32>(), buffer.len() * 16) }
}

/// The depth blocks, row blocks and tiles of one thread's product.
unsafe fn blocks(
    job: Job,
    dst: *mut f32,
    (m, n, k): (usize, usize, usize),
    lhs: Matrix,
    rhs: Matrix,
    left: &mut Vec<Line>,
    right: &mut Vec<Line>,
) {
    let (rows, cols) = (job.kernels.rows, job.kernels.cols);
    if k == 0 {
        if !job.accumulate {
            for i in 0..m {
                std::ptr::write_bytes(dst.add(i * job.dst_stride), 0, n);
            }
        }
        return;
    }
    let depth_max = DEPTH_BLOCK.min(k);
    let right = at_least(right, depth_max * n.div_ceil(cols) * cols);
    let left = at_least(left, depth_max * ROW_BLOCK.min(m).div_ceil(rows) * rows);
    // The left operand is read in place when its rows are contiguous in depth.
    let in_place = lhs.col_stride == 1;
    let mut edge = [0f32; 12 * 32];
    for p0 in (0..k).step_by(DEPTH_BLOCK) {
        let depth = DEPTH_BLOCK.min(k - p0);
        // The right operand's block, as panels of `cols` columns over depth.
        let rhs_t = Matrix {
            ptr: rhs.at(p0, 0),
            row_stride: rhs.col_stride,
            col_stride: rhs.row_stride,
        };
        pack::panels(right, rhs_t, n, depth, cols);
        let overwrite = p0 == 0 && !job.accumulate;
        for i0 in (0..m).step_by(ROW_BLOCK) {
            let block_rows = ROW_BLOCK.min(m - i0);
            if !in_place {
                pack::panels(
                    left,
                    Matrix {
                        ptr: lhs.at(i0, p0),
                        ..lhs
                    },
                    block_rows,
                    depth,
                    rows,
                );
            }
            for j in (0..n).step_by(cols) {
                let live_cols = cols.min(n - j);
                for i in (i0..i0 + block_rows).step_by(rows) {
                    let live_rows = rows.min(i0 + block_rows - i);
                    let mut tile = Tile {
                        depth,
                        lhs: lhs.at(i, p0),
                        lhs_row_stride: lhs.row_stride,
                        rhs: right[j * depth..].as_ptr(),
                        dst: dst.add(i * job.dst_stride + j),
                        dst_stride: job.dst_stride,
                        overwrite,
                        scale: job.scale,
                    };
                    let mut kernel = job.kernels.in_place;
                    if !in_place {
                        tile.lhs = left[(i - i0) * depth..].as_ptr();
                        kernel = job.kernels.packed;
                    } else if live_rows < rows {
                        // The last rows, packed and padded: the kernel reads no row past m.
                        pack::panels(
                            left,
                            Matrix {
                                ptr: lhs.at(i, p0),
                                ..lhs
                            },
                            live_rows,
                            depth,
                            rows,
                        );
                        tile.lhs = left.as_ptr();
                        kernel = job.kernels.packed;
                    }
                    if live_rows == rows && live_cols == cols {
                        kernel(&tile);
                        continue;
                    }
                    // An edge tile: computed whole into scratch, its live part stored.
                    let dst = tile.dst;
                    tile.dst = edge.as_mut_ptr();
                    tile.dst_stride = cols;
                    tile.overwrite = true;
                    kernel(&tile);
                    for r in 0..live_rows {
                        let out = std::slice::from_raw_parts_mut(dst.add(r * job.dst_stride), live_cols);
                        let sums = &edge[r * cols..r * cols + live_cols];
                        if overwrite {
                            out.copy_from_slice(sums);
                        } else {
                            out.iter_mut().zip(sums).for_each(|(o, s)| *o += s);
                        }
                    }
                }
            }
        }
    }
}
