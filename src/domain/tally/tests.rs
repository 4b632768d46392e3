use proptest::prelude::*;

use super::*;
use crate::domain::ballot::{validate_questions, QuestionInput};

fn w(area_centi: i64, headcount: i64) -> Weights {
    Weights {
        area_centi,
        headcount,
    }
}

fn questions(max_choices: i64) -> Vec<Question> {
    validate_questions(&[
        QuestionInput {
            kind: "yes_no".into(),
            text: "加装电梯".into(),
            options: vec![],
            max_choices: None,
        },
        QuestionInput {
            kind: "approval".into(),
            text: "选举".into(),
            options: vec!["甲".into(), "乙".into(), "丙".into(), "丁".into()],
            max_choices: Some(max_choices),
        },
    ])
    .unwrap()
}

fn answers(yes_no: &str, picks: &[&str]) -> Vec<Answer> {
    vec![
        Answer {
            question: "q1".into(),
            choices: vec![yes_no.into()],
        },
        Answer {
            question: "q2".into(),
            choices: picks.iter().map(|s| s.to_string()).collect(),
        },
    ]
}

#[test]
fn thresholds_sit_exactly_on_their_fractions() {
    let two_thirds = Threshold::at_least(2, 3);
    assert!(two_thirds.met(200, 300));
    assert!(!two_thirds.met(199, 300));
    assert!(two_thirds.met(201, 300));
    // One hundredth of a square metre either side of 2/3 of 300.00 m².
    assert!(two_thirds.met(20_000, 30_000));
    assert!(!two_thirds.met(19_999, 30_000));
    // 2/3 of 100 is 66.67: 67 is enough, 66 is not.
    assert!(two_thirds.met(67, 100) && !two_thirds.met(66, 100));
    let half = Threshold::more_than(1, 2);
    assert!(!half.met(50, 100), "exactly half is not more than half");
    assert!(half.met(51, 100));
    assert!(half.met(5_001, 10_000) && !half.met(5_000, 10_000));
    let three_quarters = Threshold::at_least(3, 4);
    assert!(three_quarters.met(300, 400));
    assert!(!three_quarters.met(299, 400));
    assert!(three_quarters.met(30_000, 40_000) && !three_quarters.met(29_999, 40_000));
    // Nothing is met against an empty base, and huge values do not overflow.
    assert!(!two_thirds.met(0, 0));
    assert!(two_thirds.met(i64::MAX, i64::MAX));
}

#[test]
fn participation_needs_both_counts() {
    let rule = Rule::preset(CountingRule::Ordinary);
    let electorate = w(30_000, 300);
    assert!(rule.participation.met(w(20_000, 200), electorate));
    assert!(!rule.participation.met(w(19_999, 200), electorate));
    assert!(!rule.participation.met(w(20_000, 199), electorate));
    assert!(!rule.participation.met(w(30_000, 1), electorate));
}

fn counted(ballots: &[(Weights, Vec<Answer>)]) -> Vec<Counted<'_>> {
    ballots
        .iter()
        .map(|(weights, answers)| Counted {
            weights: *weights,
            answers,
        })
        .collect()
}

#[test]
fn ordinary_and_special_matters() {
    let q = questions(2);
    let electorate = w(1_000, 10);
    // 8 voters of 100.00 area each take part: 4 agree, 1 disagrees, 3 abstain.
    let mut ballots = Vec::new();
    for i in 0..8 {
        let choice = match i {
            0..=3 => "agree",
            4 => "disagree",
            _ => "abstain",
        };
        ballots.push((w(100, 1), answers(choice, &[])));
    }
    let ordinary = tally(
        &q,
        &Rule::preset(CountingRule::Ordinary),
        electorate,
        &counted(&ballots),
    );
    assert!(ordinary.participation_met);
    assert_eq!(ordinary.participation, w(800, 8));
    // 4 of 8 is not more than half: abstentions count as participation, not approval.
    assert_eq!(
        ordinary.questions[0].outcome,
        Outcome::Decided { adopted: false }
    );
    ballots[5].1 = answers("agree", &[]);
    let ordinary = tally(
        &q,
        &Rule::preset(CountingRule::Ordinary),
        electorate,
        &counted(&ballots),
    );
    assert_eq!(
        ordinary.questions[0].outcome,
        Outcome::Decided { adopted: true }
    );
    // 5 of 8 is less than three quarters; 6 of 8 is exactly three quarters.
    let special = Rule::preset(CountingRule::Special);
    assert_eq!(
        tally(&q, &special, electorate, &counted(&ballots)).questions[0].outcome,
        Outcome::Decided { adopted: false }
    );
    ballots[6].1 = answers("agree", &[]);
    assert_eq!(
        tally(&q, &special, electorate, &counted(&ballots)).questions[0].outcome,
        Outcome::Decided { adopted: true }
    );
    // Without two thirds taking part, nothing is decided.
    let few = counted(&ballots[..6]);
    let t = tally(&q, &special, electorate, &few);
    assert!(!t.participation_met);
    assert_eq!(t.questions[0].outcome, Outcome::NoQuorum);
}

