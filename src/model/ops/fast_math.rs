//! `exp` and `erf` for f32 written as straight-line arithmetic, so the
//! compiler vectorises the loops that call them (a call into libm per value
//! does not vectorise).
//!
//! The polynomials run on fused multiply-adds (`mul_add`, rounded once, so
//! the same bits on every machine): the AVX2 and AVX-512 versions of the
//! kernels that call them ([`super::simd::multiversion`]) then issue one
//! instruction where a multiply and an add took two, on the longest chains
//! of a transformer's GELU and softmax. (The baseline SSE2 version calls
//! libm's exact `fmaf` instead: right, but slow on CPUs without FMA.)

/// Rounds to the nearest integer by adding and removing 1.5 * 2^23.
const ROUND: f32 = 12_582_912.0;
/// ln 2 split in two (Cody and Waite) so that `n * LN2_HI` is exact.
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;

/// e^x to within about two units in the last place; 0 below -87 (where f32
/// underflows anyway: softmax's padding scores land there), and e^88 above 88.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let underflow = x < -87.0;
    let x = x.clamp(-87.0, 88.0);
    let n = x.mul_add(std::f32::consts::LOG2_E, ROUND) - ROUND;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    // e^r for |r| <= ln(2)/2 by its Taylor polynomial to r^6 (Horner).
    const C: [f32; 7] = [1.0, 1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0];
    let p = C[..6].iter().rev().fold(C[6], |acc, &c| acc.mul_add(r, c));
    // SAFETY: n is a whole number in [-126, 127] after the clamp, so it fits an i32.
    let n = unsafe { n.to_int_unchecked::<i32>() };
    let e = p * f32::from_bits(((n + 127) as u32) << 23);
    if underflow {
        0.0
    } else {
        e
    }
}

/// The error function to within 3e-7 (Abramowitz and Stegun 7.1.26, whose
/// own error bound is 1.5e-7).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_72, 1.421_413_8, -1.453_152_1, 1.061_405_4];
    let a = x.abs();
    let t = 1.0 / P.mul_add(a, 1.0);
    let poly = t * A[..4].iter().rev().fold(A[4], |acc, &c| acc.mul_add(t, c));
    (-poly).mul_add(exp(-a * a), 1.0).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf in f64 by Simpson's rule on 2/sqrt(pi) e^(-t^2), accurate to ~1e-12.
    fn erf_reference(x: f64) -> f64 {
        let steps = 4000;
        let h = x / steps as f64;
        let g = |t: f64| (-t * t).exp();
        let mut s = g(0.0) + g(x);
        for i in 1..steps {
            s += g(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_is_accurate_over_the_range() {
        let mut worst = 0.0f64;
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let exact = (x as f64).exp();
            worst = worst.max(((exp(x) as f64 - exact) / exact).abs());
        }
        assert!(worst < 3e-7, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) == 0.0 && exp(1000.0).is_finite());
    }

    #[test]
    fn erf_is_accurate_and_odd() {
        let mut worst = 0.0f64;
        for i in -600..=600 {
            let x = i as f32 / 100.0;
            worst = worst.max((erf(x) as f64 - erf_reference(x as f64)).abs());
            assert_eq!(erf(-x), -erf(x));
        }
        assert!(worst < 3e-7, "worst absolute error {worst}");
    }
}
