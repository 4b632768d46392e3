//! Step 6: the ballot and the election result. Electing the committee is a matter of Civil
//! Code Art. 278 ¶1 item 3, decided by the ordinary rule of ¶2: participation of at least 2/3
//! of the area and of the headcount, and each elected candidate approved by more than half of
//! the participating area and more than half of the participating headcount. Exact integer
//! arithmetic throughout ([`crate::domain::tally::Threshold`]).

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::domain::ballot::{CountingRule, Kind, QuestionInput};
use crate::domain::tally::{OptionCount, Rule, Weights};

/// The kind of ballot an election's vote is.
pub const BALLOT_KIND: Kind = Kind::CommitteeElection;
/// The counting rule an election's ballot is counted by: Art. 278 for ordinary matters.
pub const COUNTING_RULE: CountingRule = CountingRule::Ordinary;

/// The ballot's one question: elect up to `seats` of the candidates (an approval question;
/// fewer choices if there are fewer candidates). `labels` are the candidates in list order;
/// the ballot numbers them `o1`, `o2`, … in that order ([`super::ListedCandidate`]).
pub fn ballot_question(text: &str, seats: u32, labels: &[String]) -> QuestionInput {
    let k = (seats as usize).min(labels.len());
    QuestionInput {
        kind: "approval".into(),
        text: text.into(),
        options: labels.to_vec(),
        max_choices: Some(k as i64),
    }
}

/// One candidate's approving votes (area and headcount of the voters who chose them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateVotes {
    /// The candidate's option id on the ballot.
    pub candidate: String,
    pub votes: Weights,
}

impl From<&OptionCount> for CandidateVotes {
    fn from(o: &OptionCount) -> Self {
        Self {
            candidate: o.option.clone(),
            votes: o.approving,
        }
    }
}

/// A tie across a boundary that the count cannot settle: `tied` (candidates with equal
/// headcount and equal area) contend for `seats` committee seats and then `alternates`
/// alternates' places. The law gives no tie-break; the organisers hold a run-off (or what
/// the assembly's rules of procedure provide). Never broken by chance or order here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOff {
    pub seats: usize,
    pub alternates: usize,
    /// Sorted by candidate id.
    pub tied: Vec<String>,
}

/// An alternate and their place in the order alternates fill vacancies (1 = first).
/// Alternates with equal votes share a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedAlternate {
    pub candidate: String,
    pub rank: usize,
}

/// What an election decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionResult {
    pub seats: usize,
    pub alternates: usize,
    pub electorate: Weights,
    pub participation: Weights,
    /// The participation threshold against the electorate, per count and both.
    pub participation_area_met: bool,
    pub participation_headcount_met: bool,
    pub participation_met: bool,
    /// Every candidate with its votes and the pass threshold per count, ranked: approving
    /// headcount, then approving area, both descending, then candidate id.
    pub candidates: Vec<OptionCount>,
    /// The elected members, ranked.
    pub elected: Vec<String>,
    /// The elected alternates, ranked.
    pub elected_alternates: Vec<RankedAlternate>,
    /// Ties the count cannot settle (at most two: at the last seat, at the last alternate).
    pub run_offs: Vec<RunOff>,
    /// Seats no passing candidate is left for (all seats when participation fell short).
    pub vacant_seats: usize,
    pub vacant_alternates: usize,
}

impl ElectionResult {
    /// Whether every seat and alternate's place is filled or left vacant, none awaiting a
    /// run-off.
    pub fn is_decided(&self) -> bool {
        self.run_offs.is_empty()
    }
}

/// The rank key: more approving heads first, then more approving area.
fn key(o: &OptionCount) -> (i64, i64) {
    (o.approving.headcount, o.approving.area_centi)
}

/// Decide an election from each candidate's approving votes, the participating weights and
/// the electorate's:
///
/// 1. participation must reach 2/3 of the electorate's area and of its headcount (inclusive);
///    short of it nothing is elected and every seat is vacant;
/// 2. a candidate passes with more than half of the participating area and more than half of
///    the participating headcount (strictly);
/// 3. passing candidates are ranked by approving headcount, then approving area (the same
///    order as the ballots' count, [`crate::domain::tally`]): Art. 278 counts heads and area
///    alike, and the owners, not the square metres, are who elect; area settles what heads
///    leave equal;
/// 4. the first `seats` are elected, the next `alternates` become alternates in that order;
///    candidates equal on both counts across a boundary make a [`RunOff`], never an arbitrary
///    choice; positions no passing candidate reaches stay vacant.
///
/// Candidate ids are expected to be distinct; the result does not depend on their order.
pub fn election_result(
    seats: usize,
    alternates: usize,
    candidates: &[CandidateVotes],
    participation: Weights,
    electorate: Weights,
) -> ElectionResult {
    let rule = Rule::preset(COUNTING_RULE);
    let took_part = rule.participation.check(participation, electorate);
    let mut counts: Vec<OptionCount> = candidates
        .iter()
        .map(|c| {
            let pass = rule.pass.check(c.votes, participation);
            OptionCount {
                option: c.candidate.clone(),
                approving: c.votes,
                area_met: pass.area_met,
                headcount_met: pass.headcount_met,
                passes: pass.met,
            }
        })
        .collect();
    counts.sort_by(|a, b| {
        Reverse(key(a))
            .cmp(&Reverse(key(b)))
            .then_with(|| a.option.cmp(&b.option))
    });
    let mut result = ElectionResult {
        seats,
        alternates,
        electorate,
        participation,
        participation_area_met: took_part.area_met.unwrap_or(true),
        participation_headcount_met: took_part.headcount_met,
        participation_met: took_part.met,
        candidates: Vec::new(),
        elected: Vec::new(),
        elected_alternates: Vec::new(),
        run_offs: Vec::new(),
        vacant_seats: seats,
        vacant_alternates: alternates,
    };
    if took_part.met {
        fill(&mut result, &counts);
    }
    result.candidates = counts;
    result
}

/// Fill the seats, then the alternates' places, from the passing candidates (ranked), a
/// group of candidates equal on both counts at a time.
fn fill(result: &mut ElectionResult, ranked: &[OptionCount]) {
    let (seats, places) = (result.seats, result.seats + result.alternates);
    let passing: Vec<&OptionCount> = ranked.iter().filter(|o| o.passes).collect();
    // Positions taken so far (0-based: the next group starts at `pos`).
    let mut pos = 0;
    for group in passing.chunk_by(|a, b| key(a) == key(b)) {
        if pos >= places {
            break;
        }
        let end = pos + group.len();
        let ids = || group.iter().map(|o| o.option.clone());
        if end <= seats {
            result.elected.extend(ids());
        } else if pos >= seats && end <= places {
            let rank = pos - seats + 1;
            result
                .elected_alternates
                .extend(ids().map(|candidate| RankedAlternate { candidate, rank }));
        } else {
            // The group straddles the last seat, the last alternate's place, or both.
            result.run_offs.push(RunOff {
                seats: seats.saturating_sub(pos),
                alternates: end.min(places).saturating_sub(pos.max(seats)),
                tied: ids().collect(),
            });
        }
        pos = end;
    }
    let filled = pos.min(places);
    result.vacant_seats = seats - filled.min(seats);
    result.vacant_alternates = places - filled.max(seats);
}

#[cfg(test)]
mod tests;
