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
use super::{pack, Call, Matrix, Start};
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

/// A product sent to the threads that compute its parts.
#[derive(Clone, Copy)]
struct Shared<'a>(Call<'a>);
// SAFETY: the threads only read the operands and write disjoint blocks of
// rows or columns of the destination, all before the product returns.
unsafe impl Send for Shared<'_> {}
unsafe impl Sync for Shared<'_> {}

impl<'a> Shared<'a> {
    /// The product (a method, so that a closure captures all of `Shared`,
    /// not its non-`Send` field).
    fn call(self) -> Call<'a> {
        self.0
    }
}

/// `call` on `threads` threads with `kernels`.
///
/// # Safety
/// As [`super::product`]; the CPU must have the kernels' vector units.
pub unsafe fn product(kernels: &Kernels, call: Call, threads: usize) {
    let (m, n, k) = call.shape;
    if m == 0 || n == 0 {
        return;
    }
    let parts = if threads > 1 && m * n * k >= PARALLEL_MIN_WORK {
        threads
    } else {
        1
    };
    if parts == 1 {
        return part(kernels, call);
    }
    // By columns when the left operand is read in place (nothing is then
    // packed twice) and there are columns enough; by rows otherwise.
    let panels = n.div_ceil(kernels.cols);
    let by_columns = call.lhs.col_stride == 1 && panels >= 2 * parts;
    let (len, unit) = if by_columns {
        (n, kernels.cols)
    } else {
        (m, kernels.rows)
    };
    let per_part = len.div_ceil(unit).div_ceil(parts) * unit;
    let shared = Shared(call);
    (0..parts).into_par_iter().for_each(move |t| {
        let call = shared.call();
        let (start, end) = ((t * per_part).min(len), ((t + 1) * per_part).min(len));
        if start == end {
            return;
        }
        // SAFETY: each part writes its own rows or columns of the destination.
        unsafe {
            let part_call = if by_columns {
                let rhs = Matrix {
                    ptr: call.rhs.at(0, start),
                    ..call.rhs
                };
                Call {
                    dst: call.dst.add(start),
                    start: call.start.columns_from(start),
                    shape: (m, end - start, k),
                    rhs,
                    ..call
                }
            } else {
                let lhs = Matrix {
                    ptr: call.lhs.at(start, 0),
                    ..call.lhs
                };
                Call {
                    dst: call.dst.add(start * call.dst_stride),
                    shape: (end - start, n, k),
                    lhs,
                    ..call
                }
            };
            part(kernels, part_call)
        }
    });
}

/// One thread's product, with this thread's packing buffers (or fresh ones
/// if they are in use further up the stack).
unsafe fn part(kernels: &Kernels, call: Call) {
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => {
            let (left, right) = &mut *buffers;
            blocks(kernels, call, left, right)
        }
        Err(_) => blocks(kernels, call, &mut Vec::new(), &mut Vec::new()),
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

/// The depth blocks and row blocks of one thread's product.
unsafe fn blocks(kernels: &Kernels, call: Call, left: &mut Vec<Line>, right: &mut Vec<Line>) {
    let (m, n, k) = call.shape;
    if k == 0 {
        for i in 0..m {
            let row = call.dst.add(i * call.dst_stride);
            match call.start {
                Start::Zero => std::ptr::write_bytes(row, 0, n),
                Start::Existing => {}
                Start::Bias(bias) => std::ptr::copy_nonoverlapping(bias.as_ptr(), row, n),
            }
        }
        return;
    }
    let depth_max = DEPTH_BLOCK.min(k);
    let right = at_least(right, depth_max * n.div_ceil(kernels.cols) * kernels.cols);
    let left = at_least(left, depth_max * ROW_BLOCK.min(m).div_ceil(kernels.rows) * kernels.rows);
    let rhs = call.rhs;
    for first_depth in (0..k).step_by(DEPTH_BLOCK) {
        let depth = DEPTH_BLOCK.min(k - first_depth);
        // The right operand's block, as panels of `cols` columns over depth.
        let rhs_t = Matrix {
            ptr: rhs.at(first_depth, 0),
            row_stride: rhs.col_stride,
            col_stride: rhs.row_stride,
        };
        pack::panels(right, rhs_t, n, depth, kernels.cols);
        for first_row in (0..m).step_by(ROW_BLOCK) {
            let mut block = Block {
                kernels,
                call: &call,
                first_depth,
                depth,
                first_row,
                rows: ROW_BLOCK.min(m - first_row),
                // The left operand is read in place when its rows are contiguous in depth.
                in_place: call.lhs.col_stride == 1,
                left: &mut *left,
                right: &*right,
            };
            block.tiles();
        }
    }
}

/// One depth block of one block of rows: what its tiles share.
struct Block<'a> {
    kernels: &'a Kernels,
    call: &'a Call<'a>,
    first_depth: usize,
    depth: usize,
    first_row: usize,
    rows: usize,
    in_place: bool,
    left: &'a mut [f32],
    right: &'a [f32],
}

