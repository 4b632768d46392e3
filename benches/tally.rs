//! The count at the scale of a large vote: 100,000 effective ballots, one yes/no question and
//! an election of 2 among 4 candidates, under the Art. 278 ordinary rule.
//!
//! Run with `cargo bench --bench tally`. The target (issue #5) is at most 0.5 s.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use yishiting::domain::ballot::{validate_questions, Answer, CountingRule, QuestionInput};
use yishiting::domain::tally::{tally, Counted, Rule, Weights};

const BALLOTS: usize = 100_000;

fn count(c: &mut Criterion) {
    let questions = validate_questions(&[
        QuestionInput {
            kind: "yes_no".into(),
            text: "q".into(),
            options: vec![],
            max_choices: None,
        },
        QuestionInput {
            kind: "approval".into(),
            text: "e".into(),
            options: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            max_choices: Some(2),
        },
    ])
    .expect("valid questions");
    let answers: Vec<(Weights, Vec<Answer>)> = (0..BALLOTS)
        .map(|i| {
            let yn = ["agree", "disagree", "abstain"][i % 3];
            let picks: Vec<String> = (1..=4)
                .filter(|p| (i / p) % 2 == 0)
                .take(2)
                .map(|p| format!("o{p}"))
                .collect();
            (
                Weights {
                    area_centi: 6_000 + (i as i64 % 9_000),
                    headcount: 1,
                },
                vec![
                    Answer {
                        question: "q1".into(),
                        choices: vec![yn.into()],
                    },
                    Answer {
                        question: "q2".into(),
                        choices: picks,
                    },
                ],
            )
        })
        .collect();
    let ballots: Vec<Counted<'_>> = answers
        .iter()
        .map(|(w, a)| Counted {
            weights: *w,
            answers: a,
        })
        .collect();
    let electorate = Weights {
        area_centi: ballots.iter().map(|b| b.weights.area_centi).sum::<i64>() + 1_000_000,
        headcount: BALLOTS as i64 + 1_000,
    };
    let rule = Rule::preset(CountingRule::Ordinary);
    c.bench_function("tally 100,000 ballots", |b| {
        b.iter(|| black_box(tally(&questions, &rule, electorate, black_box(&ballots))))
    });
}

criterion_group!(benches, count);
criterion_main!(benches);
