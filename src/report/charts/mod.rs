//! The report's charts: one file per chart, each a PNG drawn with plotters.
//!
//! Sizes, fonts and colours live here, so every chart looks alike and a
//! strategy has the same colour everywhere. Text is drawn with DejaVu Sans,
//! embedded in the binary (`font/`, with its licence), because a user's
//! machine may have no fonts at all.

mod cost_breakdown;
mod data_efficiency;
#[cfg(test)]
mod fixture;
mod learning_curves;
mod memory_params;
mod pareto;
mod sensitivity;
mod time_cost_to_target;

use crate::analysis::Results;
use crate::train::Strategy;
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::OnceLock;

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 700;
/// Font family name the charts use (registered from the embedded font).
const FAMILY: &str = "sans-serif";
/// DejaVu Sans 2.37 (Debian fonts-dejavu-core), under the licence in `font/LICENSE-DejaVu.txt`.
const FONT: &[u8] = include_bytes!("font/DejaVuSans.ttf");
/// Title size, pixels.
const TITLE_PX: u32 = 30;
/// Axis description size, pixels.
const AXIS_PX: u32 = 22;
/// Tick label and legend size, pixels.
const LABEL_PX: u32 = 19;
/// Margin around a plot, pixels.
const MARGIN_PX: u32 = 18;
/// Line width of series.
const LINE_W: u32 = 3;

/// A strategy's colour, the same in every chart and in the HTML page.
pub fn strategy_colour(s: Strategy) -> RGBColor {
    match s {
        Strategy::Scratch => RGBColor(0x4c, 0x72, 0xb0),
        Strategy::Finetune => RGBColor(0xdd, 0x84, 0x52),
        Strategy::Probe => RGBColor(0x55, 0xa8, 0x68),
        Strategy::Baseline => RGBColor(0x7f, 0x7f, 0x7f),
    }
}

/// A strategy's colour as CSS, for the HTML page.
pub fn strategy_css(s: Strategy) -> String {
    let RGBColor(r, g, b) = strategy_colour(s);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Colours of the cost components.
const COMPUTE: RGBColor = RGBColor(0x81, 0x72, 0xb3);
const LABELS: RGBColor = RGBColor(0xc4, 0x4e, 0x52);
const MODEL: RGBColor = RGBColor(0x93, 0x78, 0x60);
/// Colour of the target line.
const TARGET: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// One rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name under `charts/`.
    pub file_name: &'static str,
    /// What it shows, for the page's heading and the image's alt text.
    pub title: &'static str,
    /// The PNG file.
    pub png: Vec<u8>,
}

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// A chart with a log-scale x axis and a linear y axis.
type LogPlot<'a> =
    ChartContext<'a, BitMapBackend<'a>, Cartesian2d<LogCoord<f64>, plotters::coord::types::RangedCoordf64>>;
/// A chart's file name, title, and the function that draws it.
type ChartSpec = (&'static str, &'static str, fn(&Results, &Area) -> DrawResult);

/// Renders every chart of the report.
pub fn render_all(r: &Results) -> Result<Vec<Chart>> {
    register_font()?;
    let charts: [ChartSpec; 7] = [
        (
            "learning_curves.png",
            "Learning curves: validation accuracy against wall-clock time",
            learning_curves::draw,
        ),
        (
            "data_efficiency.png",
            "Data efficiency: test accuracy against labelled examples",
            data_efficiency::draw,
        ),
        (
            "time_cost_to_target.png",
            "Time and cost by strategy and label budget",
            time_cost_to_target::draw,
        ),
        (
            "memory_params.png",
            "Peak memory and trainable parameters",
            memory_params::draw,
        ),
        (
            "cost_breakdown.png",
            "Cost breakdown at each strategy's cost-to-target",
            cost_breakdown::draw,
        ),
        (
            "pareto.png",
            "Accuracy against total cost, with the Pareto front",
            pareto::draw,
        ),
        (
            "sensitivity.png",
            "What would change the winner: break-even value of each cost assumption",
            sensitivity::draw,
        ),
    ];
    charts
        .into_iter()
        .map(|(file_name, title, draw)| {
            Ok(Chart {
                file_name,
                title,
                png: render(|area| draw(r, area)).map_err(|e| Error::Report(format!("chart {file_name}: {e}")))?,
            })
        })
        .collect()
}

