//! Number and word formats shared by the verdict's sentences, every table
//! and every chart, so a figure reads the same wherever it appears.

use crate::analysis::{Assumption, Crossing, Interval};

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

/// Kilowatt-hours as watt-hours, three significant digits.
pub fn wh(kwh: f64) -> String {
    sig3(kwh * 1000.0)
}

/// Kilograms as grams, three significant digits.
pub fn grams(kg: f64) -> String {
    sig3(kg * 1000.0)
}

/// Where a curve crosses a threshold, in words, e.g. "about 43 labels per
/// class (between 25 and 50)" or "beyond the sweep".
pub fn crossing_words(c: &Crossing) -> String {
    match *c {
        Crossing::AtSmallest { budget_per_class } => {
            format!("{budget_per_class} labels per class or fewer (the smallest budget)")
        }
        Crossing::Between {
            labels_per_class,
            lower,
            upper,
        } => format!("about {labels_per_class:.0} labels per class (between {lower} and {upper})"),
        Crossing::NotReached => "beyond the sweep".to_string(),
    }
}

/// A projected interval in words, e.g. "about 190 (95% interval 150–260)",
/// "about 190 (95% interval from 150, no upper bound)"; `f` formats each figure.
pub fn interval_words(i: &Interval, f: fn(f64) -> String) -> String {
    match i.high {
        Some(high) => format!("about {} (95% interval {}–{})", f(i.estimate), f(i.low), f(high)),
        None => format!(
            "about {} (95% interval from {}, no upper bound)",
            f(i.estimate),
            f(i.low)
        ),
    }
}

/// Labels per class, whole: a projected need of 12.3 labels means buying 13.
pub fn labels(v: f64) -> String {
    format!("{:.0}", v.ceil())
}

/// A cost assumption's value in its unit, e.g. `$0.0350/label`, `$0.0950/h`, `12 tasks`.
pub fn assumption_value(a: Assumption, v: f64) -> String {
    match a {
        Assumption::UsdPerLabel => format!("{}/label", usd(v)),
        Assumption::InstanceUsdPerHour | Assumption::ModelUsdPerHour => format!("{}/h", usd(v)),
        Assumption::ModelOneTimeUsd => usd(v),
        Assumption::AmortizeOverTasks => format!("{v:.0} task{}", if v.round() == 1.0 { "" } else { "s" }),
        Assumption::GridGCo2PerKwh => format!("{} g CO2e/kWh", sig3(v)),
    }
}

/// What a cost assumption is, in words.
pub fn assumption_words(a: Assumption) -> &'static str {
    match a {
        Assumption::UsdPerLabel => "the label price",
        Assumption::InstanceUsdPerHour => "the instance's hourly price",
        Assumption::ModelOneTimeUsd => "a one-time fee for the pretrained model",
        Assumption::ModelUsdPerHour => "an hourly fee for the pretrained model",
        Assumption::AmortizeOverTasks => "the number of tasks sharing the pretraining (K)",
        Assumption::GridGCo2PerKwh => "the grid's carbon intensity",
    }
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