#[test]
fn residents_count_heads_only() {
    let q = questions(1);
    let rule = Rule::preset(CountingRule::ConventionMajority);
    assert!(rule.citation.contains("第十二条"));
    let electorate = w(0, 9);
    let ballots: Vec<_> = (0..5)
        .map(|i| {
            (
                w(0, 1),
                answers(if i < 3 { "agree" } else { "disagree" }, &[]),
            )
        })
        .collect();
    let t = tally(&q, &rule, electorate, &counted(&ballots));
    assert!(t.participation_met, "5 of 9 is more than half");
    assert_eq!(t.questions[0].outcome, Outcome::Decided { adopted: true });
    let t = tally(&q, &rule, w(0, 10), &counted(&ballots));
    assert!(!t.participation_met, "5 of 10 is not");
}

#[test]
fn elections_rank_and_report_ties_as_run_offs() {
    let q = questions(2);
    let electorate = w(1_000, 10);
    let rule = Rule::preset(CountingRule::Ordinary);
    // 10 voters: 甲 (o1) by all, 乙 (o2) and 丙 (o3) by 6 each with equal area, 丁 by 2.
    let mut ballots = Vec::new();
    for i in 0..10 {
        let mut picks = vec!["o1"];
        if i < 6 {
            picks.push(if i % 2 == 0 { "o2" } else { "o3" });
        }
        ballots.push((w(100, 1), answers("agree", &picks)));
    }
    // 乙 and 丙 have 3 each: they do not pass; only 甲 is elected, one seat stays empty.
    let t = tally(&q, &rule, electorate, &counted(&ballots));
    assert_eq!(
        t.questions[1].outcome,
        Outcome::Chosen {
            options: vec!["o1".into()]
        }
    );
    // Give both 乙 and 丙 six approvals: both pass, equal on both counts, one seat left.
    for b in ballots.iter_mut().take(6) {
        b.1 = answers("agree", &["o1", "o2", "o3"]);
    }
    let t = tally(&q, &rule, electorate, &counted(&ballots));
    assert_eq!(
        t.questions[1].outcome,
        Outcome::RunOff {
            chosen: vec!["o1".into()],
            tied: vec!["o2".into(), "o3".into()],
            seats: 1
        }
    );
    // Equal heads, more area: the larger area ranks first, no run-off.
    ballots[0] = (w(101, 1), answers("agree", &["o1", "o2"]));
    ballots[6] = (w(100, 1), answers("agree", &["o1", "o3"]));
    let t = tally(&q, &rule, electorate, &counted(&ballots));
    let opts = &t.questions[1].options;
    assert_eq!(
        (opts[1].approving, opts[2].approving),
        (w(601, 6), w(600, 6))
    );
    assert_eq!(
        t.questions[1].outcome,
        Outcome::Chosen {
            options: vec!["o1".into(), "o2".into()]
        }
    );
}

/// The reference: a plain recount, and thresholds judged by a different formula
/// (`part >= ceil(base·n/d)` or `part > floor(base·n/d)`).
fn reference_met(t: Threshold, part: i64, base: i64) -> bool {
    if base <= 0 {
        return false;
    }
    let x = base as i128 * t.num as i128;
    let d = t.den as i128;
    let p = part as i128;
    if t.strict {
        p > x.div_euclid(d)
    } else {
        p >= (x + d - 1).div_euclid(d)
    }
}

