//! Validation accuracy against wall-clock seconds, every run, at three budgets.

use super::*;

/// The smallest, a middle and the largest budget of the sweep (fewer if it has fewer).
fn selected_budgets(r: &Results) -> Vec<usize> {
    let mut b = r.suite.train.budgets_per_class.clone();
    b.sort_unstable();
    b.dedup();
    match b.len() {
        0..=3 => b,
        n => vec![b[0], b[n / 2], b[n - 1]],
    }
}

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(area, "Validation accuracy over wall-clock time, every run")?;
    let budgets = selected_budgets(r);
    let panels = area.split_evenly((1, budgets.len().max(1)));
    for (i, (panel, &budget)) in panels.iter().zip(&budgets).enumerate() {
        let runs: Vec<_> = r
            .runs
            .iter()
            .map(|priced| &priced.run)
            .filter(|run| run.budget_per_class == budget)
            .filter_map(|run| Some((run.strategy, run.metrics.as_ref()?)))
            .collect();
        let x_max = runs
            .iter()
            .flat_map(|(_, m)| m.curve.iter().map(|p| p.elapsed_s))
            .fold(0.1, f64::max)
            * 1.05;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{budget} labels per class"), (FAMILY, AXIS_PX))
            .margin(MARGIN_PX)
            .x_label_area_size(55)
            .y_label_area_size(if i == 0 { 75 } else { 50 })
            .build_cartesian_2d(0f64..x_max, 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc("seconds since the run started")
            .y_desc(if i == 0 { "validation accuracy" } else { "" })
            .y_label_formatter(&pct_label)
            .x_labels(5)
            .label_style((FAMILY, LABEL_PX))
            .axis_desc_style((FAMILY, AXIS_PX))
            .draw()?;
        for &strategy in &r.suite.train.strategies {
            let colour = strategy_colour(strategy);
            for (k, (_, m)) in runs.iter().filter(|(s, _)| *s == strategy).enumerate() {
                let points: Vec<(f64, f64)> = m.curve.iter().map(|p| (p.elapsed_s, p.val_accuracy)).collect();
                let series = chart.draw_series(LineSeries::new(points, colour.mix(0.85).stroke_width(2)))?;
                if k == 0 {
                    series
                        .label(strategy.name())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(LINE_W)));
                }
            }
        }
        target_line(&mut chart, (0.0, x_max), r.suite.target_accuracy)?;
        if i == 0 {
            legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
    }
    Ok(())
}