impl Block<'_> {
    /// Every tile of the block, a column of tiles at a time (its right-hand
    /// panel stays in the L1 cache).
    unsafe fn tiles(&mut self) {
        let lhs = self.call.lhs;
        if !self.in_place {
            let block = Matrix {
                ptr: lhs.at(self.first_row, self.first_depth),
                ..lhs
            };
            pack::panels(self.left, block, self.rows, self.depth, self.kernels.rows);
        }
        let n = self.call.shape.1;
        for j in (0..n).step_by(self.kernels.cols) {
            for i in (self.first_row..self.first_row + self.rows).step_by(self.kernels.rows) {
                self.tile(i, j);
            }
        }
    }

    /// The tile whose first value is row `i`, column `j` of the destination.
    unsafe fn tile(&mut self, i: usize, j: usize) {
        let (kernels, call) = (self.kernels, self.call);
        let live_rows = kernels.rows.min(self.first_row + self.rows - i);
        let live_cols = kernels.cols.min(call.shape.1 - j);
        // What this depth block's sums are added to: the product's start
        // (from this tile's column on) for the first block, then the destination.
        let start = if self.first_depth == 0 {
            call.start.columns_from(j)
        } else {
            Start::Existing
        };
        let mut tile = Tile {
            depth: self.depth,
            lhs: call.lhs.at(i, self.first_depth),
            lhs_row_stride: call.lhs.row_stride,
            rhs: self.right[j * self.depth..].as_ptr(),
            dst: call.dst.add(i * call.dst_stride + j),
            dst_stride: call.dst_stride,
            overwrite: !matches!(start, Start::Existing),
            bias: match start {
                Start::Bias(bias) => bias.as_ptr(),
                _ => std::ptr::null(),
            },
            scale: call.scale,
        };
        let mut kernel = kernels.in_place;
        if !self.in_place {
            tile.lhs = self.left[(i - self.first_row) * self.depth..].as_ptr();
            kernel = kernels.packed;
        } else if live_rows < kernels.rows {
            // The last rows, packed and padded: the kernel reads no row past m.
            let rows = Matrix {
                ptr: tile.lhs,
                ..call.lhs
            };
            pack::panels(self.left, rows, live_rows, self.depth, kernels.rows);
            tile.lhs = self.left.as_ptr();
            kernel = kernels.packed;
        }
        if live_rows == kernels.rows && live_cols == kernels.cols {
            return kernel(&tile);
        }
        // An edge tile: computed whole into scratch, its live part stored.
        let mut edge = [0f32; 12 * 32];
        let dst = tile.dst;
        tile.dst = edge.as_mut_ptr();
        tile.dst_stride = kernels.cols;
        tile.overwrite = true;
        tile.bias = std::ptr::null();
        kernel(&tile);
        for r in 0..live_rows {
            let out = std::slice::from_raw_parts_mut(dst.add(r * call.dst_stride), live_cols);
            let sums = &edge[r * kernels.cols..r * kernels.cols + live_cols];
            match start {
                Start::Zero => out.copy_from_slice(sums),
                Start::Existing => out.iter_mut().zip(sums).for_each(|(o, s)| *o += s),
                Start::Bias(bias) => out
                    .iter_mut()
                    .zip(bias.iter().zip(sums))
                    .for_each(|(o, (b, s))| *o = b + s),
            }
        }
    }
}
