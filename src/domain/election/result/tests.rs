use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::domain::ballot::validate_questions;

fn w(area_centi: i64, headcount: i64) -> Weights {
    Weights {
        area_centi,
        headcount,
    }
}

fn c(id: &str, area_centi: i64, headcount: i64) -> CandidateVotes {
    CandidateVotes {
        candidate: id.into(),
        votes: w(area_centi, headcount),
    }
}

/// 300 heads and 30,000.00 m² in the electorate, all of them voting.
const ALL: Weights = Weights {
    area_centi: 3_000_000,
    headcount: 300,
};

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn participation_needs_two_thirds_of_both_counts() {
    let cands = [c("a", 2_000_000, 200)];
    let at = |p: Weights| election_result(5, 0, &cands, p, ALL);
    let r = at(w(2_000_000, 200));
    assert!(r.participation_met);
    assert_eq!(r.elected, ids(&["a"]));
    assert_eq!(r.vacant_seats, 4);
    // One hundredth of a square metre short on area.
    let r = at(w(1_999_999, 200));
    assert!(!r.participation_area_met && r.participation_headcount_met);
    assert!(!r.participation_met);
    assert!(r.elected.is_empty() && r.run_offs.is_empty());
    assert_eq!((r.vacant_seats, r.vacant_alternates), (5, 0));
    // The candidates are still listed with their counts.
    assert_eq!(r.candidates.len(), 1);
    // One head short.
    let r = at(w(3_000_000, 199));
    assert!(r.participation_area_met && !r.participation_headcount_met);
    assert!(r.elected.is_empty());
}

#[test]
fn a_candidate_needs_more_than_half_of_both_participating_counts() {
    let p = w(2_000_000, 200);
    let r = election_result(
        5,
        2,
        &[
            c("half_heads", 1_500_000, 100),
            c("over_heads", 1_500_000, 101),
            c("half_area", 1_000_000, 150),
            c("over_area", 1_000_001, 150),
        ],
        p,
        ALL,
    );
    let passes: Vec<(&str, bool)> = r
        .candidates
        .iter()
        .map(|o| (o.option.as_str(), o.passes))
        .collect();
    assert_eq!(
        passes,
        [
            ("over_area", true),
            ("half_area", false),
            ("over_heads", true),
            ("half_heads", false),
        ]
    );
    assert_eq!(r.elected, ids(&["over_area", "over_heads"]));
    assert!(r.elected_alternates.is_empty());
    assert_eq!((r.vacant_seats, r.vacant_alternates), (3, 2));
    let half_area = &r.candidates[1];
    assert_eq!(
        (half_area.area_met, half_area.headcount_met),
        (Some(false), true)
    );
}

#[test]
fn heads_rank_before_area() {
    let r = election_result(
        5,
        1,
        &[
            c("a", 2_900_000, 160),
            c("b", 1_600_000, 250),
            c("c", 1_700_000, 250),
            c("d", 2_000_000, 200),
            c("e", 2_000_000, 190),
            c("f", 2_000_000, 180),
            c("g", 2_000_000, 170),
        ],
        ALL,
        ALL,
    );
    assert_eq!(r.elected, ids(&["c", "b", "d", "e", "f"]));
    assert_eq!(
        r.elected_alternates,
        vec![RankedAlternate {
            candidate: "g".into(),
            rank: 1
        }]
    );
    assert!(r.is_decided());
    assert_eq!((r.vacant_seats, r.vacant_alternates), (0, 0));
}

#[test]
fn a_tie_inside_the_seats_elects_everyone_in_it() {
    let r = election_result(
        5,
        0,
        &[
            c("a", 2_000_000, 200),
            c("b", 2_000_000, 200),
            c("c", 2_000_000, 200),
            c("d", 1_800_000, 180),
            c("e", 1_800_000, 180),
            c("f", 1_700_000, 170),
        ],
        ALL,
        ALL,
    );
    assert_eq!(r.elected, ids(&["a", "b", "c", "d", "e"]));
    assert!(r.is_decided());
}

#[test]
fn a_tie_at_the_last_seat_is_left_to_a_run_off() {
    let r = election_result(
        5,
        0,
        &[
            c("a", 2_000_000, 200),
            c("b", 2_000_000, 199),
            c("c", 2_000_000, 198),
            c("d", 2_000_000, 197),
            c("f", 1_800_000, 180),
            c("e", 1_800_000, 180),
            c("g", 1_800_000, 179),
        ],
        ALL,
        ALL,
    );
    assert_eq!(r.elected, ids(&["a", "b", "c", "d"]));
    assert_eq!(
        r.run_offs,
        vec![RunOff {
            seats: 1,
            alternates: 0,
            tied: ids(&["e", "f"])
        }]
    );
    assert!(!r.is_decided());
    assert_eq!(r.vacant_seats, 0);
    // Equal heads but different area: no tie.
    let r = election_result(
        5,
        0,
        &[
            c("a", 2_000_000, 200),
            c("b", 2_000_000, 199),
            c("c", 2_000_000, 198),
            c("d", 2_000_000, 197),
            c("f", 1_800_001, 180),
            c("e", 1_800_000, 180),
        ],
        ALL,
        ALL,
    );
    assert_eq!(r.elected, ids(&["a", "b", "c", "d", "f"]));
    assert!(r.is_decided());
}

