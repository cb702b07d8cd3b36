//! What would change the winner: each cost assumption's break-even value, the
//! value at which another strategy wins, as a multiple of the run's value (log
//! scale). One bar per assumption from the run's value (x1) to its break-even,
//! in the colour of the strategy that wins there; the nearest break-even first.

use super::*;
use crate::analysis::sensitivity::SCAN_DECADES;
use crate::analysis::{Assumption, Sensitivity};
use crate::report::format::{assumption_value, assumption_words};
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Pixels between a bar's end and its label.
const PAD_PX: i32 = 8;
/// Extra room either side of the scanned decades, in decades, so a bar at the scan's end stays off the frame.
const ROOM_DECADES: f64 = 0.25;

/// Where one assumption's break-even lies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flip {
    /// At this multiple of the run's value.
    Ratio(f64),
    /// The run's value is 0, so only the break-even's own value says where.
    FromZero,
    /// Nowhere within the scan, or the assumption is not priced.
    Unchanged,
}

/// One row of the chart, already in words.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// The assumption and the run's value, e.g. "The label price: $0.0400/label in the run".
    label: String,
    /// The break-even and who wins there, e.g. "$0.0120/label → scratch", or why there is none.
    end: String,
    flip: Flip,
    colour: RGBColor,
}

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let title = match r.verdict.winner() {
        Some(w) => format!("Break-even of each cost assumption: where {} stops winning", w.strategy),
        None => "Break-even of each cost assumption".to_string(),
    };
    let area = titled(area, &title)?;
    let rows = rows(&r.sensitivity);
    let n = rows.len().max(1) as f64;
    let edge = 10f64.powf(SCAN_DECADES as f64 + ROOM_DECADES);
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN_PX)
        .x_label_area_size(60)
        .y_label_area_size(20)
        .build_cartesian_2d((1.0 / edge..edge).log_scale(), 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(2 * SCAN_DECADES as usize + 1)
        .x_desc("break-even value as a multiple of the run's value (log scale)")
        .x_label_formatter(&ratio_label)
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, AXIS_PX))
        .draw()?;
    if rows.is_empty() {
        let why = match r.verdict.winner() {
            None => "No strategy wins within the label budget: no winner for a price to change",
            Some(_) => "This results.json predates the sensitivity analysis (re-price it to add one)",
        };
        chart.draw_series(std::iter::once(Text::new(
            why,
            (3.0 / edge, n / 2.0),
            (FAMILY, AXIS_PX),
        )))?;
        return Ok(());
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, 0.0), (1.0, n)],
        BLACK.stroke_width(2),
    )))?;
    for (i, row) in rows.iter().enumerate() {
        draw_row(&mut chart, row, n - 1.0 - i as f64, edge)?;
    }
    Ok(())
}

/// One row between `y` and `y + 1`: its label on top, below it the bar from
/// x1 to the break-even with the break-even's label, or the row's text at x1.
fn draw_row(chart: &mut LogPlot<'_>, row: &Row, y: f64, edge: f64) -> DrawResult {
    chart.draw_series(std::iter::once(
        EmptyElement::at((1.0 / edge, y + 0.95)) + Text::new(row.label.clone(), (PAD_PX, 0), (FAMILY, LABEL_PX)),
    ))?;
    let middle = y + 0.47;
    let Flip::Ratio(ratio) = row.flip else {
        return end_label(chart, &row.end, (1.0, middle), HPos::Left, row.colour);
    };
    let ratio = ratio.clamp(1.0 / edge, edge);
    chart.draw_series(std::iter::once(Rectangle::new(
        [(ratio.min(1.0), middle - 0.18), (ratio.max(1.0), middle + 0.18)],
        row.colour.filled(),
    )))?;
    // Beside the bar's end, away from x1, where the label fits; else inside the bar, in white.
    let font = TextStyle::from((FAMILY, LABEL_PX).into_font());
    let (width, _) = chart.plotting_area().estimate_text_size(&row.end, &font)?;
    let px = |x: f64| chart.backend_coord(&(x, middle)).0;
    let (room, outward, inward) = if ratio >= 1.0 {
        (px(edge) - px(ratio), HPos::Left, HPos::Right)
    } else {
        (px(ratio) - px(1.0 / edge), HPos::Right, HPos::Left)
    };
    if width as i32 + PAD_PX <= room {
        end_label(chart, &row.end, (ratio, middle), outward, row.colour)
    } else {
        end_label(chart, &row.end, (ratio, middle), inward, WHITE)
    }
}

/// `text` beside `at`, a pad away: to its right when anchored `Left`, to its left when `Right`.
fn end_label(chart: &mut LogPlot<'_>, text: &str, at: (f64, f64), anchor: HPos, colour: RGBColor) -> DrawResult {
    let dx = if matches!(anchor, HPos::Right) { -PAD_PX } else { PAD_PX };
    let style = (FAMILY, LABEL_PX)
        .into_font()
        .color(&colour)
        .pos(Pos::new(anchor, VPos::Center));
    chart.draw_series(std::iter::once(
        EmptyElement::at(at) + Text::new(text.to_string(), (dx, 0), style),
    ))?;
    Ok(())
}

