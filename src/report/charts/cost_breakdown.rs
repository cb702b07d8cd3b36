//! What each strategy's cheapest way to the target costs, by component.

use super::*;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(
        area,
        "Cost per task at each strategy's smallest budget reaching the target",
    )?;
    let cells: Vec<_> = r
        .labels_to_target
        .iter()
        .filter_map(|l| {
            let b = l.crossing.first_budget()?;
            r.aggregates
                .iter()
                .find(|a| a.strategy == l.strategy && a.budget_per_class == b)
        })
        .filter(|a| a.total_usd.is_some())
        .collect();
    let mean = |s: &Option<crate::analysis::Summary>| s.map_or(0.0, |s| s.mean);
    let x_max = cells.iter().map(|a| mean(&a.total_usd)).fold(0.01, f64::max) * 1.45;
    let n = cells.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN_PX)
        .x_label_area_size(60)
        .y_label_area_size(20)
        .build_cartesian_2d(0f64..x_max, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("USD per task")
        .x_label_formatter(&|v| crate::report::format::usd(*v))
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, AXIS_PX))
        .draw()?;
    if cells.is_empty() {
        chart.draw_series(std::iter::once(Text::new(
            "No strategy reaches the target within the sweep",
            (x_max * 0.05, n / 2.0),
            (FAMILY, AXIS_PX),
        )))?;
        return Ok(());
    }
    for (name, colour) in [
        ("compute", COMPUTE),
        ("labels", LABELS),
        ("model fees + pretraining", MODEL),
    ] {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 18, y + 7)], colour.filled()));
    }
    for (i, a) in cells.iter().enumerate() {
        let y = n - 1.0 - i as f64;
        let parts = [
            (mean(&a.compute_usd), COMPUTE),
            (mean(&a.labels_usd), LABELS),
            (mean(&a.model_usd) + mean(&a.pretraining_usd), MODEL),
        ];
        let mut start = 0.0;
        for (v, colour) in parts {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y + 0.15), (start + v, y + 0.6)],
                colour.filled(),
            )))?;
            start += v;
        }
        chart.draw_series(std::iter::once(Text::new(
            format!(
                "{}: {} labels per class, {} ({} compute)",
                a.strategy,
                a.budget_per_class,
                crate::report::format::usd(mean(&a.total_usd)),
                crate::report::format::usd(mean(&a.compute_usd))
            ),
            (0.0, y + 0.9),
            (FAMILY, LABEL_PX).into_font().color(&strategy_colour(a.strategy)),
        )))?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}
