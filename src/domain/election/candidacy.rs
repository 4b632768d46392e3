//! Steps 3 to 5: nominations, the qualification review (资格审查), and the objections to the
//! published candidate list (or, in the same form, to the preliminary result).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{nomination_window, objection_window, review_window, Announcement, Progress};
use crate::domain::ballot::{check_text, invalid, mask_name, str_enum, Invalid};

/// The longest candidate name.
pub const MAX_CANDIDATE_NAME_CHARS: usize = 50;
/// The longest statement with a nomination (自荐理由 / 推荐理由).
pub const MAX_STATEMENT_CHARS: usize = 2_000;
/// The longest review reason.
pub const MAX_REASON_CHARS: usize = 2_000;
/// The longest objection or answer, as for ballots' objections.
pub const MAX_OBJECTION_CHARS: usize = 2_000;
/// The most co-signers one nomination may list.
pub const MAX_COSIGNERS: usize = 1_000;

str_enum!(
    /// How a candidate is put forward.
    NominationKind {
        /// 自荐: the owner nominates themself.
        SelfNomination = "self",
        /// 联名推荐: owners nominate another owner, co-signing.
        CoSigned = "co_signed",
    }
);

str_enum!(
    /// The qualification review's decision on a nomination.
    Decision {
        Accepted = "accepted",
        Rejected = "rejected",
    }
);

str_enum!(
    /// What an objection is raised against.
    ObjectionStage {
        /// The published candidate list (during its publication period).
        CandidateList = "candidate_list",
        /// The preliminary result (during the objection period).
        Result = "result",
    }
);

/// A nomination as submitted. The route fills in the candidate from the roster (for a
/// self-nomination: the signed-in owner).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NominationInput {
    /// `self` or `co_signed`.
    pub kind: String,
    /// The candidate's owner id on the roster.
    pub candidate_owner: i64,
    pub candidate_name: String,
    #[serde(default)]
    pub statement: String,
    /// For `co_signed`: the co-signing owners' ids; refused for `self`.
    #[serde(default)]
    pub cosigner_owners: Vec<i64>,
}

/// A checked nomination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nomination {
    pub kind: NominationKind,
    pub candidate_owner: i64,
    pub candidate_name: String,
    pub statement: String,
    /// The co-signers who count: distinct, sorted, the candidate left out.
    pub cosigner_owners: Vec<i64>,
    pub nominated_at: i64,
}

impl Nomination {
    /// The candidate's name as the public log shows it.
    pub fn masked_name(&self) -> String {
        mask_name(&self.candidate_name)
    }
}

