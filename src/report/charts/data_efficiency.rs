//! Test accuracy against labelled examples (log scale), with 95% CI bands and the target.

use super::*;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(area, "Test accuracy by label budget (mean and 95% CI over seeds)")?;
    let x = budget_range(r);
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
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}
