//! Mean test accuracy against total cost for every cell, with the Pareto front.

use super::*;

pub(super) fn draw(r: &Results, area: &Area) -> DrawResult {
    let area = titled(area, "Accuracy against total cost per task; dashed: the Pareto front")?;
    let cells: Vec<(Strategy, usize, f64, f64)> = r
        .aggregates
        .iter()
        .filter_map(|a| Some((a.strategy, a.budget_per_class, a.total_usd?.mean, a.test_accuracy?.mean)))
        .filter(|c| c.2 > 0.0)
        .collect();
    let (lo, hi) = log_range(cells.iter().map(|c| c.2));
    let mut chart = ChartBuilder::on(&area)
        .margin(MARGIN_PX)
        .x_label_area_size(60)
        .y_label_area_size(85)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1f64)?;
    chart
        .configure_mesh()
        .x_desc("total cost per task, USD (log scale)")
        .x_labels(6)
        .y_desc("mean test accuracy")
        .x_label_formatter(&|v| crate::report::format::usd(*v))
        .y_label_formatter(&pct_label)
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, AXIS_PX))
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        pareto_front(&cells),
        8,
        5,
        BLACK.mix(0.7).stroke_width(2),
    ))?;
    for &s in &r.suite.train.strategies {
        let colour = strategy_colour(s);
        chart
            .draw_series(
                cells
                    .iter()
                    .filter(|c| c.0 == s)
                    .map(|c| Circle::new((c.2, c.3), 7, colour.filled())),
            )?
            .label(s.name())
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, colour.filled()));
        chart.draw_series(
            cells
                .iter()
                .filter(|c| c.0 == s)
                .map(|c| Text::new(format!("{}", c.1), (c.2 * 1.04, c.3 - 0.035), (FAMILY, 15))),
        )?;
    }
    target_line(&mut chart, (lo, hi), r.suite.target_accuracy)?;
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The cells no other cell beats on both cost and accuracy, cheapest first.
pub(crate) fn pareto_front(cells: &[(Strategy, usize, f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = cells.iter().map(|c| (c.2, c.3)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|last| p.1 > last.1) {
            front.push(p);
        }
    }
    front
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_keeps_only_undominated_cells() {
        let s = Strategy::Scratch;
        let cells = [
            (s, 1, 1.0, 0.5),
            (s, 2, 2.0, 0.4),
            (s, 3, 2.0, 0.7),
            (s, 4, 3.0, 0.7),
            (s, 5, 5.0, 0.9),
        ];
        // (2, 0.4) is beaten by (1, 0.5); (3, 0.7) by (2, 0.7).
        assert_eq!(pareto_front(&cells), vec![(1.0, 0.5), (2.0, 0.7), (5.0, 0.9)]);
    }
}
