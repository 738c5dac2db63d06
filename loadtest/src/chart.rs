//! An SVG chart of the run over time: bids accepted and deliveries per second, and p99
//! bid→accepted and bid→broadcast latency, drawn by hand (no plotting crate).

use std::fmt::Write as _;

use crate::report::Report;

const WIDTH: f64 = 900.0;
const PANEL_HEIGHT: f64 = 220.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 40.0;
const GAP: f64 = 60.0;

/// A line to draw: its label, colour, and value per second (`None` where there is none).
struct Line<'a> {
    label: &'a str,
    colour: &'a str,
    values: Vec<Option<f64>>,
}

pub fn svg(report: &Report) -> String {
    let series = &report.series;
    let throughput = [
        Line {
            label: "accepted bids/s",
            colour: "#1f77b4",
            values: series
                .iter()
                .map(|second| Some(second.counts.accepted as f64))
                .collect(),
        },
        Line {
            label: "deliveries/s ÷ 100",
            colour: "#2ca02c",
            values: series
                .iter()
                .map(|second| Some(second.counts.deliveries as f64 / 100.0))
                .collect(),
        },
    ];
    let latency = [
        Line {
            label: "p99 bid→accepted (ms)",
            colour: "#d62728",
            values: series.iter().map(|second| second.accepted_p99_ms).collect(),
        },
        Line {
            label: "p50 bid→accepted (ms)",
            colour: "#ff7f0e",
            values: series.iter().map(|second| second.accepted_p50_ms).collect(),
        },
        Line {
            label: "p99 bid→broadcast (ms)",
            colour: "#9467bd",
            values: series
                .iter()
                .map(|second| second.broadcast_p99_ms)
                .collect(),
        },
    ];
    let height = MARGIN_TOP + 2.0 * PANEL_HEIGHT + GAP + 40.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let title = format!(
        "bidroom-loadtest {} ({:?}): {:.0} accepted bids/s",
        report.facts.scenario, report.facts.encoding, report.bids.accepted_per_sec
    );
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN_LEFT}" y="20" font-size="14">{}</text>"#,
        escape(&title)
    );
    let first_t = series.first().map_or(0, |second| second.t);
    panel(&mut out, MARGIN_TOP, "per second", &throughput, first_t);
    panel(
        &mut out,
        MARGIN_TOP + PANEL_HEIGHT + GAP,
        "milliseconds",
        &latency,
        first_t,
    );
    let _ = writeln!(out, "</svg>");
    out
}

fn panel(out: &mut String, top: f64, unit: &str, lines: &[Line<'_>], first_t: u64) {
    let plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    let points = lines
        .iter()
        .map(|line| line.values.len())
        .max()
        .unwrap_or(0);
    let highest = lines
        .iter()
        .flat_map(|line| line.values.iter().flatten())
        .fold(0.0_f64, |highest, value| highest.max(*value));
    let top_value = nice_ceiling(highest);
    let x = |index: usize| {
        MARGIN_LEFT + plot_width * index as f64 / (points.saturating_sub(1).max(1)) as f64
    };
    let y = |value: f64| top + PANEL_HEIGHT - PANEL_HEIGHT * value / top_value;
    let _ = writeln!(
        out,
        r##"<rect x="{MARGIN_LEFT}" y="{top}" width="{plot_width}" height="{PANEL_HEIGHT}" fill="none" stroke="#999"/>"##
    );
    for step in 0..=4 {
        let value = top_value * f64::from(step) / 4.0;
        let _ = writeln!(
            out,
            r##"<line x1="{MARGIN_LEFT}" x2="{right}" y1="{level:.1}" y2="{level:.1}" stroke="#eee"/><text x="{label_x}" y="{label_y:.1}" text-anchor="end">{label}</text>"##,
            right = MARGIN_LEFT + plot_width,
            level = y(value),
            label_x = MARGIN_LEFT - 6.0,
            label_y = y(value) + 4.0,
            label = format_value(value)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="12" y="{:.1}" transform="rotate(-90 12 {0:.1})" text-anchor="middle">{}</text>"#,
        top + PANEL_HEIGHT / 2.0,
        escape(unit)
    );
    if points > 0 {
        let step = (points / 10).max(1);
        for index in (0..points).step_by(step) {
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}s</text>"#,
                x(index),
                top + PANEL_HEIGHT + 16.0,
                first_t + index as u64
            );
        }
    }
    for (number, line) in lines.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (index, value) in line.values.iter().enumerate() {
            match value {
                Some(value) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{command}{:.1},{:.1} ", x(index), y(*value));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = writeln!(
            out,
            r#"<path d="{}" fill="none" stroke="{}" stroke-width="1.5"/>"#,
            path.trim_end(),
            line.colour
        );
        let legend_x = MARGIN_LEFT + 10.0 + number as f64 * 220.0;
        let _ = writeln!(
            out,
            r#"<rect x="{legend_x}" y="{:.1}" width="12" height="3" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            top - 10.0,
            line.colour,
            legend_x + 16.0,
            top - 6.0,
            escape(line.label)
        );
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value` (1 for nothing to show).
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|factor| factor * magnitude)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

fn format_value(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value >= 10.0 || value == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(48_000.0), 50_000.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
    }
}
