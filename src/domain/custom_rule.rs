//! A custom counting rule as submitted, built from the same parts as the presets: a
//! participation and a pass threshold on area (or not counted) and on headcount, each a
//! fraction compared inclusively (以上) or strictly (过半数), and the provision it follows.

use serde::{Deserialize, Serialize};

use super::ballot::{check_text, invalid, Invalid};
use super::tally::{Dual, Rule, Threshold};

/// The longest citation accepted.
pub const MAX_CITATION_CHARS: usize = 2_000;

/// The parts of a custom rule (`counting_rule` = `custom`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomRuleInput {
    /// Against the whole electorate: `{"area": {"num","den","strict"} | null,
    /// "headcount": {"num","den","strict"}}`; `area` null where area does not count.
    #[schema(value_type = Object)]
    pub participation: Dual,
    /// Against those who took part, same shape.
    #[schema(value_type = Object)]
    pub pass: Dual,
    /// The provision or decision the rule follows, quoted; carried into the manifest, the
    /// tally record and the result pages.
    pub citation: String,
}

/// Whether a threshold can be reached and is not trivially met: `0 < num <= den`, and a
/// strict comparison below the whole (`> 1/1` could never be met).
pub fn threshold_ok(t: &Threshold) -> bool {
    t.den > 0 && t.num > 0 && t.num <= t.den && !(t.strict && t.num == t.den)
}

/// Check the parts; on success the rule as it will be fixed in the manifest.
pub fn validate(input: &CustomRuleInput, problems: &mut Vec<Invalid>) -> Option<Rule> {
    let before = problems.len();
    for (name, dual) in [
        ("participation", &input.participation),
        ("pass", &input.pass),
    ] {
        if let Some(area) = &dual.area {
            if !threshold_ok(area) {
                problems.push(invalid(
                    format!("custom_rule.{name}.area"),
                    "ballot-error-custom-threshold",
                ));
            }
        }
        if !threshold_ok(&dual.headcount) {
            problems.push(invalid(
                format!("custom_rule.{name}.headcount"),
                "ballot-error-custom-threshold",
            ));
        }
    }
    let citation = check_text(
        problems,
        "custom_rule.citation",
        &input.citation,
        MAX_CITATION_CHARS,
        true,
    );
    (problems.len() == before).then(|| Rule::custom(input.participation, input.pass, &citation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CustomRuleInput {
        CustomRuleInput {
            participation: Dual {
                area: Some(Threshold::at_least(1, 2)),
                headcount: Threshold::at_least(1, 2),
            },
            pass: Dual {
                area: None,
                headcount: Threshold::at_least(2, 3),
            },
            citation: " 本小区议事规则第五条 ".into(),
        }
    }

    #[test]
    fn a_sound_rule_is_taken_as_given() {
        let mut p = Vec::new();
        let rule = validate(&input(), &mut p).expect("valid");
        assert!(p.is_empty());
        assert_eq!(rule.participation, input().participation);
        assert_eq!(rule.pass, input().pass);
        assert_eq!(rule.citation, "本小区议事规则第五条");
        assert_eq!(rule.id, crate::domain::ballot::CountingRule::Custom);
    }

    #[test]
    fn thresholds_outside_the_unit_interval_are_named() {
        let mut i = input();
        i.participation.area = Some(Threshold::at_least(0, 3));
        i.participation.headcount = Threshold::at_least(4, 3);
        i.pass.headcount = Threshold::more_than(1, 1);
        i.pass.area = Some(Threshold::at_least(1, 0));
        i.citation = "  ".into();
        let mut p = Vec::new();
        assert!(validate(&i, &mut p).is_none());
        let fields: Vec<&str> = p.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "custom_rule.participation.area",
                "custom_rule.participation.headcount",
                "custom_rule.pass.area",
                "custom_rule.pass.headcount",
                "custom_rule.citation",
            ]
        );
    }

    #[test]
    fn the_whole_is_reachable_inclusively_only() {
        assert!(threshold_ok(&Threshold::at_least(1, 1)));
        assert!(!threshold_ok(&Threshold::more_than(1, 1)));
        assert!(threshold_ok(&Threshold::more_than(1, 2)));
    }
}
