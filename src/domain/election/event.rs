//! The election's event log: one leaf per event, canonical JSON hashed into an RFC 9162
//! Merkle tree elsewhere. Owners' personal data is kept to what the public record needs:
//! names masked as the ballots' public pages mask them ([`mask_name`]), co-signers counted,
//! not named.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{
    Announcement, Decision, ElectionResult, FirstMeeting, Member, Nomination, NominationKind,
    ObjectionStage, PreparationGroup, Progress, Review, Step,
};
use crate::domain::ballot::mask_name;

/// The `format` of every leaf of an election's log.
pub const EVENT_FORMAT: &str = "yishiting/election-event/v1";

/// The log origin of an election, as ballots have theirs (docs/verification.md §2).
pub fn origin(log_name: &str, community_slug: &str, election_id: i64) -> String {
    format!("{log_name}/{community_slug}/elections/{election_id}")
}

/// A candidate on the published list: the ballot option id it will have, the nomination it
/// came from, and the name as published (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedCandidate {
    pub candidate: String,
    pub nomination: i64,
    pub name: String,
}

/// The published list of accepted nominations (nomination id, candidate name) in the order
/// given (the organisers', e.g. by surname strokes): option ids `o1`, `o2`, … follow that
/// order, as the ballot's [`super::ballot_question`] numbers its options.
pub fn candidate_list(accepted: &[(i64, &str)]) -> Vec<ListedCandidate> {
    accepted
        .iter()
        .enumerate()
        .map(|(i, (nomination, name))| ListedCandidate {
            candidate: format!("o{}", i + 1),
            nomination: *nomination,
            name: mask_name(name),
        })
        .collect()
}

/// What happened. Serialised with its `type` in snake_case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Members with masked names ([`PreparationGroup::masked`]).
    PreparationGroupFormed {
        members: Vec<Member>,
    },
    Announced {
        announcement: Announcement,
    },
    /// `candidate` is the masked name; `cosigners` how many co-signers counted.
    Nominated {
        nomination: i64,
        kind: NominationKind,
        candidate: String,
        cosigners: usize,
    },
    Reviewed {
        nomination: i64,
        decision: Decision,
        reason: String,
    },
    Published {
        candidates: Vec<ListedCandidate>,
    },
    ObjectionRecorded {
        stage: ObjectionStage,
        objection: i64,
        text: String,
    },
    ObjectionAnswered {
        stage: ObjectionStage,
        objection: i64,
        answer: String,
    },
    /// The election's ballot (its own log) opened.
    VotingOpened {
        ballot: i64,
    },
    /// The preliminary result, from the ballot's signed preliminary tally record.
    Counted {
        ballot: i64,
        tally_record_sha256: String,
        result: ElectionResult,
    },
    /// The final result, from the ballot's final tally record.
    Certified {
        ballot: i64,
        tally_record_sha256: String,
        result: ElectionResult,
    },
    /// `chair` and `vice_chair` are candidate ids of the published list.
    FirstMeeting {
        meeting_at: i64,
        chair: String,
        vice_chair: String,
    },
    Filed {
        on_time: bool,
    },
    Cancelled {
        reason: String,
    },
}

impl Event {
    pub fn preparation_group_formed(group: &PreparationGroup) -> Event {
        Event::PreparationGroupFormed {
            members: group.masked(),
        }
    }

    pub fn nominated(nomination: i64, n: &Nomination) -> Event {
        Event::Nominated {
            nomination,
            kind: n.kind,
            candidate: n.masked_name(),
            cosigners: n.cosigner_owners.len(),
        }
    }

    pub fn reviewed(nomination: i64, r: &Review) -> Event {
        Event::Reviewed {
            nomination,
            decision: r.decision,
            reason: r.reason.clone(),
        }
    }

    pub fn first_meeting(m: &FirstMeeting) -> Event {
        Event::FirstMeeting {
            meeting_at: m.meeting_at,
            chair: m.chair.clone(),
            vice_chair: m.vice_chair.clone(),
        }
    }

    /// The step this event moves the election to, if it is a step.
    pub fn step(&self) -> Option<Step> {
        match self {
            Event::PreparationGroupFormed { .. } => Some(Step::PreparationGroupFormed),
            Event::Announced { .. } => Some(Step::Announced),
            Event::Published { .. } => Some(Step::Published),
            Event::VotingOpened { .. } => Some(Step::Voting),
            Event::Counted { .. } => Some(Step::Counted),
            Event::Certified { .. } => Some(Step::Certified),
            Event::FirstMeeting { .. } => Some(Step::FirstMeetingHeld),
            Event::Filed { .. } => Some(Step::Filed),
            Event::Cancelled { .. } => Some(Step::Cancelled),
            Event::Nominated { .. }
            | Event::Reviewed { .. }
            | Event::ObjectionRecorded { .. }
            | Event::ObjectionAnswered { .. } => None,
        }
    }
}