/// The rows in words, the nearest break-even first, then those from a value
/// of 0, then those that change nothing (each group in the analysis' order).
fn rows(sensitivity: &[Sensitivity]) -> Vec<Row> {
    let mut rows: Vec<Row> = sensitivity.iter().map(row).collect();
    let rank = |f: &Flip| match *f {
        Flip::Ratio(ratio) => (0, ratio.ln().abs()),
        Flip::FromZero => (1, 0.0),
        Flip::Unchanged => (2, 0.0),
    };
    rows.sort_by(|a, b| {
        let (a, b) = (rank(&a.flip), rank(&b.flip));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    rows
}

fn row(s: &Sensitivity) -> Row {
    let a = s.assumption;
    let in_run = if s.value_in_run == 0.0 {
        "none in the run".to_string()
    } else {
        format!("{} in the run", assumption_value(a, s.value_in_run))
    };
    let label = format!("{}: {in_run}", capitalised(assumption_words(a)));
    let (winner, colour) = match s.new_winner {
        Some(w) => (w.to_string(), strategy_colour(w)),
        None => ("no strategy reaches the target".to_string(), TARGET),
    };
    let (end, flip, colour) = match s.flips_at {
        Some(at) if s.value_in_run != 0.0 => (
            format!("{} → {winner}", assumption_value(a, at)),
            Flip::Ratio(at / s.value_in_run),
            colour,
        ),
        Some(at) => (
            format!("flips at {} → {winner}", assumption_value(a, at)),
            Flip::FromZero,
            colour,
        ),
        None => (unchanged_words(s), Flip::Unchanged, TARGET),
    };
    Row {
        label,
        end,
        flip,
        colour,
    }
}

/// Why a row has no break-even.
fn unchanged_words(s: &Sensitivity) -> String {
    if s.assumption == Assumption::GridGCo2PerKwh {
        "not priced: carbon is reported, not billed".to_string()
    } else if s.value_in_run == 0.0 {
        let top = 10f64.powi(SCAN_DECADES);
        format!("no change up to {}", assumption_value(s.assumption, top))
    } else {
        format!("no change within 10^±{SCAN_DECADES} of the run's value")
    }
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Tick labels for a multiple of the run's value: `x0.01`, `x1`, `x100`.
fn ratio_label(v: &f64) -> String {
    let decade = v.log10().round();
    if (v.log10() - decade).abs() > 1e-6 {
        return format!("x{}", crate::report::format::sig3(*v));
    }
    format!("x{:.*}", (-decade).max(0.0) as usize, 10f64.powf(decade))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{drawn, results, results_without_projection};
    use super::*;
    use crate::train::Strategy;

    fn sensitivity(assumption: Assumption, value_in_run: f64, flips_at: Option<f64>) -> Sensitivity {
        Sensitivity {
            assumption,
            unit: assumption.unit().to_string(),
            value_in_run,
            flips_at,
            new_winner: flips_at.map(|_| Strategy::Scratch),
        }
    }

    #[test]
    fn rows_say_where_each_assumption_flips_nearest_first() {
        let rows = rows(&[
            sensitivity(Assumption::UsdPerLabel, 0.04, Some(0.01)),
            sensitivity(Assumption::InstanceUsdPerHour, 0.1, None),
            sensitivity(Assumption::ModelOneTimeUsd, 0.0, Some(8.75)),
            sensitivity(Assumption::ModelUsdPerHour, 0.5, Some(1.0)),
            sensitivity(Assumption::GridGCo2PerKwh, 475.0, None),
        ]);
        let ends: Vec<(&str, Flip)> = rows.iter().map(|r| (r.end.as_str(), r.flip)).collect();
        assert_eq!(
            ends,
            [
                ("$1.00/h → scratch", Flip::Ratio(2.0)),
                ("$0.0100/label → scratch", Flip::Ratio(0.25)),
                ("flips at $8.75 → scratch", Flip::FromZero),
                ("no change within 10^±4 of the run's value", Flip::Unchanged),
                ("not priced: carbon is reported, not billed", Flip::Unchanged),
            ]
        );
        assert_eq!(rows[1].label, "The label price: $0.0400/label in the run");
        assert_eq!(
            rows[2].label,
            "A one-time fee for the pretrained model: none in the run"
        );
        assert_eq!(rows[0].colour, strategy_colour(Strategy::Scratch));
        assert_eq!(rows[4].colour, TARGET);
    }

    #[test]
    fn ticks_read_as_multiples() {
        let labels: Vec<String> = [1e-4, 0.01, 1.0, 100.0, 1e4, 2.0].iter().map(ratio_label).collect();
        assert_eq!(labels, ["x0.0001", "x0.01", "x1", "x100", "x10000", "x2.00"]);
    }

    #[test]
    fn draws_break_evens_or_says_why_there_are_none() {
        let mut r = results();
        assert!(r
            .sensitivity
            .iter()
            .any(|s| s.value_in_run > 0.0 && s.flips_at.is_some()));
        assert!(r
            .sensitivity
            .iter()
            .any(|s| s.value_in_run == 0.0 && s.flips_at.is_some()));
        let with = drawn(&r, draw);
        // Break-evens at both ends of the scan: their labels go inside the bars.
        r.sensitivity[0].flips_at = Some(r.sensitivity[0].value_in_run * 9e3);
        r.sensitivity[1].flips_at = Some(r.sensitivity[1].value_in_run / 9e3);
        let at_the_ends = drawn(&r, draw);
        assert_ne!(at_the_ends, with);
        // A results.json from before the analysis, and a run with no winner: a message each.
        let old = drawn(&results_without_projection(), draw);
        r.sensitivity.clear();
        r.verdict.options.clear();
        let no_winner = drawn(&r, draw);
        let all = [with, at_the_ends, old, no_winner];
        assert!((1..all.len()).all(|i| !all[..i].contains(&all[i])));
    }

    #[test]
    fn is_in_the_report() {
        let charts = render_all(&results()).unwrap();
        let c = charts.iter().find(|c| c.file_name == "sensitivity.png").unwrap();
        assert!(!c.png.is_empty() && c.title.contains("winner"));
    }
}
