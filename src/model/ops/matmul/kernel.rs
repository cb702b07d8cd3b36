//! The tile kernels: one `ROWS x COLS` block of the destination from a
//! sliver of the left operand and a packed panel of the right one, kept in
//! vector registers for the whole depth.
//!
//! Every destination value is the same chain of fused multiply-adds, in
//! depth order, whichever kernel computes it: so the AVX2 kernel (6 x 16,
//! twelve 8-lane accumulators) and the AVX-512 one (12 x 32, twenty-four
//! 16-lane accumulators) give the same bits, and only their speed differs.

#![cfg(target_arch = "x86_64")]

use crate::model::ops::simd::Level;

/// One tile's work.
#[derive(Clone, Copy)]
pub struct Tile {
    /// Terms of each sum (the depth block).
    pub depth: usize,
    /// The left operand's sliver: row `i` at depth `p` is at
    /// `lhs + i * lhs_row_stride + p` when read in place, and at
    /// `lhs + p * ROWS + i` when packed.
    pub lhs: *const f32,
    /// Distance between the sliver's rows, when read in place.
    pub lhs_row_stride: usize,
    /// The right operand's panel, packed: depth `p`, column `j` at `p * COLS + j`.
    pub rhs: *const f32,
    /// The destination's first value, rows `dst_stride` apart.
    pub dst: *mut f32,
    /// Distance between the destination's rows.
    pub dst_stride: usize,
    /// Write `scale * sum` (the first depth block of a product that does
    /// not accumulate); otherwise add it to what is there.
    pub overwrite: bool,
    /// When overwriting and not null: the tile's `COLS` values of the bias,
    /// which each row's `scale * sum` is added to.
    pub bias: *const f32,
    /// Factor applied to each block's sum before it is stored.
    pub scale: f32,
}

/// A kernel: `unsafe` because every pointer of the tile must address the
/// values it names, and the CPU must have the kernel's vector units.
pub type TileFn = unsafe fn(&Tile);

/// The kernels of one vector level and their tile size.
pub struct Kernels {
    /// Rows of a tile (of the left operand's sliver).
    pub rows: usize,
    /// Columns of a tile (of the right operand's packed panel).
    pub cols: usize,
    /// The kernel reading the left operand in place (its rows contiguous).
    pub in_place: TileFn,
    /// The kernel reading a packed left operand.
    pub packed: TileFn,
}

/// The kernels for `level`; `None` below AVX2 (the caller falls back to gemm).
pub fn for_level(level: Level) -> Option<&'static Kernels> {
    match level {
        Level::Avx512 => Some(&AVX512),
        Level::Avx2 => Some(&AVX2),
        Level::Baseline => None,
    }
}

/// 6 x 16 tiles on AVX2 with FMA.
pub static AVX2: Kernels = Kernels {
    rows: 6,
    cols: 16,
    in_place: avx2::in_place,
    packed: avx2::packed,
};

/// 12 x 32 tiles on AVX-512F.
pub static AVX512: Kernels = Kernels {
    rows: 12,
    cols: 32,
    in_place: avx512::in_place,
    packed: avx512::packed,
};

