//! Counting rules as data, and the count itself, in exact integer arithmetic.
//!
//! A rule has a participation threshold (against the whole electorate) and a pass threshold
//! (against those who took part), each on area and on headcount. A threshold is a fraction
//! with an inclusive or a strict comparison: Chinese law's 以上 includes the number itself
//! (Civil Code Art. 1259), 过半数 means strictly more than half.
//! Abstentions count as participation, never as approval.

use serde::{Deserialize, Serialize};

use super::area::AreaCenti;
use super::ballot::{Answer, CountingRule, Question, QuestionKind};

/// `num/den` of a base, compared inclusively (`>=`, 以上) or strictly (`>`, 过半数).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub num: u32,
    pub den: u32,
    pub strict: bool,
}

impl Threshold {
    pub const fn at_least(num: u32, den: u32) -> Self {
        Self {
            num,
            den,
            strict: false,
        }
    }
    pub const fn more_than(num: u32, den: u32) -> Self {
        Self {
            num,
            den,
            strict: true,
        }
    }

    /// Whether `part` of `base` meets the threshold. An empty base meets nothing: with no one
    /// to count, no share can be reached.
    pub fn met(&self, part: i64, base: i64) -> bool {
        if base <= 0 || part < 0 || self.den == 0 {
            return false;
        }
        let lhs = i128::from(part) * i128::from(self.den);
        let rhs = i128::from(base) * i128::from(self.num);
        if self.strict {
            lhs > rhs
        } else {
            lhs >= rhs
        }
    }
}

/// Thresholds on both counts; `area` is `None` where only heads count (residents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dual {
    pub area: Option<Threshold>,
    pub headcount: Threshold,
}

impl Dual {
    pub fn met(&self, part: Weights, base: Weights) -> bool {
        self.check(part, base).met
    }

    /// Each count's comparison, and both together.
    pub fn check(&self, part: Weights, base: Weights) -> Check {
        let area_met = self.area.map(|t| t.met(part.area_centi, base.area_centi));
        let headcount_met = self.headcount.met(part.headcount, base.headcount);
        Check {
            area_met,
            headcount_met,
            met: area_met.unwrap_or(true) && headcount_met,
        }
    }
}

/// The result of a [`Dual`] comparison: per count (`area_met` is `None` where area does not
/// count), and whether both were met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub area_met: Option<bool>,
    pub headcount_met: bool,
    pub met: bool,
}

/// A counting rule with the text it follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: CountingRule,
    pub participation: Dual,
    pub pass: Dual,
    /// The provision, quoted (zh-CN).
    pub citation: String,
}

const ART_278: &str = "《中华人民共和国民法典》第二百七十八条第二款：业主共同决定事项，应当由专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决。";
const ART_278_SPECIAL: &str = "决定前款第六项至第八项规定的事项，应当经参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意。";
const ART_278_ORDINARY: &str =
    "决定前款其他事项，应当经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意。";
const ART_12: &str = "《中华人民共和国城市居民委员会组织法》第十二条：居民会议必须有全体十八周岁以上的居民、户的代表或者居民小组选举的代表的过半数出席，才能举行。会议的决定，由出席人的过半数通过。";

impl Rule {
    /// The preset for a counting rule. `Custom` starts from the ordinary thresholds; use
    /// [`Rule::custom`] to set its parts.
    pub fn preset(id: CountingRule) -> Rule {
        let two_thirds = Dual {
            area: Some(Threshold::at_least(2, 3)),
            headcount: Threshold::at_least(2, 3),
        };
        match id {
            CountingRule::Ordinary | CountingRule::Custom => Rule {
                id,
                participation: two_thirds,
                pass: Dual {
                    area: Some(Threshold::more_than(1, 2)),
                    headcount: Threshold::more_than(1, 2),
                },
                citation: format!("{ART_278}{ART_278_ORDINARY}"),
            },
            CountingRule::Special => Rule {
                id,
                participation: two_thirds,
                pass: Dual {
                    area: Some(Threshold::at_least(3, 4)),
                    headcount: Threshold::at_least(3, 4),
                },
                citation: format!("{ART_278}{ART_278_SPECIAL}"),
            },
            CountingRule::ConventionMajority => Rule {
                id,
                participation: Dual {
                    area: None,
                    headcount: Threshold::more_than(1, 2),
                },
                pass: Dual {
                    area: None,
                    headcount: Threshold::more_than(1, 2),
                },
                citation: ART_12.to_owned(),
            },
        }
    }

    pub fn custom(participation: Dual, pass: Dual, citation: &str) -> Rule {
        Rule {
            id: CountingRule::Custom,
            participation,
            pass,
            citation: citation.to_owned(),
        }
    }
}

/// Area (hundredths of m²) and headcount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    pub area_centi: AreaCenti,
    pub headcount: i64,
}

impl std::ops::AddAssign for Weights {
    fn add_assign(&mut self, o: Weights) {
        self.area_centi += o.area_centi;
        self.headcount += o.headcount;
    }
}

