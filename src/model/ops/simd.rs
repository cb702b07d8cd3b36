//! Compiling the kernels' inner loops for the vector units the CPU has.
//!
//! The crate is built for baseline x86-64 (SSE2, four lanes) so that one
//! binary runs everywhere; [`multiversion!`] compiles a loop again for AVX2
//! and for AVX-512 and picks, at run time, the widest the CPU supports. The
//! arithmetic is the same in every version (Rust never fuses a multiply and
//! an add on its own), so results do not depend on the machine.
//!
//! [`sum`] and [`dot`] keep sixteen running sums, so the compiler can keep
//! them in vector registers: a single running sum is a chain of scalar
//! additions that no compiler may reorder. The sixteen are then added
//! pairwise (8 + 8, 4 + 4, ...): four vector additions where a chain of
//! sixteen scalar ones cost more than the loop on a transformer's short rows
//! (48 attention scores).

/// Defines `fn name(args)` whose body is compiled three times (AVX-512,
/// AVX2 with FMA, baseline) and dispatched at run time.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn generic($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn v4($($arg: $ty),*) {
                    generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn v3($($arg: $ty),*) {
                    generic($($arg),*)
                }
                match $crate::model::ops::simd::vector_level() {
                    // SAFETY: the CPU has AVX-512F (and so AVX2 and FMA).
                    $crate::model::ops::simd::Level::Avx512 => return unsafe { v4($($arg),*) },
                    // SAFETY: the CPU has AVX2 and FMA.
                    $crate::model::ops::simd::Level::Avx2 => return unsafe { v3($($arg),*) },
                    $crate::model::ops::simd::Level::Baseline => {}
                }
            }
            generic($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// The widest vector units [`multiversion!`] functions run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// SSE2, the x86-64 baseline (and every non-x86 CPU: its own build).
    Baseline = 1,
    /// AVX2 with FMA.
    Avx2 = 2,
    /// AVX-512F (with AVX2 and FMA).
    Avx512 = 3,
}

impl Level {
    /// Its name, as `$REUSE_BENCH_SIMD` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The environment variable that caps [`vector_level`]: `avx2` or `baseline`.
pub const LEVEL_CAP_VAR: &str = "REUSE_BENCH_SIMD";

/// The level [`multiversion!`] dispatches to: the widest the CPU has, capped
/// by `$REUSE_BENCH_SIMD`. Read once, then one relaxed load per call.
///
/// Why a cap: results do not depend on it (every version does the same
/// arithmetic), but speed does, and a benchmark that emulates a CPU without
/// AVX-512 on one that has it must run these kernels as that CPU would
/// (`benches/README.md`: the AVX2 emulation).
pub fn vector_level() -> Level {
    use std::sync::atomic::{AtomicU8, Ordering};
    static LEVEL: AtomicU8 = AtomicU8::new(0);
    match LEVEL.load(Ordering::Relaxed) {
        3 => Level::Avx512,
        2 => Level::Avx2,
        1 => Level::Baseline,
        _ => {
            // An unusable value was refused at startup ([`check_level_cap`]).
            let cap = std::env::var(LEVEL_CAP_VAR).ok();
            let level = detected().min(cap_level(cap.as_deref()).unwrap_or(Level::Avx512));
            LEVEL.store(level as u8, Ordering::Relaxed);
            level
        }
    }
}

/// The widest level this CPU supports.
fn detected() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// The cap a value of `$REUSE_BENCH_SIMD` sets: none when unset or empty,
/// `None` for a value it does not know.
fn cap_level(value: Option<&str>) -> Option<Level> {
    match value.map(str::trim) {
        None | Some("") => Some(Level::Avx512),
        Some("avx2") => Some(Level::Avx2),
        Some("baseline" | "sse2") => Some(Level::Baseline),
        Some(_) => None,
    }
}

/// Refuses a `$REUSE_BENCH_SIMD` it does not know, naming it and the values
/// it takes (a misspelt cap would otherwise time the wrong kernels silently).
pub fn check_level_cap() -> crate::Result<()> {
    let value = std::env::var(LEVEL_CAP_VAR).ok();
    match cap_level(value.as_deref()) {
        Some(_) => Ok(()),
        None => Err(crate::Error::Setting {
            key: format!("{LEVEL_CAP_VAR}={}", value.unwrap_or_default()),
            message: "expected avx2 or baseline (the widest vector units the project's kernels may use), \
                      or unset it for the widest this CPU has"
                .into(),
        }),
    }
}

/// Running sums kept by [`sum`] and [`dot`].
const LANES: usize = 16;

/// The sum of the running sums, added pairwise.
#[inline(always)]
fn total(mut acc: [f32; LANES]) -> f32 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    acc[0]
}