#[test]
fn a_tie_across_the_last_seat_also_decides_the_first_alternates() {
    // Five seats, two alternates: four clear, three tied for the fifth seat. The run-off
    // decides the seat and the two alternates' places among them; g ranks below all three.
    let cands = [
        c("a", 2_000_000, 200),
        c("b", 2_000_000, 199),
        c("c", 2_000_000, 198),
        c("d", 2_000_000, 197),
        c("e", 1_800_000, 180),
        c("f", 1_800_000, 180),
        c("h", 1_800_000, 180),
        c("g", 1_700_000, 170),
    ];
    let r = election_result(5, 2, &cands, ALL, ALL);
    assert_eq!(r.elected.len(), 4);
    assert_eq!(
        r.run_offs,
        vec![RunOff {
            seats: 1,
            alternates: 2,
            tied: ids(&["e", "f", "h"])
        }]
    );
    assert!(r.elected_alternates.is_empty());
    assert_eq!((r.vacant_seats, r.vacant_alternates), (0, 0));
    // With three alternates' places, g takes the third.
    let r = election_result(5, 3, &cands, ALL, ALL);
    assert_eq!(r.run_offs[0].alternates, 2);
    assert_eq!(
        r.elected_alternates,
        vec![RankedAlternate {
            candidate: "g".into(),
            rank: 3
        }]
    );
    // With one place, the same group straddles both boundaries.
    let r = election_result(5, 1, &cands, ALL, ALL);
    assert_eq!(
        r.run_offs,
        vec![RunOff {
            seats: 1,
            alternates: 1,
            tied: ids(&["e", "f", "h"])
        }]
    );
}

#[test]
fn alternates_rank_in_order_and_ties_share_a_place() {
    let cands = [
        c("a", 2_000_000, 200),
        c("b", 2_000_000, 199),
        c("c", 2_000_000, 198),
        c("d", 2_000_000, 197),
        c("e", 2_000_000, 196),
        c("f", 1_900_000, 190),
        c("g", 1_800_000, 180),
        c("h", 1_800_000, 180),
        c("i", 1_700_000, 170),
        c("j", 1_700_000, 170),
    ];
    let r = election_result(5, 4, &cands, ALL, ALL);
    let alt: Vec<(&str, usize)> = r
        .elected_alternates
        .iter()
        .map(|a| (a.candidate.as_str(), a.rank))
        .collect();
    assert_eq!(alt, [("f", 1), ("g", 2), ("h", 2)]);
    // i and j tie for the fourth place.
    assert_eq!(
        r.run_offs,
        vec![RunOff {
            seats: 0,
            alternates: 1,
            tied: ids(&["i", "j"])
        }]
    );
    let r = election_result(5, 5, &cands, ALL, ALL);
    assert_eq!(r.elected_alternates.len(), 5);
    assert_eq!(r.elected_alternates[4].rank, 4);
    assert!(r.is_decided());
}

#[test]
fn too_few_passing_candidates_leave_seats_vacant() {
    let r = election_result(
        7,
        3,
        &[
            c("a", 2_000_000, 200),
            c("b", 2_000_000, 199),
            c("c", 1_000_000, 100),
        ],
        ALL,
        ALL,
    );
    assert_eq!(r.elected, ids(&["a", "b"]));
    assert_eq!((r.vacant_seats, r.vacant_alternates), (5, 3));
    let r = election_result(5, 0, &[], ALL, ALL);
    assert_eq!(r.vacant_seats, 5);
    let r = election_result(5, 0, &[], Weights::default(), Weights::default());
    assert!(!r.participation_met);
}

#[test]
fn the_ballot_question_elects_up_to_the_seats() {
    let labels: Vec<String> = (1..=9).map(|i| format!("候选人{i}")).collect();
    let q = ballot_question("选举第三届业主委员会委员", 7, &labels);
    let v = validate_questions(&[q]).unwrap();
    assert_eq!(v[0].max_choices, 7);
    assert_eq!(v[0].options.len(), 9);
    assert_eq!(v[0].options[0].id, "o1");
    // Fewer candidates than seats: each may be chosen.
    let q = ballot_question("选举", 7, &labels[..3]);
    assert_eq!(validate_questions(&[q]).unwrap()[0].max_choices, 3);
    assert_eq!(
        Rule::preset(COUNTING_RULE).pass.headcount,
        crate::domain::tally::Threshold::more_than(1, 2)
    );
}

