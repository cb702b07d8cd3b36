//! Number formats shared by the verdict's sentences and every report, so a
//! figure reads the same wherever it appears.

/// A 0-1 fraction as a percentage with one decimal, e.g. `82.1%`.
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// US dollars with enough digits to show small amounts: `$1234`, `$3.46`,
/// `$0.0123`, `$0.00000213` (a fraction of a cent keeps three significant digits).
pub fn usd(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("${v:.0}")
    } else if v.abs() >= 0.995 {
        format!("${v:.2}")
    } else if v.abs() >= 0.01 || v == 0.0 {
        format!("${v:.4}")
    } else {
        format!("${}", sig3(v))
    }
}

/// Three significant digits, e.g. `0.0123`, `1.50`, `123`.
pub fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(pct(0.8214), "82.1%");
        assert_eq!(usd(1234.4), "$1234");
        assert_eq!(usd(3.456), "$3.46");
        assert_eq!(usd(0.01234), "$0.0123");
        assert_eq!(usd(0.0000021345), "$0.00000213");
        assert_eq!(usd(0.0), "$0.0000");
        assert_eq!(sig3(0.0123456), "0.0123");
        assert_eq!(sig3(123.456), "123");
        assert_eq!(sig3(1.5), "1.50");
        assert_eq!(sig3(0.0), "0");
    }
}
