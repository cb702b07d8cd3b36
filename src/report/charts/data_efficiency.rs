//! Test accuracy against labelled examples (log scale): the measured means
//! with 95% CI bands, each strategy's fitted learning curve with its 95% band
//! (dashed beyond the budgets it was fitted on), the target, and where each
//! projection reaches it.

use super::*;
use crate::analysis::projection::FittedPoint;
use crate::analysis::Projection;

/// The title without fitted curves (a result from before projections existed).
const TITLE: &str = "Test accuracy by label budget (mean and 95% CI over seeds)";
/// The title with them.
const TITLE_FITTED: &str = "Test accuracy by label budget; fitted curves dashed beyond the measured budgets";
/// Opacity of a fitted curve's band: lighter than the measured CI bands (0.18), so the data stay in front.
const FIT_BAND_ALPHA: f64 = 0.07;
/// Line width of a fitted curve: thinner than the measured lines.
const FIT_W: u32 = 2;

/// Points (labels per class, accuracy) of a line.
type Line = Vec<(f64, f64)>;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let fitted = r.projection.values().any(|p| !p.curve.is_empty());
    let area = titled(area, if fitted { TITLE_FITTED } else { TITLE })?;
    let x = x_range(r);
    let (x0, x1) = (x.start, x.end);
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN_PX)
        .x_label_area_size(60)
        .y_label_area_size(85)
        .build_cartesian_2d(x.log_scale(), 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("labelled examples per class (log scale)")
        .y_desc("test accuracy")
        .x_label_formatter(&int_label)
        .y_label_formatter(&pct_label)
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, AXIS_PX))
        .draw()?;
    // Fitted curves first, underneath the measurements.
    for &strategy in &r.suite.train.strategies {
        if let Some(p) = r.projection.get(&strategy) {
            fitted_curve(&mut chart, strategy, p)?;
        }
    }
    for &strategy in &r.suite.train.strategies {
        let colour = strategy_colour(strategy);
        let cells: Vec<(f64, crate::analysis::Summary)> = r
            .aggregates
            .iter()
            .filter(|a| a.strategy == strategy)
            .filter_map(|a| Some((a.budget_per_class as f64, a.test_accuracy?)))
            .collect();
        let mut band: Vec<(f64, f64)> = cells.iter().map(|(b, s)| (*b, s.interval().1)).collect();
        band.extend(cells.iter().rev().map(|(b, s)| (*b, s.interval().0)));
        chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18).filled())))?;
        strategy_line(&mut chart, strategy, cells.iter().map(|(b, s)| (*b, s.mean)).collect())?;
    }
    target_line(&mut chart, (x0, x1), r.suite.target_accuracy)?;
    if fitted {
        let needs: Vec<(Strategy, f64)> = r
            .suite
            .train
            .strategies
            .iter()
            .filter_map(|&s| Some((s, r.projection.get(&s)?.labels_per_class?.estimate)))
            .filter(|(_, n)| (x0..=x1).contains(n))
            .collect();
        fitted_legend(&mut chart)?;
        need_markers(&mut chart, &needs, r.suite.target_accuracy)?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The sweep's budgets, widened to the end of the fitted curves when there are any.
fn x_range(r: &Results) -> std::ops::Range<f64> {
    let x = budget_range(r);
    let furthest = r
        .projection
        .values()
        .flat_map(|p| p.curve.iter().map(|c| c.labels_per_class))
        .filter(|n| n.is_finite())
        .fold(0.0, f64::max);
    x.start..x.end.max(furthest * 1.3)
}

/// One strategy's fitted curve: its band, a thin solid line over the budgets
/// it was fitted on and a dashed one beyond them.
fn fitted_curve(chart: &mut LogPlot<'_>, strategy: Strategy, p: &Projection) -> DrawResult {
    let finite: Vec<&FittedPoint> = p
        .curve
        .iter()
        .filter(|c| c.labels_per_class > 0.0 && [c.accuracy, c.low, c.high].iter().all(|v| v.is_finite()))
        .collect();
    let Some(fit) = p.fit.as_ref().filter(|_| !finite.is_empty()) else {
        return Ok(());
    };
    let colour = strategy_colour(strategy);
    let mut band: Vec<(f64, f64)> = finite.iter().map(|c| (c.labels_per_class, clamp(c.high))).collect();
    band.extend(finite.iter().rev().map(|c| (c.labels_per_class, clamp(c.low))));
    chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(FIT_BAND_ALPHA).filled())))?;
    let line: Vec<(f64, f64)> = finite.iter().map(|c| (c.labels_per_class, clamp(c.accuracy))).collect();
    let (within, beyond) = split_at(&line, fit.budgets_per_class.1 as f64);
    chart.draw_series(LineSeries::new(within, colour.stroke_width(FIT_W)))?;
    chart.draw_series(DashedLineSeries::new(beyond, 7, 5, colour.stroke_width(FIT_W)))?;
    Ok(())
}