/// Registers the embedded font once per process.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the embedded chart font could not be loaded".to_string())
        })
        .clone()
        .map_err(Error::Report)
}

/// Draws on a white canvas and encodes it as PNG.
fn render(draw: impl FnOnce(&Area) -> DrawResult) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(png)
}

/// A title above `area`, returning the area below it.
fn titled<'a>(area: &Area<'a>, title: &str) -> std::result::Result<Area<'a>, Box<dyn std::error::Error>> {
    Ok(area.titled(title, (FAMILY, TITLE_PX))?)
}

/// The budgets of the sweep as a log-scale x range with some room at both ends.
fn budget_range(r: &Results) -> std::ops::Range<f64> {
    let b = &r.suite.train.budgets_per_class;
    let lo = *b.iter().min().unwrap_or(&1) as f64;
    let hi = *b.iter().max().unwrap_or(&10) as f64;
    (lo / 1.3)..(hi * 1.3)
}

/// A log-scale axis range around positive `values`, with room at both ends.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo.is_finite() && hi > 0.0 {
        (lo / 1.5, hi * 1.5)
    } else {
        (0.01, 1.0)
    }
}

/// Tick labels for labels per class: plain integers.
fn int_label(v: &f64) -> String {
    format!("{v:.0}")
}

/// Tick labels for a 0-1 accuracy.
fn pct_label(v: &f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// A horizontal dashed line at the target accuracy.
fn target_line<'a, X: plotters::coord::ranged1d::Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x: (f64, f64),
    target: f64,
) -> DrawResult {
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x.0, target), (x.1, target)],
            10,
            6,
            TARGET.stroke_width(2),
        ))?
        .label(format!("target {}", crate::report::format::pct(target)))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], TARGET.stroke_width(2)));
    Ok(())
}

/// One strategy's line with point markers, labelled for the legend.
fn strategy_line<'a, X, Y>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>,
    strategy: Strategy,
    points: Vec<(f64, f64)>,
) -> DrawResult
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let colour = strategy_colour(strategy);
    chart
        .draw_series(LineSeries::new(points.clone(), colour.stroke_width(LINE_W)))?
        .label(strategy.name())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(LINE_W)));
    chart.draw_series(points.into_iter().map(|p| Circle::new(p, 5, colour.filled())))?;
    Ok(())
}

/// A panel of one per-cell figure against the label budget (log x), a line per strategy.
fn budget_panel(
    r: &Results,
    area: &Area,
    caption: &str,
    y_desc: &str,
    legend_at: SeriesLabelPosition,
    figure: impl Fn(&crate::analysis::Aggregate) -> Option<f64>,
) -> DrawResult {
    let points: Vec<(Strategy, f64, f64)> = r
        .aggregates
        .iter()
        .filter_map(|a| Some((a.strategy, a.budget_per_class as f64, figure(a)?)))
        .collect();
    let y_max = points.iter().map(|p| p.2).fold(0.1, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FAMILY, AXIS_PX))
        .margin(MARGIN_PX)
        .x_label_area_size(55)
        .y_label_area_size(70)
        .build_cartesian_2d(budget_range(r).log_scale(), 0f64..y_max)?;
    chart
        .configure_mesh()
        .x_desc("labels per class (log)")
        .y_desc(y_desc)
        .x_label_formatter(&int_label)
        .y_label_formatter(&|v| crate::report::format::sig3(*v))
        .label_style((FAMILY, LABEL_PX))
        .axis_desc_style((FAMILY, LABEL_PX))
        .draw()?;
    for &s in &r.suite.train.strategies {
        strategy_line(
            &mut chart,
            s,
            points.iter().filter(|p| p.0 == s).map(|p| (p.1, p.2)).collect(),
        )?;
    }
    legend(&mut chart, legend_at)
}

/// Draws a series' legend box in a corner.
fn legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FAMILY, LABEL_PX))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_differ_and_match_css() {
        let c: Vec<String> = Strategy::ALL.iter().map(|&s| strategy_css(s)).collect();
        assert_eq!(c[0], "#4c72b0");
        let mut unique = c.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), c.len());
    }
}
