//! Time to the target (validation) and total cost per task, by strategy and budget.

use super::*;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(area, "Time to target and total cost per task, by label budget")?;
    let panels = area.split_evenly((1, 2));
    let x = budget_range(r);
    let strategies = &r.suite.train.strategies;

    // Left: seconds until validation accuracy first reached the target.
    budget_panel(
        r,
        &panels[0],
        &format!(
            "seconds to {} validation accuracy",
            crate::report::format::pct(r.suite.target_accuracy)
        ),
        "seconds (mean over runs that reached it)",
        SeriesLabelPosition::UpperRight,
        |a| Some(a.time_to_target_s?.mean),
    )?;

    // Right: total cost per task; filled where the mean test accuracy reaches the target.
    let costs: Vec<(Strategy, f64, f64, bool)> = r
        .aggregates
        .iter()
        .filter_map(|a| {
            let reached = a.test_accuracy?.mean >= r.suite.target_accuracy;
            Some((a.strategy, a.budget_per_class as f64, a.total_usd?.mean, reached))
        })
        .filter(|c| c.2 > 0.0)
        .collect();
    let (lo, hi) = log_range(costs.iter().map(|c| c.2));
    let mut right = ChartBuilder::on(&panels[1])
        .caption(
            "total cost per task, USD (filled: reaches the target)",
            (FAMILY, AXIS_PX),
        )
        .margin(MARGIN_PX)
        .x_label_area_size(55)
        .y_label_area_size(80)
        .build_cartesian_2d(x.log_scale(), (lo..hi).log_scale())?;
    right
        .configure_mesh()
        .x_desc("labels per class (log)")
        .y_desc("USD (log)")
        .y_labels(6)
        .x_label_formatter(&int_label)
        .y_label_formatter(&|v| crate::report::format::usd(*v))
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, LABEL_PX))
        .draw()?;
    for &s in strategies {
        let colour = strategy_colour(s);
        let cells: Vec<_> = costs.iter().filter(|c| c.0 == s).collect();
        right.draw_series(LineSeries::new(
            cells.iter().map(|c| (c.1, c.2)),
            colour.stroke_width(2),
        ))?;
        right.draw_series(cells.iter().map(|c| {
            let style = if c.3 { colour.filled() } else { colour.stroke_width(2) };
            Circle::new((c.1, c.2), 6, style)
        }))?;
    }
    Ok(())
}