/// The sum of `xs`, in a fixed order.
#[inline(always)]
pub fn sum(xs: &[f32]) -> f32 {
    sum_by(xs, |v| v)
}

/// The sum of `f(x)` over `xs`, in a fixed order.
#[inline(always)]
pub fn sum_by(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += f(c[i]);
        }
    }
    total(acc) + rest
}

/// Replaces every value `x` of `xs` by `f(x)` and returns the sum of the new
/// values, added in [`sum`]'s order (so the same bits as `sum` after the map,
/// in one pass instead of two).
#[inline(always)]
pub fn map_sum(xs: &mut [f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = xs.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            c[i] = f(c[i]);
            acc[i] += c[i];
        }
    }
    let rest: f32 = chunks
        .into_remainder()
        .iter_mut()
        .map(|v| {
            *v = f(*v);
            *v
        })
        .sum();
    total(acc) + rest
}

/// The largest of `xs` (negative infinity when empty; NaNs are passed over).
/// The lanes are folded pairwise: a maximum does not depend on the order,
/// and a chain of sixteen scalar steps cost more than the loop on short rows.
#[inline(always)]
pub fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder().iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for c in chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] = if acc[i + width] > acc[i] {
                acc[i + width]
            } else {
                acc[i]
            };
        }
    }
    acc[0].max(rest)
}

/// The sum of `a[i] * b[i]`, in a fixed order.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let split = n - n % LANES;
    for (ca, cb) in a[..split].chunks_exact(LANES).zip(b[..split].chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += ca[i] * cb[i];
        }
    }
    let rest: f32 = a[split..].iter().zip(&b[split..]).map(|(x, y)| x * y).sum();
    total(acc) + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    multiversion! {
        /// Doubles every value (a dispatched function for the test).
        fn double(xs: &mut [f32]) {
            xs.iter_mut().for_each(|x| *x *= 2.0);
        }
    }

    #[test]
    fn sums_are_exact_on_integers_and_dispatch_runs() {
        let xs: Vec<f32> = (1..=37).map(|i| i as f32).collect();
        assert_eq!(sum(&xs), 703.0);
        assert_eq!(dot(&xs, &xs), (1..=37).map(|i| (i * i) as f32).sum::<f32>());
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(max(&xs), 37.0);
        assert_eq!(max(&xs[..3]), 3.0);
        let mut ys = xs.clone();
        double(&mut ys);
        assert_eq!(ys[36], 74.0);
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert_eq!(max(&[f32::NAN, -3.0, f32::NAN]), -3.0);
    }

    #[test]
    fn the_cap_lowers_the_level_and_unknown_values_are_refused() {
        assert_eq!(cap_level(Some("avx2")), Some(Level::Avx2));
        assert_eq!(cap_level(Some(" baseline ")), Some(Level::Baseline));
        assert_eq!(cap_level(Some("sse2")), Some(Level::Baseline));
        assert_eq!(cap_level(Some("")), Some(Level::Avx512));
        assert_eq!(cap_level(None), Some(Level::Avx512));
        assert_eq!(cap_level(Some("avx1024")), None);
        assert!(vector_level() <= detected());
    }

    #[test]
    fn map_sum_gives_the_bits_of_map_then_sum() {
        for n in [0, 5, 16, 48, 77] {
            let xs: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0).collect();
            let f = |v: f32| v * v * 0.3 - v;
            let mut mapped = xs.clone();
            let total = map_sum(&mut mapped, f);
            let expected: Vec<f32> = xs.iter().map(|&v| f(v)).collect();
            assert_eq!(mapped, expected);
            assert_eq!(total.to_bits(), sum(&expected).to_bits(), "n = {n}");
            let top = expected.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max(&expected), top);
        }
    }
}