/// Check a nomination submitted at `now`:
///
/// - inside the nomination window (`nomination_window`: not open yet, or closed);
/// - the candidate is an owner (`candidate_is_owner`, from the roster) and not already
///   nominated in this election (`already_nominated`: the candidates of its earlier
///   nominations, whatever their review);
/// - a co-signed nomination has at least the announcement's `cosigners_required` distinct
///   co-signing owners besides the candidate (`is_owner` tells owners of the community; a
///   co-signer who is not one is named, a repeated one or the candidate is not counted);
/// - a self-nomination lists no co-signers.
pub fn validate_nomination(
    input: &NominationInput,
    announcement: &Announcement,
    now: i64,
    candidate_is_owner: bool,
    is_owner: impl Fn(i64) -> bool,
    already_nominated: &[i64],
) -> Result<Nomination, Vec<Invalid>> {
    let mut problems = Vec::new();
    if let Err(r) = nomination_window(&announcement.timetable, now) {
        problems.push(r.invalid("nomination_window"));
    }
    let kind = NominationKind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "election-error-nomination-kind"));
    }
    let candidate_name = check_text(
        &mut problems,
        "candidate_name",
        &input.candidate_name,
        MAX_CANDIDATE_NAME_CHARS,
        true,
    );
    let statement = check_text(
        &mut problems,
        "statement",
        &input.statement,
        MAX_STATEMENT_CHARS,
        false,
    );
    if !candidate_is_owner {
        problems.push(invalid(
            "candidate_owner",
            "election-error-candidate-not-owner",
        ));
    }
    if already_nominated.contains(&input.candidate_owner) {
        problems.push(invalid(
            "candidate_owner",
            "election-error-duplicate-candidate",
        ));
    }
    let mut cosigners = BTreeSet::new();
    if input.cosigner_owners.len() > MAX_COSIGNERS {
        problems.push(invalid(
            "cosigner_owners",
            "election-error-too-many-cosigners",
        ));
    } else {
        for (i, &o) in input.cosigner_owners.iter().enumerate() {
            if !is_owner(o) {
                problems.push(invalid(
                    format!("cosigner_owners[{i}]"),
                    "election-error-cosigner-not-owner",
                ));
            } else if o != input.candidate_owner {
                cosigners.insert(o);
            }
        }
    }
    match kind {
        Some(NominationKind::SelfNomination) if !input.cosigner_owners.is_empty() => {
            problems.push(invalid(
                "cosigner_owners",
                "election-error-cosigners-unused",
            ));
        }
        Some(NominationKind::CoSigned)
            if input.cosigner_owners.len() <= MAX_COSIGNERS
                && cosigners.len() < announcement.cosigners_required as usize =>
        {
            problems.push(invalid(
                "cosigner_owners",
                "election-error-too-few-cosigners",
            ));
        }
        _ => {}
    }
    match kind {
        Some(kind) if problems.is_empty() => Ok(Nomination {
            kind,
            candidate_owner: input.candidate_owner,
            candidate_name,
            statement,
            cosigner_owners: cosigners.into_iter().collect(),
            nominated_at: now,
        }),
        _ => Err(problems),
    }
}

/// A review decision as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// `accepted` or `rejected`.
    pub decision: String,
    /// Required either way.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub decision: Decision,
    pub reason: String,
    pub reviewed_at: i64,
}

/// Check a review made at `now`: after the nomination window closes and before the review
/// ends (`review_window`), a decision, and a reason for it, acceptance or rejection alike.
pub fn validate_review(
    input: &ReviewInput,
    announcement: &Announcement,
    now: i64,
) -> Result<Review, Vec<Invalid>> {
    let mut problems = Vec::new();
    if let Err(r) = review_window(&announcement.timetable, now) {
        problems.push(r.invalid("review_window"));
    }
    let decision = Decision::parse(input.decision.trim());
    if decision.is_none() {
        problems.push(invalid("decision", "election-error-decision"));
    }
    let reason = check_text(
        &mut problems,
        "reason",
        &input.reason,
        MAX_REASON_CHARS,
        true,
    );
    match decision {
        Some(decision) if problems.is_empty() => Ok(Review {
            decision,
            reason,
            reviewed_at: now,
        }),
        _ => Err(problems),
    }
}

/// Check an objection raised at `now` against `stage`: inside its period
/// (`objection_window`), and with its text (at most [`MAX_OBJECTION_CHARS`]).
pub fn validate_objection(
    stage: ObjectionStage,
    text: &str,
    announcement: &Announcement,
    progress: &Progress,
    now: i64,
) -> Result<String, Vec<Invalid>> {
    let mut problems = Vec::new();
    if let Err(r) = objection_window(stage, &announcement.timetable, progress, now) {
        problems.push(r.invalid("objection_window"));
    }
    let text = check_text(&mut problems, "text", text, MAX_OBJECTION_CHARS, true);
    if problems.is_empty() {
        Ok(text)
    } else {
        Err(problems)
    }
}