/// One leaf of an election's log: `{"format", "origin", "election", "at", "type", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLeaf {
    pub format: String,
    pub origin: String,
    pub election: i64,
    /// When it was recorded, Unix seconds.
    pub at: i64,
    #[serde(flatten)]
    pub event: Event,
}

impl EventLeaf {
    pub fn new(origin: String, election: i64, at: i64, event: Event) -> Self {
        Self {
            format: EVENT_FORMAT.to_owned(),
            origin,
            election,
            at,
            event,
        }
    }
}

/// The step the log has reached and the progress it records, or `None` for an empty log.
/// The step is the last one recorded: the schedule's own steps (nominating, reviewing) are not
/// events, so apply [`super::scheduled`] for the current one. Reviews count by their latest
/// decision per nomination; the objections counted as unanswered are those of the current
/// stage (the result's once counted, the candidate list's before).
pub fn replay(leaves: &[EventLeaf]) -> Option<(Step, Progress)> {
    let mut step = None;
    let mut p = Progress::default();
    let mut nominations = BTreeSet::new();
    let mut decisions = BTreeMap::new();
    let mut objections: HashMap<(ObjectionStage, i64), bool> = HashMap::new();
    for leaf in leaves {
        if let Some(s) = leaf.event.step() {
            step = Some(s);
        }
        match &leaf.event {
            Event::Nominated { nomination, .. } => {
                nominations.insert(*nomination);
            }
            Event::Reviewed {
                nomination,
                decision,
                ..
            } => {
                decisions.insert(*nomination, *decision);
            }
            Event::Published { .. } => p.published_at = Some(leaf.at),
            Event::ObjectionRecorded {
                stage, objection, ..
            } => {
                objections.entry((*stage, *objection)).or_insert(false);
            }
            Event::ObjectionAnswered {
                stage, objection, ..
            } => {
                objections.insert((*stage, *objection), true);
            }
            Event::Counted { .. } => p.counted_at = Some(leaf.at),
            Event::Certified { .. } => p.certified_at = Some(leaf.at),
            Event::FirstMeeting { meeting_at, .. } => p.meeting_at = Some(*meeting_at),
            _ => {}
        }
    }
    p.unreviewed_nominations = nominations
        .iter()
        .filter(|n| !decisions.contains_key(*n))
        .count();
    p.accepted_candidates = nominations
        .iter()
        .filter(|n| decisions.get(*n) == Some(&Decision::Accepted))
        .count();
    let stage = if p.counted_at.is_some() {
        ObjectionStage::Result
    } else {
        ObjectionStage::CandidateList
    };
    p.unanswered_objections = objections
        .iter()
        .filter(|((s, _), answered)| *s == stage && !**answered)
        .count();
    step.map(|s| (s, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::election::fixtures::announcement;
    use crate::domain::election::{election_result, CandidateVotes, MemberRole};
    use crate::domain::tally::Weights;

    fn leaf(at: i64, event: Event) -> EventLeaf {
        EventLeaf::new(origin("y.example", "sanyijing", 4), 4, at, event)
    }

    fn result() -> ElectionResult {
        let all = Weights {
            area_centi: 100_000,
            headcount: 10,
        };
        election_result(
            5,
            0,
            &[CandidateVotes {
                candidate: "o1".into(),
                votes: all,
            }],
            all,
            all,
        )
    }

    fn every_event() -> Vec<Event> {
        vec![
            Event::preparation_group_formed(&PreparationGroup {
                members: vec![Member {
                    name: "张三丰".into(),
                    role: MemberRole::Owner,
                }],
            }),
            Event::Announced {
                announcement: announcement(),
            },
            Event::nominated(
                1,
                &Nomination {
                    kind: NominationKind::CoSigned,
                    candidate_owner: 12,
                    candidate_name: "王芳".into(),
                    statement: "".into(),
                    cosigner_owners: vec![3, 4],
                    nominated_at: 0,
                },
            ),
            Event::reviewed(
                1,
                &Review {
                    decision: Decision::Accepted,
                    reason: "符合条件".into(),
                    reviewed_at: 0,
                },
            ),
            Event::Published {
                candidates: candidate_list(&[(1, "王芳")]),
            },
            Event::ObjectionRecorded {
                stage: ObjectionStage::CandidateList,
                objection: 1,
                text: "异议".into(),
            },
            Event::ObjectionAnswered {
                stage: ObjectionStage::CandidateList,
                objection: 1,
                answer: "答复".into(),
            },
            Event::VotingOpened { ballot: 9 },
            Event::Counted {
                ballot: 9,
                tally_record_sha256: "ab".repeat(32),
                result: result(),
            },
            Event::Certified {
                ballot: 9,
                tally_record_sha256: "cd".repeat(32),
                result: result(),
            },
            Event::first_meeting(&FirstMeeting {
                meeting_at: 5,
                chair: "o1".into(),
                vice_chair: "o2".into(),
            }),
            Event::Filed { on_time: true },
            Event::Cancelled { reason: "x".into() },
        ]
    }

    #[test]
    fn leaves_are_flat_tagged_json_and_round_trip() {
        let types: Vec<String> = every_event()
            .into_iter()
            .map(|e| {
                let l = leaf(100, e);
                let v = serde_json::to_value(&l).unwrap();
                assert_eq!(v["format"], EVENT_FORMAT);
                assert_eq!(v["origin"], "y.example/sanyijing/elections/4");
                assert_eq!(v["election"], 4);
                assert_eq!(v["at"], 100);
                let back: EventLeaf = serde_json::from_value(v.clone()).unwrap();
                assert_eq!(back, l);
                v["type"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(
            types,
            [
                "preparation_group_formed",
                "announced",
                "nominated",
                "reviewed",
                "published",
                "objection_recorded",
                "objection_answered",
                "voting_opened",
                "counted",
                "certified",
                "first_meeting",
                "filed",
                "cancelled"
            ]
        );
    }

    #[test]
    fn personal_data_is_masked_or_counted() {
        let events = every_event();
        let v = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(v["members"][0]["name"], "张**");
        assert_eq!(v["members"][0]["role"], "owner");
        let v = serde_json::to_value(&events[2]).unwrap();
        assert_eq!(v["candidate"], "王*");
        assert_eq!(v["cosigners"], 2);
        assert!(v.get("cosigner_owners").is_none() && v.get("candidate_owner").is_none());
        let list = candidate_list(&[(7, "李雷"), (3, "韩梅梅")]);
        assert_eq!(
            list[1],
            ListedCandidate {
                candidate: "o2".into(),
                nomination: 3,
                name: "韩**".into()
            }
        );
    }

    #[test]
    fn replaying_the_log_gives_the_step_and_progress() {
        assert_eq!(replay(&[]), None);
        let ev = every_event();
        let nominated = |n: i64| Event::Nominated {
            nomination: n,
            kind: NominationKind::SelfNomination,
            candidate: "x".into(),
            cosigners: 0,
        };
        let reviewed = |n: i64, decision| Event::Reviewed {
            nomination: n,
            decision,
            reason: "r".into(),
        };
        let objection = |stage, n: i64| Event::ObjectionRecorded {
            stage,
            objection: n,
            text: "t".into(),
        };
        let mut log = vec![
            leaf(1, ev[0].clone()),
            leaf(2, ev[1].clone()),
            leaf(3, nominated(1)),
            leaf(4, nominated(2)),
            leaf(5, nominated(3)),
            leaf(6, reviewed(1, Decision::Rejected)),
            leaf(7, reviewed(1, Decision::Accepted)),
            leaf(8, reviewed(2, Decision::Rejected)),
        ];
        let (step, p) = replay(&log).unwrap();
        assert_eq!(step, Step::Announced);
        assert_eq!((p.unreviewed_nominations, p.accepted_candidates), (1, 1));
        log.push(leaf(9, reviewed(3, Decision::Accepted)));
        log.push(leaf(10, ev[4].clone()));
        log.push(leaf(11, objection(ObjectionStage::CandidateList, 1)));
        log.push(leaf(12, objection(ObjectionStage::CandidateList, 2)));
        log.push(leaf(13, ev[6].clone()));
        let (step, p) = replay(&log).unwrap();
        assert_eq!(step, Step::Published);
        assert_eq!(p.published_at, Some(10));
        assert_eq!(p.unreviewed_nominations, 0);
        assert_eq!(p.accepted_candidates, 2);
        assert_eq!(p.unanswered_objections, 1);
        log.push(leaf(14, ev[7].clone()));
        log.push(leaf(15, ev[8].clone()));
        let (step, p) = replay(&log).unwrap();
        assert_eq!(step, Step::Counted);
        assert_eq!(p.counted_at, Some(15));
        // The candidate list's open objection no longer counts once the result is out.
        assert_eq!(p.unanswered_objections, 0);
        log.push(leaf(16, objection(ObjectionStage::Result, 1)));
        assert_eq!(replay(&log).unwrap().1.unanswered_objections, 1);
        log.push(leaf(17, ev[9].clone()));
        log.push(leaf(18, ev[10].clone()));
        log.push(leaf(19, ev[11].clone()));
        let (step, p) = replay(&log).unwrap();
        assert_eq!(step, Step::Filed);
        assert_eq!((p.certified_at, p.meeting_at), (Some(17), Some(5)));
    }
}
