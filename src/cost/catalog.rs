//! The price catalog: cloud instances with their hourly prices, each row
//! with its source and the date of the price.
//!
//! A built-in catalog ships in `prices.csv` beside this file; users pass
//! their own (same columns) with `--catalog` or `cost.catalog`.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in catalog's CSV text.
const BUILTIN_CSV: &str = include_str!("prices.csv");

/// One instance type and its prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRow {
    /// Cloud provider, e.g. `aws`, `gcp`, `azure`.
    pub provider: String,
    /// Instance type name, e.g. `c7i.large`.
    pub instance: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// GPU model (empty for CPU-only instances).
    #[serde(default)]
    pub gpu_model: String,
    /// GPUs.
    #[serde(default)]
    pub gpu_count: u32,
    /// Region the price is for.
    pub region: String,
    /// On-demand price, USD per hour.
    pub on_demand_usd_per_hour: f64,
    /// Spot price, USD per hour, where the source gave one (spot prices move).
    pub spot_usd_per_hour: Option<f64>,
    /// Where the price comes from.
    pub source: String,
    /// The date of the price (YYYY-MM-DD).
    pub price_date: String,
}

impl PriceRow {
    /// `provider/instance`, the key suites use.
    pub fn key(&self) -> String {
        format!("{}/{}", self.provider, self.instance)
    }
}

/// A set of instance prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Where the catalog was read from ("built-in" or a path).
    pub origin: String,
    /// Its rows.
    pub rows: Vec<PriceRow>,
}

impl Catalog {
    /// The catalog shipped with reuse-bench.
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN_CSV, "built-in").expect("the built-in catalog is valid (tested)")
    }

    /// Reads a catalog CSV file.
    pub fn load(path: &Path) -> Result<Catalog> {
        Catalog::parse(&crate::fsio::read_to_string(path)?, &path.display().to_string())
    }

    /// Parses catalog CSV text; `origin` names it in errors. Every row needs a
    /// source and a date, and prices that are positive numbers.
    pub fn parse(text: &str, origin: &str) -> Result<Catalog> {
        let fail = |message: String| Error::data(format!("price catalog {origin}"), message);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for (i, row) in reader.deserialize::<PriceRow>().enumerate() {
            let line = i + 2; // data row number, 1-based after the header (comment lines not counted)
            let row = row.map_err(|e| fail(format!("line {line}: {e}")))?;
            if row.source.is_empty() || row.price_date.is_empty() {
                return Err(fail(format!(
                    "line {line} ({}): every row needs a source and a price_date",
                    row.key()
                )));
            }
            if chrono::NaiveDate::parse_from_str(&row.price_date, "%Y-%m-%d").is_err() {
                return Err(fail(format!(
                    "line {line}: price_date '{}' is not YYYY-MM-DD",
                    row.price_date
                )));
            }
            let prices = [Some(row.on_demand_usd_per_hour), row.spot_usd_per_hour];
            if prices.iter().flatten().any(|p| !(p.is_finite() && *p > 0.0)) {
                return Err(fail(format!(
                    "line {line} ({}): prices must be positive numbers",
                    row.key()
                )));
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Err(fail("has no rows".into()));
        }
        Ok(Catalog {
            origin: origin.to_string(),
            rows,
        })
    }

    /// The row for `provider/instance` (case-insensitive).
    pub fn find(&self, key: &str) -> Result<&PriceRow> {
        self.rows
            .iter()
            .find(|r| r.key().eq_ignore_ascii_case(key))
            .ok_or_else(|| {
                let known: Vec<String> = self.rows.iter().map(PriceRow::key).collect();
                Error::setting(
                    format!("instance '{key}'"),
                    format!(
                        "not in the price catalog ({}); known: {}. Pass --instance with one of these or --catalog \
                         with your own CSV",
                        self.origin,
                        known.join(", ")
                    ),
                )
            })
    }
}

/// Helpers for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A catalog with one instance, `aws/x.large`, at the given prices.
    pub(crate) fn one_row_catalog(on_demand: f64, spot: Option<f64>) -> Catalog {
        Catalog {
            origin: "test".into(),
            rows: vec![PriceRow {
                provider: "aws".into(),
                instance: "x.large".into(),
                vcpu: 2,
                memory_gib: 4.0,
                gpu_model: String::new(),
                gpu_count: 0,
                region: "r".into(),
                on_demand_usd_per_hour: on_demand,
                spot_usd_per_hour: spot,
                source: "https://example.org".into(),
                price_date: "2026-01-01".into(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "provider,instance,vcpu,memory_gib,gpu_model,gpu_count,region,on_demand_usd_per_hour,\
                          spot_usd_per_hour,source,price_date\n";

    #[test]
    fn builtin_has_real_rows_across_three_clouds_cpu_and_gpu() {
        let c = Catalog::builtin();
        assert!(c.rows.len() >= 12, "{} rows", c.rows.len());
        for provider in ["aws", "gcp", "azure"] {
            let rows: Vec<_> = c.rows.iter().filter(|r| r.provider == provider).collect();
            assert!(rows.iter().any(|r| r.gpu_count == 0), "{provider} has no CPU row");
            assert!(rows.iter().any(|r| r.gpu_count > 0), "{provider} has no GPU row");
        }
        assert!(
            c.rows.iter().all(|r| r.source.starts_with("http")),
            "every row cites a page"
        );
        c.find(&crate::cost::CostSpec::default().instance).unwrap();
    }

    #[test]
    fn parses_and_finds() {
        let text = format!("{HEADER}aws,x.large,2,4,,0,us-east-1,0.1,0.03,https://example.org,2026-01-02\n");
        let c = Catalog::parse(&text, "t.csv").unwrap();
        let row = c.find("AWS/x.large").unwrap();
        assert_eq!((row.vcpu, row.spot_usd_per_hour), (2, Some(0.03)));
        let err = c.find("aws/nope").unwrap_err().to_string();
        assert!(err.contains("aws/x.large") && err.contains("--catalog"), "{err}");
    }

    #[test]
    fn rows_without_source_or_with_bad_values_are_named() {
        let no_source = format!("{HEADER}aws,x,2,4,,0,r,0.1,,,2026-01-02\n");
        let err = Catalog::parse(&no_source, "t.csv").unwrap_err().to_string();
        assert!(
            err.contains("t.csv") && err.contains("line 2") && err.contains("source"),
            "{err}"
        );
        let bad_date = format!("{HEADER}aws,x,2,4,,0,r,0.1,,https://e,last year\n");
        assert!(Catalog::parse(&bad_date, "t")
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
        let bad_price = format!("{HEADER}aws,x,2,4,,0,r,-1,,https://e,2026-01-01\n");
        assert!(Catalog::parse(&bad_price, "t")
            .unwrap_err()
            .to_string()
            .contains("positive"));
        let not_number = format!("{HEADER}aws,x,two,4,,0,r,1,,https://e,2026-01-01\n");
        assert!(Catalog::parse(&not_number, "t")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
    }
}