proptest! {
    #[test]
    fn thresholds_agree_with_the_reference(num in 1u32..10, den in 1u32..10, part in 0i64..1_000_000, base in 0i64..1_000_000, strict: bool) {
        let t = Threshold { num, den, strict };
        prop_assert_eq!(t.met(part, base), reference_met(t, part, base));
    }

    #[test]
    fn the_tally_matches_a_plain_recount(
        voters in proptest::collection::vec((1i64..50_000, 0i64..2, 0usize..3, proptest::collection::btree_set(1usize..5, 0..3)), 0..60),
        extra_area in 0i64..100_000,
        extra_heads in 0i64..20,
        rule_pick in 0usize..3,
    ) {
        let q = questions(2);
        let rule = Rule::preset([CountingRule::Ordinary, CountingRule::Special, CountingRule::ConventionMajority][rule_pick]);
        let ballots: Vec<(Weights, Vec<Answer>)> = voters
            .iter()
            .map(|(area, heads, yn, picks)| {
                let picks: Vec<String> = picks.iter().map(|p| format!("o{p}")).collect();
                let picks: Vec<&str> = picks.iter().map(String::as_str).collect();
                (w(*area, *heads), answers(["agree", "disagree", "abstain"][*yn], &picks))
            })
            .collect();
        let total_area: i64 = ballots.iter().map(|b| b.0.area_centi).sum::<i64>() + extra_area;
        let total_heads: i64 = ballots.iter().map(|b| b.0.headcount).sum::<i64>() + extra_heads;
        let electorate = w(total_area, total_heads);
        let t = tally(&q, &rule, electorate, &counted(&ballots));

        let part_area: i64 = ballots.iter().map(|b| b.0.area_centi).sum();
        let part_heads: i64 = ballots.iter().map(|b| b.0.headcount).sum();
        prop_assert_eq!(t.participation, w(part_area, part_heads));
        let dual = |d: Dual, a: i64, h: i64, ba: i64, bh: i64| {
            d.area.is_none_or(|x| reference_met(x, a, ba)) && reference_met(d.headcount, h, bh)
        };
        let quorum = dual(rule.participation, part_area, part_heads, total_area, total_heads);
        prop_assert_eq!(t.participation_met, quorum);
        for (qi, qt) in t.questions.iter().enumerate() {
            for oc in &qt.options {
                let mut a = 0;
                let mut h = 0;
                for (wt, ans) in &ballots {
                    if ans[qi].choices.contains(&oc.option) {
                        a += wt.area_centi;
                        h += wt.headcount;
                    }
                }
                prop_assert_eq!(oc.approving, w(a, h));
                prop_assert_eq!(oc.passes, dual(rule.pass, a, h, part_area, part_heads));
            }
            if !quorum {
                prop_assert_eq!(&qt.outcome, &Outcome::NoQuorum);
            }
        }
        if quorum {
            let agree = &t.questions[0].options[0];
            prop_assert_eq!(&t.questions[0].outcome, &Outcome::Decided { adopted: agree.passes });
            match &t.questions[1].outcome {
                Outcome::Chosen { options } => {
                    prop_assert!(options.len() <= 2);
                    for o in options {
                        prop_assert!(t.questions[1].options.iter().any(|x| &x.option == o && x.passes));
                    }
                    let passing = t.questions[1].options.iter().filter(|x| x.passes).count();
                    prop_assert_eq!(options.len(), passing.min(2));
                }
                Outcome::RunOff { chosen, tied, seats } => {
                    prop_assert!(tied.len() > *seats && chosen.len() + seats == 2);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}

#[test]
fn each_count_is_judged_on_its_own_boundary() {
    let rule = Rule::preset(CountingRule::Ordinary);
    let base = w(30_000, 300);
    // Exactly 2/3 of the area, one head short of 2/3 of the headcount.
    let c = rule.participation.check(w(20_000, 199), base);
    assert_eq!(
        (c.area_met, c.headcount_met, c.met),
        (Some(true), false, false)
    );
    // One hundredth of a square metre short of 2/3, exactly 2/3 of the heads.
    let c = rule.participation.check(w(19_999, 200), base);
    assert_eq!(
        (c.area_met, c.headcount_met, c.met),
        (Some(false), true, false)
    );
    assert!(rule.participation.check(w(20_000, 200), base).met);
    // Passing: exactly half fails on either count; one unit more passes.
    let part = w(10_000, 100);
    let c = rule.pass.check(w(5_000, 51), part);
    assert_eq!((c.area_met, c.headcount_met), (Some(false), true));
    let c = rule.pass.check(w(5_001, 50), part);
    assert_eq!((c.area_met, c.headcount_met), (Some(true), false));
    assert!(rule.pass.check(w(5_001, 51), part).met);
    // Items 6–8: exactly 3/4 passes on both counts, one unit less on either fails.
    let special = Rule::preset(CountingRule::Special);
    assert!(special.pass.check(w(7_500, 75), part).met);
    let c = special.pass.check(w(7_499, 75), part);
    assert_eq!(
        (c.area_met, c.headcount_met, c.met),
        (Some(false), true, false)
    );
    let c = special.pass.check(w(7_500, 74), part);
    assert_eq!(
        (c.area_met, c.headcount_met, c.met),
        (Some(true), false, false)
    );
    // Residents: heads only, area not judged.
    let residents = Rule::preset(CountingRule::ConventionMajority);
    let c = residents.pass.check(w(0, 51), w(0, 100));
    assert_eq!((c.area_met, c.headcount_met, c.met), (None, true, true));
}
