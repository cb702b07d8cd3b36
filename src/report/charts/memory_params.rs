//! Peak memory by budget, and trainable parameters by strategy.

use super::*;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(area, "Peak memory per run and trainable parameters")?;
    let panels = area.split_evenly((1, 2));
    let strategies = &r.suite.train.strategies;

    budget_panel(
        r,
        &panels[0],
        "peak RSS of the worker process, MiB",
        "MiB",
        SeriesLabelPosition::LowerRight,
        |a| Some(a.peak_rss_mib?.mean),
    )?;

    let params: Vec<(Strategy, f64)> = strategies
        .iter()
        .filter_map(|&s| {
            let p = r.aggregates.iter().find(|a| a.strategy == s)?.trainable_params?;
            Some((s, p as f64))
        })
        .collect();
    let total = r
        .runs
        .iter()
        .find_map(|priced| priced.run.metrics.as_ref().map(|m| m.total_params))
        .unwrap_or(0);
    let p_max = params.iter().map(|p| p.1).fold(1.0, f64::max) * 1.25;
    let mut right = ChartBuilder::on(&panels[1])
        .caption(
            format!("trainable parameters (of {total} in the network)"),
            (FAMILY, AXIS_PX),
        )
        .margin(MARGIN_PX)
        .x_label_area_size(20)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..params.len().max(1) as f64, 0f64..p_max)?;
    right
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("parameters")
        .y_label_formatter(&int_label)
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, LABEL_PX))
        .draw()?;
    for (i, &(s, p)) in params.iter().enumerate() {
        let x = i as f64;
        right.draw_series(std::iter::once(Rectangle::new(
            [(x + 0.2, 0.0), (x + 0.8, p)],
            strategy_colour(s).filled(),
        )))?;
        right.draw_series(std::iter::once(Text::new(
            format!("{s}: {p:.0}"),
            (x + 0.2, p + p_max * 0.03),
            (FAMILY, LABEL_PX),
        )))?;
    }
    Ok(())
}