#[test]
fn results_round_trip_through_json() {
    let r = election_result(5, 1, &[c("a", 2_000_000, 200)], ALL, ALL);
    let back: ElectionResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

/// Candidates with few distinct vote values, so that ties are common.
fn candidates() -> impl Strategy<Value = Vec<CandidateVotes>> {
    proptest::collection::vec((0i64..=6, 0i64..=10), 0..14).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (area, heads))| c(&format!("o{}", i + 1), area * 100_000, heads * 20))
            .collect()
    })
}

fn weights() -> impl Strategy<Value = Weights> {
    (300_000i64..=600_000, 100i64..=200).prop_map(|(a, h)| w(a, h))
}

proptest! {
    #[test]
    fn positions_add_up_and_only_passing_candidates_are_placed(
        seats in 0usize..12,
        alternates in 0usize..12,
        cands in candidates(),
        p in weights(),
    ) {
        let r = election_result(seats, alternates, &cands, p, w(600_000, 200));
        prop_assert!(r.elected.len() <= seats);
        prop_assert!(r.elected_alternates.len() <= alternates);
        let run_off_seats: usize = r.run_offs.iter().map(|x| x.seats).sum();
        let run_off_alternates: usize = r.run_offs.iter().map(|x| x.alternates).sum();
        prop_assert_eq!(r.elected.len() + run_off_seats + r.vacant_seats, seats);
        prop_assert_eq!(
            r.elected_alternates.len() + run_off_alternates + r.vacant_alternates,
            alternates
        );
        prop_assert!(r.run_offs.len() <= 2);
        let passing: BTreeSet<&str> = r
            .candidates
            .iter()
            .filter(|o| o.passes)
            .map(|o| o.option.as_str())
            .collect();
        let placed: Vec<&str> = r
            .elected
            .iter()
            .map(String::as_str)
            .chain(r.elected_alternates.iter().map(|a| a.candidate.as_str()))
            .chain(r.run_offs.iter().flat_map(|x| x.tied.iter().map(String::as_str)))
            .collect();
        for id in &placed {
            prop_assert!(passing.contains(id), "{} placed without passing", id);
        }
        // Elected, alternates and the tied are disjoint.
        let distinct: BTreeSet<&str> = placed.iter().copied().collect();
        prop_assert_eq!(distinct.len(), placed.len());
        // A run-off straddles the last seat or the last alternate's place.
        for x in &r.run_offs {
            prop_assert!(x.tied.len() >= 2);
            if x.seats > 0 {
                prop_assert!(x.tied.len() > x.seats);
            } else {
                prop_assert!(x.tied.len() > x.alternates && x.alternates > 0);
            }
        }
        // Independently of ties: the passing candidates fill the places in rank order.
        if r.participation_met {
            prop_assert_eq!(placed.len().min(seats + alternates), passing.len().min(seats + alternates));
        } else {
            prop_assert!(placed.is_empty());
            prop_assert_eq!(r.vacant_seats, seats);
        }
    }

    #[test]
    fn no_one_outranked_by_an_unplaced_candidate(
        seats in 1usize..12,
        alternates in 0usize..12,
        cands in candidates(),
    ) {
        let r = election_result(seats, alternates, &cands, w(600_000, 200), w(600_000, 200));
        let votes = |id: &str| {
            let o = r.candidates.iter().find(|o| o.option == id).unwrap();
            (o.approving.headcount, o.approving.area_centi)
        };
        for e in &r.elected {
            for a in &r.elected_alternates {
                prop_assert!(votes(e) > votes(&a.candidate));
            }
            for t in r.run_offs.iter().flat_map(|x| &x.tied) {
                prop_assert!(votes(e) > votes(t));
            }
        }
        for pair in r.elected_alternates.windows(2) {
            prop_assert!(pair[0].rank <= pair[1].rank);
            prop_assert_eq!(
                pair[0].rank == pair[1].rank,
                votes(&pair[0].candidate) == votes(&pair[1].candidate)
            );
        }
    }

    #[test]
    fn the_order_of_the_candidates_does_not_matter(
        (cands, shuffled) in candidates().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        seats in 0usize..12,
        alternates in 0usize..12,
        p in weights(),
    ) {
        let e = w(600_000, 200);
        prop_assert_eq!(
            election_result(seats, alternates, &cands, p, e),
            election_result(seats, alternates, &shuffled, p, e)
        );
    }
}
