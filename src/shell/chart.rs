//! Bar charts as inline SVG (no JavaScript, printable): one bar per option, its length the
//! option's share of a base, with the threshold drawn as a line. Lengths are computed in
//! integer arithmetic; the decision is never read off a chart.

use crate::domain::tally::Threshold;

const WIDTH: i64 = 640;
const LABEL: i64 = 180;
const BAR: i64 = WIDTH - LABEL - 90;
const ROW: i64 = 40;

/// One bar: its label, its value and the text shown after it.
pub struct Bar {
    pub label: String,
    pub part: i64,
    pub shown: String,
    pub passes: bool,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Bars of `part / base`, with the threshold's line, titled `title`; `line_label` names the
/// threshold (e.g. "过半数 1/2").
pub fn bars(
    title: &str,
    bars: &[Bar],
    base: i64,
    threshold: &Threshold,
    line_label: &str,
) -> String {
    let height = ROW * bars.len() as i64 + 56;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" aria-label=\"{t}\"><title>{t}</title>",
        t = esc(title)
    );
    let scale = |part: i64| -> i64 {
        if base <= 0 {
            0
        } else {
            (i128::from(part.clamp(0, base)) * i128::from(BAR) / i128::from(base)) as i64
        }
    };
    for (i, b) in bars.iter().enumerate() {
        let y = 16 + ROW * i as i64;
        let w = scale(b.part);
        let class = if b.passes { "bar pass" } else { "bar" };
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"label\">{label}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{BAR}\" height=\"24\" class=\"track\"/>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"24\" class=\"{class}\"/>\
             <text x=\"{vx}\" y=\"{ty}\" class=\"value\">{shown}</text>",
            lx = LABEL - 8,
            ty = y + 18,
            vx = LABEL + BAR + 6,
            label = esc(&b.label),
            shown = esc(&b.shown),
        ));
    }
    if threshold.den > 0 {
        let x = LABEL + i64::from(threshold.num) * BAR / i64::from(threshold.den);
        let bottom = 16 + ROW * bars.len() as i64;
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"8\" x2=\"{x}\" y2=\"{bottom}\" class=\"threshold\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" class=\"threshold-label\">{l}</text>",
            ty = bottom + 20,
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
            "width=\"{}\" height=\"24\" class=\"bar\"",
            BAR / 2
        )));
        assert!(svg.contains(&format!("width=\"{BAR}\" height=\"24\" class=\"bar pass\"")));
        let x = LABEL + BAR / 2;
        assert!(svg.contains(&format!("x1=\"{x}\"")));
    }

    #[test]
    fn an_empty_base_draws_empty_bars() {
        let svg = bars(
            "t",
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
        assert!(svg.contains("width=\"0\" height=\"24\" class=\"bar\""));
    }
}