/// Defines module `$level` with the two kernels (`in_place`, `packed`) of
/// one vector type: tiles of `$rows` rows by `$vectors` vectors of `$lanes`.
macro_rules! tile_kernels {
    ($level:ident, $features:literal, $rows:literal, $vectors:literal, $lanes:literal, $vec:ty,
     $zero:ident, $load:ident, $store:ident, $splat:ident, $fma:ident, $mul:ident, $add:ident) => {
        mod $level {
            use super::Tile;
            use std::arch::x86_64::*;

            const ROWS: usize = $rows;
            const VECTORS: usize = $vectors;
            const COLS: usize = VECTORS * $lanes;
            /// Depth steps per turn of the loop (fewer pointer updates per step).
            const UNROLL: usize = 4;

            /// The kernel reading the left operand in place.
            #[target_feature(enable = $features)]
            pub unsafe fn in_place(tile: &Tile) {
                body::<true>(tile)
            }

            /// The kernel reading a packed left operand.
            #[target_feature(enable = $features)]
            pub unsafe fn packed(tile: &Tile) {
                body::<false>(tile)
            }

            #[inline(always)]
            unsafe fn body<const IN_PLACE: bool>(tile: &Tile) {
                // Row i at depth p is at lhs + offset[i] + p * step.
                let mut offset = [0usize; ROWS];
                for (i, o) in offset.iter_mut().enumerate() {
                    *o = if IN_PLACE { i * tile.lhs_row_stride } else { i };
                }
                let step = if IN_PLACE { 1 } else { ROWS };
                let mut acc = [[$zero(); VECTORS]; ROWS];
                let (mut lhs, mut rhs) = (tile.lhs, tile.rhs);
                for _ in 0..tile.depth / UNROLL {
                    for u in 0..UNROLL {
                        one_step(lhs.add(u * step), rhs.add(u * COLS), &offset, &mut acc);
                    }
                    lhs = lhs.add(UNROLL * step);
                    rhs = rhs.add(UNROLL * COLS);
                }
                for _ in 0..tile.depth % UNROLL {
                    one_step(lhs, rhs, &offset, &mut acc);
                    lhs = lhs.add(step);
                    rhs = rhs.add(COLS);
                }
                let scale = $splat(tile.scale);
                let with_bias = tile.overwrite && !tile.bias.is_null();
                for (i, row) in acc.iter().enumerate() {
                    for (v, &sum) in row.iter().enumerate() {
                        let dst = tile.dst.add(i * tile.dst_stride + v * $lanes);
                        // A multiply, then an add: the same two roundings as the edge tiles' scalar code.
                        let scaled = $mul(scale, sum);
                        let stored = if with_bias {
                            $add($load(tile.bias.add(v * $lanes)), scaled)
                        } else if tile.overwrite {
                            scaled
                        } else {
                            $add($load(dst), scaled)
                        };
                        $store(dst, stored);
                    }
                }
            }

            /// One depth step: every row's value times the panel's row, into the sums.
            #[inline(always)]
            unsafe fn one_step(
                lhs: *const f32,
                rhs: *const f32,
                offset: &[usize; ROWS],
                acc: &mut [[$vec; VECTORS]; ROWS],
            ) {
                let mut b = [$zero(); VECTORS];
                for (v, b) in b.iter_mut().enumerate() {
                    *b = $load(rhs.add(v * $lanes));
                }
                for (row, &o) in acc.iter_mut().zip(offset) {
                    let a = $splat(*lhs.add(o));
                    for (acc, &b) in row.iter_mut().zip(&b) {
                        *acc = $fma(a, b, *acc);
                    }
                }
            }
        }
    };
}

tile_kernels!(
    avx2,
    "avx2,fma",
    6,
    2,
    8,
    __m256,
    _mm256_setzero_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    _mm256_add_ps
);
tile_kernels!(
    avx512,
    "avx512f,avx2,fma",
    12,
    2,
    16,
    __m512,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_mul_ps,
    _mm512_add_ps
);

/// Transposes the 8 x 8 block at `src` (rows `src_stride` apart) into `dst`
/// (rows `dst_stride` apart): packing a right operand read transposed (a
/// linear layer's weight) is this, panel by panel.
///
/// # Safety
/// The CPU must have AVX2; both blocks must be valid for 8 rows of 8 values.
#[target_feature(enable = "avx2")]
pub unsafe fn transpose8(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    use std::arch::x86_64::*;
    let row = |i: usize| _mm256_loadu_ps(src.add(i * src_stride));
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
    let (r4, r5, r6, r7) = (row(4), row(5), row(6), row(7));
    // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves.
    let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
    let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
    let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
    let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
    let (u0, u1) = (_mm256_shuffle_ps::<0x44>(t0, t2), _mm256_shuffle_ps::<0xEE>(t0, t2));
    let (u2, u3) = (_mm256_shuffle_ps::<0x44>(t1, t3), _mm256_shuffle_ps::<0xEE>(t1, t3));
    let (u4, u5) = (_mm256_shuffle_ps::<0x44>(t4, t6), _mm256_shuffle_ps::<0xEE>(t4, t6));
    let (u6, u7) = (_mm256_shuffle_ps::<0x44>(t5, t7), _mm256_shuffle_ps::<0xEE>(t5, t7));
    let out = |i: usize, v: __m256| _mm256_storeu_ps(dst.add(i * dst_stride), v);
    out(0, _mm256_permute2f128_ps::<0x20>(u0, u4));
    out(1, _mm256_permute2f128_ps::<0x20>(u1, u5));
    out(2, _mm256_permute2f128_ps::<0x20>(u2, u6));
    out(3, _mm256_permute2f128_ps::<0x20>(u3, u7));
    out(4, _mm256_permute2f128_ps::<0x31>(u0, u4));
    out(5, _mm256_permute2f128_ps::<0x31>(u1, u5));
    out(6, _mm256_permute2f128_ps::<0x31>(u2, u6));
    out(7, _mm256_permute2f128_ps::<0x31>(u3, u7));
}