/// One effective ballot: its voter's weights and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted<'a> {
    pub weights: Weights,
    pub answers: &'a [Answer],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionCount {
    pub option: String,
    pub approving: Weights,
    /// The pass threshold against the participating weights, per count.
    pub area_met: Option<bool>,
    pub headcount_met: bool,
    /// Whether the approving weights meet the pass threshold on both counts.
    pub passes: bool,
}

/// What a question decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The participation threshold was not met: nothing is decided.
    NoQuorum,
    /// Yes/no: whether "agree" passed.
    Decided { adopted: bool },
    /// Single choice or election: the options chosen, in rank order.
    Chosen { options: Vec<String> },
    /// More options qualify than seats remain, and the last seats cannot be told apart by
    /// approving headcount, then approving area: a run-off is needed among `tied` for
    /// `seats` seats, after `chosen`.
    RunOff {
        chosen: Vec<String>,
        tied: Vec<String>,
        seats: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionTally {
    pub question: String,
    pub options: Vec<OptionCount>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub electorate: Weights,
    pub participation: Weights,
    /// The participation threshold against the electorate, per count.
    pub participation_area_met: Option<bool>,
    pub participation_headcount_met: bool,
    pub participation_met: bool,
    pub ballots: usize,
    pub questions: Vec<QuestionTally>,
}

/// Count the effective ballots under a rule.
pub fn tally(
    questions: &[Question],
    rule: &Rule,
    electorate: Weights,
    ballots: &[Counted<'_>],
) -> Tally {
    let mut participation = Weights::default();
    let mut approving: Vec<Vec<Weights>> = questions
        .iter()
        .map(|q| vec![Weights::default(); q.options.len()])
        .collect();
    for b in ballots {
        participation += b.weights;
        for (q, slots) in questions.iter().zip(approving.iter_mut()) {
            for a in b.answers.iter().filter(|a| a.question == q.id) {
                for c in &a.choices {
                    if let Some(i) = q.options.iter().position(|o| &o.id == c) {
                        slots[i] += b.weights;
                    }
                }
            }
        }
    }
    evaluate(
        questions,
        rule,
        electorate,
        participation,
        ballots.len(),
        &approving,
    )
}

/// Apply a rule to counted weights: `approving[q][o]` is the weight approving option `o` of
/// question `q`, summed over the effective ballots.
pub fn evaluate(
    questions: &[Question],
    rule: &Rule,
    electorate: Weights,
    participation: Weights,
    ballots: usize,
    approving: &[Vec<Weights>],
) -> Tally {
    let took_part = rule.participation.check(participation, electorate);
    let questions = questions
        .iter()
        .zip(approving)
        .map(|(q, slots)| {
            let options: Vec<OptionCount> = q
                .options
                .iter()
                .zip(slots)
                .map(|(o, &approving)| {
                    let pass = rule.pass.check(approving, participation);
                    OptionCount {
                        option: o.id.clone(),
                        approving,
                        area_met: pass.area_met,
                        headcount_met: pass.headcount_met,
                        passes: pass.met,
                    }
                })
                .collect();
            let outcome = if !took_part.met {
                Outcome::NoQuorum
            } else {
                match q.kind {
                    QuestionKind::YesNo => Outcome::Decided {
                        adopted: options.iter().any(|o| o.option == "agree" && o.passes),
                    },
                    QuestionKind::Single => elect(&options, 1),
                    QuestionKind::Approval => {
                        elect(&options, usize::try_from(q.max_choices).unwrap_or(0))
                    }
                }
            };
            QuestionTally {
                question: q.id.clone(),
                options,
                outcome,
            }
        })
        .collect();
    Tally {
        electorate,
        participation,
        participation_area_met: took_part.area_met,
        participation_headcount_met: took_part.headcount_met,
        participation_met: took_part.met,
        ballots,
        questions,
    }
}

/// Fill `seats` from the options that pass, ranked by approving headcount, then area. A tie
/// across the last seat is never broken by chance or order: it is reported as a run-off.
fn elect(options: &[OptionCount], seats: usize) -> Outcome {
    if seats == 0 {
        return Outcome::Chosen {
            options: Vec::new(),
        };
    }
    let mut qualified: Vec<&OptionCount> = options.iter().filter(|o| o.passes).collect();
    let key = |o: &OptionCount| (o.approving.headcount, o.approving.area_centi);
    qualified.sort_by_key(|o| std::cmp::Reverse(key(o)));
    if qualified.len() <= seats {
        return Outcome::Chosen {
            options: qualified.iter().map(|o| o.option.clone()).collect(),
        };
    }
    // The rank of the last seat, and everyone equal to it.
    let boundary = key(qualified[seats - 1]);
    if key(qualified[seats]) == boundary {
        let chosen: Vec<String> = qualified
            .iter()
            .take_while(|o| key(o) > boundary)
            .map(|o| o.option.clone())
            .collect();
        let tied: Vec<String> = qualified
            .iter()
            .filter(|o| key(o) == boundary)
            .map(|o| o.option.clone())
            .collect();
        return Outcome::RunOff {
            seats: seats - chosen.len(),
            chosen,
            tied,
        };
    }
    Outcome::Chosen {
        options: qualified[..seats]
            .iter()
            .map(|o| o.option.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests;
