//! Bar charts as inline SVG (no JavaScript, printable): one bar per option, its length the
//! option's share of a base, with the threshold drawn as a line. Lengths are computed in
//! integer arithmetic; the decision is never read off a chart.

use crate::domain::tally::Threshold;

const WIDTH: i64 = 640;
const LABEL: i64 = 170;
const BAR: i64 = WIDTH - LABEL - 150;
const ROW: i64 = 44;
/// Room for the caption above the bars.
const TOP: i64 = 40;

/// One bar: its label, its value and the text shown after it.
pub struct Bar {
    pub label: String,
    pub part: i64,
    pub shown: String,
    pub passes: bool,
}

fn esc(s: &str) -> String {
    tera::escape_html(s)
}

/// Bars of `part / base`, with the threshold's line; `title` names the chart for screen
/// readers, `caption` is written above it, `line_label` names the threshold (e.g. "> 1/2").
pub fn bars(
    title: &str,
    caption: &str,
    bars: &[Bar],
    base: i64,
    threshold: &Threshold,
    line_label: &str,
) -> String {
    let height = TOP + ROW * bars.len() as i64 + 36;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"0\" y=\"26\" class=\"caption\">{c}</text>",
        t = esc(title),
        c = esc(caption),
    );
    let scale = |part: i64| -> i64 {
        if base <= 0 {
            0
        } else {
            (i128::from(part.clamp(0, base)) * i128::from(BAR) / i128::from(base)) as i64
        }
    };
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW * i as i64;
        let w = scale(b.part);
        let class = if b.passes { "bar pass" } else { "bar" };
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"label\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{BAR}\" height=\"30\" class=\"track\"/>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"30\" class=\"{class}\"/>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"value\">{shown}</text>",
            lx = LABEL - 8,
            ty = y + 23,
            vx = LABEL + BAR + 6,
            label = esc(&b.label),
            shown = esc(&b.shown),
        ));
    }
    if threshold.den > 0 {
        let x = LABEL + i64::from(threshold.num) * BAR / i64::from(threshold.den);
        let bottom = TOP + ROW * bars.len() as i64;
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{bottom}\" class=\"threshold\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" class=\"threshold-label\">{l}</text>",
            y1 = TOP - 6,
            ty = bottom + 24,
            l = esc(line_label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_exactly_and_escape_labels() {
        let svg = bars(
            "<script>",
            "c",
            &[
                Bar {
                    label: "甲 & <b>".into(),
                    part: 50,
                    shown: "50".into(),
                    passes: false,
                },
                Bar {
                    label: "乙".into(),
                    part: 100,
                    shown: "100".into(),
                    passes: true,
                },
            ],
            100,
            &Threshold::more_than(1, 2),
            "1/2",
        );
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("甲 &amp; &lt;b&gt;"));
        assert!(svg.contains(&format!(
            "width=\"{}\" height=\"30\" class=\"bar\"",
            BAR / 2
        )));
        assert!(svg.contains(&format!("width=\"{BAR}\" height=\"30\" class=\"bar pass\"")));
        let x = LABEL + BAR / 2;
        assert!(svg.contains(&format!("x1=\"{x}\"")));
    }

    #[test]
    fn an_empty_base_draws_empty_bars() {
        let svg = bars(
            "t",
            "c",
            &[Bar {
                label: "a".into(),
                part: 5,
                shown: "5".into(),
                passes: false,
            }],
            0,
            &Threshold::at_least(3, 4),
            "3/4",
        );
        assert!(svg.contains("width=\"0\" height=\"30\" class=\"bar\""));
    }
}
