//! Copying a block of an operand into the order a tile kernel reads it:
//! panels of `WIDTH` rows, depth-major (`panel[p * WIDTH + i]`), the last
//! panel padded with zeros.
//!
//! Why: the kernels load `WIDTH` consecutive values per depth step; a linear
//! layer's weight read transposed has them `in` apart. Packing reorders each
//! value once per product, where the kernel reads it once per tile.

#![cfg(target_arch = "x86_64")]

use super::kernel::transpose8;
use super::Matrix;

/// Packs `rows x depth` of `src` (row `r`, depth `p` at `src.at(r, p)`) into
/// `dst` as panels of `width` rows, `depth * width` values each.
///
/// # Safety
/// `src` must address `rows x depth` valid values; the CPU must have AVX2
/// (the kernels that read the panels need it too); `width` is a tile size of
/// [`super::kernel`] (6, 12, 16 or 32).
pub unsafe fn panels(dst: &mut [f32], src: Matrix, rows: usize, depth: usize, width: usize) {
    match width {
        6 => panels_of::<6>(dst, src, rows, depth),
        12 => panels_of::<12>(dst, src, rows, depth),
        16 => panels_of::<16>(dst, src, rows, depth),
        32 => panels_of::<32>(dst, src, rows, depth),
        _ => unreachable!("no tile kernel is {width} wide"),
    }
}

unsafe fn panels_of<const WIDTH: usize>(dst: &mut [f32], src: Matrix, rows: usize, depth: usize) {
    assert!(
        dst.len() >= rows.div_ceil(WIDTH) * WIDTH * depth,
        "packing buffer too small"
    );
    for (panel, first) in (0..rows).step_by(WIDTH).enumerate() {
        let out = dst[panel * WIDTH * depth..].as_mut_ptr();
        let live = WIDTH.min(rows - first);
        if live == WIDTH && src.col_stride == 1 && WIDTH.is_multiple_of(8) {
            // Rows contiguous in depth: transpose 8 x 8 blocks, then the last few depths.
            let whole = depth - depth % 8;
            for block in (0..WIDTH).step_by(8) {
                for p in (0..whole).step_by(8) {
                    transpose8(
                        src.at(first + block, p),
                        src.row_stride,
                        out.add(p * WIDTH + block),
                        WIDTH,
                    );
                }
            }
            for p in whole..depth {
                for i in 0..WIDTH {
                    *out.add(p * WIDTH + i) = *src.at(first + i, p);
                }
            }
        } else if src.row_stride == 1 && live == WIDTH {
            // Already depth-major: one copy per depth step, of a length known here
            // (a few vector moves; a length known only at run time is a call to memcpy).
            for p in 0..depth {
                std::ptr::copy_nonoverlapping(src.at(first, p), out.add(p * WIDTH), WIDTH);
            }
        } else {
            for p in 0..depth {
                for i in 0..WIDTH {
                    *out.add(p * WIDTH + i) = if i < live { *src.at(first + i, p) } else { 0.0 };
                }
            }
        }
    }
}
