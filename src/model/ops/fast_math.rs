//! `exp` and `erf` for f32 written as straight-line arithmetic, so the
//! compiler vectorises the loops that call them (a call into libm per value
//! does not vectorise).

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
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r for |r| <= ln(2)/2 by its Taylor polynomial to r^6 (Horner).
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
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
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    (1.0 - poly * exp(-a * a)).copysign(x)
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