/// Check the answer to an objection: not empty, at most [`MAX_OBJECTION_CHARS`]. Answers
/// may come after the period ends; the next step waits for them.
pub fn validate_answer(answer: &str) -> Result<String, Vec<Invalid>> {
    let mut problems = Vec::new();
    let answer = check_text(&mut problems, "answer", answer, MAX_OBJECTION_CHARS, true);
    if problems.is_empty() {
        Ok(answer)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::election::fixtures::announcement;
    use crate::domain::election::SECONDS_PER_DAY as DAY;

    fn cosigned(cosigners: Vec<i64>) -> NominationInput {
        NominationInput {
            kind: "co_signed".into(),
            candidate_owner: 1,
            candidate_name: "王芳".into(),
            statement: "".into(),
            cosigner_owners: cosigners,
        }
    }

    fn owners(o: i64) -> bool {
        (1..1000).contains(&o)
    }

    fn nominate(i: &NominationInput, now: i64) -> Result<Nomination, Vec<Invalid>> {
        validate_nomination(i, &announcement(), now, true, owners, &[])
    }

    fn open() -> i64 {
        announcement().timetable.nomination_opens_at
    }

    #[test]
    fn a_self_nomination_needs_no_cosigners() {
        let i = NominationInput {
            kind: "self".into(),
            statement: " 愿为大家服务 ".into(),
            ..cosigned(vec![])
        };
        let n = nominate(&i, open()).unwrap();
        assert_eq!(n.kind, NominationKind::SelfNomination);
        assert_eq!(n.statement, "愿为大家服务");
        assert_eq!(n.nominated_at, open());
        assert_eq!(n.masked_name(), "王*");
        let with = NominationInput {
            cosigner_owners: vec![2],
            ..i
        };
        assert_eq!(
            nominate(&with, open()).unwrap_err(),
            vec![invalid(
                "cosigner_owners",
                "election-error-cosigners-unused"
            )]
        );
    }

    #[test]
    fn nominations_are_taken_at_the_window_open_not_at_its_close() {
        let t = announcement().timetable;
        let i = cosigned((2..12).collect());
        assert!(nominate(&i, t.nomination_opens_at).is_ok());
        assert!(nominate(&i, t.nomination_closes_at - 1).is_ok());
        assert_eq!(
            nominate(&i, t.nomination_opens_at - 1).unwrap_err(),
            vec![invalid(
                "nomination_window",
                "election-error-nomination-not-open"
            )]
        );
        assert_eq!(
            nominate(&i, t.nomination_closes_at).unwrap_err(),
            vec![invalid(
                "nomination_window",
                "election-error-nomination-closed"
            )]
        );
    }

    #[test]
    fn cosigners_are_distinct_owners_besides_the_candidate() {
        // Ten distinct co-signers: enough.
        let n = nominate(&cosigned((2..12).rev().collect()), open()).unwrap();
        assert_eq!(n.cosigner_owners, (2..12).collect::<Vec<_>>());
        // Nine, with one repeated and the candidate among them: not enough.
        let mut list: Vec<i64> = (2..11).collect();
        list.extend([2, 1]);
        assert_eq!(
            nominate(&cosigned(list), open()).unwrap_err(),
            vec![invalid(
                "cosigner_owners",
                "election-error-too-few-cosigners"
            )]
        );
        // A co-signer who is not an owner is named.
        let mut list: Vec<i64> = (2..12).collect();
        list.push(5000);
        assert_eq!(
            nominate(&cosigned(list), open()).unwrap_err(),
            vec![invalid(
                "cosigner_owners[10]",
                "election-error-cosigner-not-owner"
            )]
        );
        let too_many = cosigned((2..(MAX_COSIGNERS as i64 + 3)).collect());
        assert_eq!(
            nominate(&too_many, open()).unwrap_err(),
            vec![invalid(
                "cosigner_owners",
                "election-error-too-many-cosigners"
            )]
        );
    }

    #[test]
    fn the_candidate_is_an_owner_nominated_once() {
        let a = announcement();
        let i = cosigned((2..12).collect());
        assert_eq!(
            validate_nomination(&i, &a, open(), false, owners, &[]).unwrap_err(),
            vec![invalid(
                "candidate_owner",
                "election-error-candidate-not-owner"
            )]
        );
        assert_eq!(
            validate_nomination(&i, &a, open(), true, owners, &[7, 1]).unwrap_err(),
            vec![invalid(
                "candidate_owner",
                "election-error-duplicate-candidate"
            )]
        );
        assert!(validate_nomination(&i, &a, open(), true, owners, &[7]).is_ok());
    }

    #[test]
    fn every_nomination_problem_is_listed() {
        let i = NominationInput {
            kind: "appointed".into(),
            candidate_name: " ".into(),
            statement: "理".repeat(MAX_STATEMENT_CHARS + 1),
            ..cosigned(vec![])
        };
        let a = announcement();
        let f: Vec<String> = validate_nomination(&i, &a, 0, false, owners, &[1])
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            f,
            [
                "nomination_window",
                "kind",
                "candidate_name",
                "statement",
                "candidate_owner",
                "candidate_owner"
            ]
        );
    }

    #[test]
    fn reviews_need_a_reason_either_way() {
        let a = announcement();
        let t = a.timetable;
        for decision in ["accepted", "rejected"] {
            let r = validate_review(
                &ReviewInput {
                    decision: decision.into(),
                    reason: "符合候选人条件".into(),
                },
                &a,
                t.nomination_closes_at,
            )
            .unwrap();
            assert_eq!(r.decision.as_str(), decision);
            let errs = validate_review(
                &ReviewInput {
                    decision: decision.into(),
                    reason: "  ".into(),
                },
                &a,
                t.nomination_closes_at,
            )
            .unwrap_err();
            assert_eq!(errs, vec![invalid("reason", "ballot-error-required")]);
        }
        let bad = ReviewInput {
            decision: "maybe".into(),
            reason: "x".into(),
        };
        assert_eq!(
            validate_review(&bad, &a, t.nomination_closes_at).unwrap_err(),
            vec![invalid("decision", "election-error-decision")]
        );
    }

    #[test]
    fn reviews_run_between_the_window_close_and_the_deadline() {
        let a = announcement();
        let t = a.timetable;
        let ok = ReviewInput {
            decision: "rejected".into(),
            reason: "非本小区业主".into(),
        };
        assert!(validate_review(&ok, &a, t.review_ends_at - 1).is_ok());
        assert_eq!(
            validate_review(&ok, &a, t.nomination_closes_at - 1).unwrap_err(),
            vec![invalid(
                "review_window",
                "election-error-nomination-still-open"
            )]
        );
        assert_eq!(
            validate_review(&ok, &a, t.review_ends_at).unwrap_err(),
            vec![invalid("review_window", "election-error-review-closed")]
        );
    }

    #[test]
    fn objections_and_answers() {
        let a = announcement();
        let published = a.timetable.publication_starts_at;
        let p = Progress {
            published_at: Some(published),
            ..Progress::default()
        };
        let stage = ObjectionStage::CandidateList;
        assert_eq!(
            validate_objection(stage, " 候选人欠缴物业费 ", &a, &p, published).unwrap(),
            "候选人欠缴物业费"
        );
        assert_eq!(
            validate_objection(stage, "x", &a, &p, published + 15 * DAY).unwrap_err(),
            vec![invalid(
                "objection_window",
                "election-error-objection-closed"
            )]
        );
        assert_eq!(
            validate_objection(stage, "", &a, &p, published).unwrap_err(),
            vec![invalid("text", "ballot-error-required")]
        );
        assert_eq!(
            validate_objection(ObjectionStage::Result, "x", &a, &p, published).unwrap_err(),
            vec![invalid(
                "objection_window",
                "election-error-objection-not-open"
            )]
        );
        assert_eq!(validate_answer(" 经核实已缴清 ").unwrap(), "经核实已缴清");
        assert_eq!(
            validate_answer(" ").unwrap_err(),
            vec![invalid("answer", "ballot-error-required")]
        );
        assert_eq!(
            validate_answer(&"答".repeat(MAX_OBJECTION_CHARS + 1)).unwrap_err(),
            vec![invalid("answer", "ballot-error-too-long")]
        );
        for s in ObjectionStage::ALL {
            assert_eq!(ObjectionStage::parse(s.as_str()), Some(*s));
        }
        for k in NominationKind::ALL {
            assert_eq!(NominationKind::parse(k.as_str()), Some(*k));
        }
    }
}