/// An accuracy kept inside the chart (plotters does not clip).
fn clamp(accuracy: f64) -> f64 {
    accuracy.clamp(0.0, 1.0)
}

/// A curve (increasing labels) split at `largest`: the part up to it and the
/// part beyond it, both holding the point at `largest` (interpolated in log
/// labels), so that the solid and the dashed line meet.
fn split_at(curve: &[(f64, f64)], largest: f64) -> (Line, Line) {
    let k = curve.partition_point(|p| p.0 <= largest);
    let (mut within, mut beyond) = (curve[..k].to_vec(), curve[k..].to_vec());
    if let (Some(&a), Some(&b)) = (within.last(), beyond.first()) {
        let t = (largest.ln() - a.0.ln()) / (b.0.ln() - a.0.ln());
        let joint = (largest, a.1 + t * (b.1 - a.1));
        if a.0 < largest {
            within.push(joint);
        }
        beyond.insert(0, joint);
    }
    (within, beyond)
}

/// A small triangle on the target line at each projected need, in the
/// strategy's colour, with a legend entry when there is any.
fn need_markers(chart: &mut LogPlot<'_>, needs: &[(Strategy, f64)], target: f64) -> DrawResult {
    if needs.is_empty() {
        return Ok(());
    }
    chart
        .draw_series(needs.iter().map(|&(s, n)| {
            EmptyElement::at((n, target))
                + TriangleMarker::new((0, 0), 8, strategy_colour(s).filled())
                + TriangleMarker::new((0, 0), 8, BLACK.mix(0.6).stroke_width(1))
        }))?
        .label("projected labels to reach the target")
        .legend(|(x, y)| TriangleMarker::new((x + 12, y), 8, TARGET.filled()));
    Ok(())
}

/// The legend entry for the fitted curves, in grey.
fn fitted_legend(chart: &mut LogPlot<'_>) -> DrawResult {
    let grey = TARGET.stroke_width(FIT_W);
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("fitted curve, 95% band (dashed: projected)")
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new(vec![(0, 0), (9, 0)], grey)
                + PathElement::new(vec![(15, 0), (24, 0)], grey)
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{drawn, results, results_without_projection};
    use super::*;

    #[test]
    fn draws_with_and_without_fitted_curves() {
        let with = results();
        assert!(with.projection.values().any(|p| !p.curve.is_empty()));
        assert!(with.projection.values().any(|p| p.labels_per_class.is_some()));
        let without = results_without_projection();
        assert_ne!(drawn(&with, draw), drawn(&without, draw));
        // The x axis reaches the end of the curves only when there are curves.
        assert_eq!(x_range(&without), budget_range(&without));
        assert!(x_range(&with).end >= 1000.0);
    }

    #[test]
    fn solid_and_dashed_parts_meet_at_the_largest_budget() {
        let curve = [(1.0, 0.1), (10.0, 0.5), (100.0, 0.7)];
        let (within, beyond) = split_at(&curve, 31.622776601683793);
        assert_eq!(within[..2], curve[..2]);
        assert_eq!(beyond[1..], curve[2..]);
        // Halfway in log labels between 10 and 100: halfway between 0.5 and 0.7.
        let joint = *within.last().unwrap();
        assert_eq!(joint, beyond[0]);
        assert!((joint.1 - 0.6).abs() < 1e-12, "{joint:?}");
        // On a grid point: no duplicate within; nothing beyond the end.
        assert_eq!(split_at(&curve, 10.0).0, curve[..2]);
        assert_eq!(split_at(&curve, 100.0), (curve.to_vec(), vec![]));
    }
}
