use super::*;
use crate::domain::election::fixtures::{announcement, T0};
use crate::domain::election::SECONDS_PER_DAY as DAY;
use proptest::prelude::*;

fn tt() -> Timetable {
    announcement().timetable
}

fn go(from: Step, to: Step, now: i64, p: &Progress) -> Result<Step, Refusal> {
    transition(from, to, &tt(), now, p, "")
}

fn none() -> Progress {
    Progress::default()
}

#[test]
fn the_whole_procedure_in_order() {
    let t = tt();
    let mut p = Progress {
        accepted_candidates: 9,
        ..none()
    };
    let steps = [
        (Step::Announced, T0),
        (Step::Nominating, t.nomination_opens_at),
        (Step::Reviewing, t.nomination_closes_at),
        (Step::Published, t.publication_starts_at),
        (Step::Voting, t.voting_opens_at),
        (Step::Counted, t.voting_closes_at),
        (Step::Certified, t.voting_closes_at + 7 * DAY),
        (Step::FirstMeetingHeld, t.voting_closes_at + 14 * DAY),
        (Step::Filed, t.voting_closes_at + 20 * DAY),
    ];
    let mut at = Step::PreparationGroupFormed;
    for (to, now) in steps {
        match to {
            Step::Published => p.published_at = Some(now),
            Step::Counted => p.counted_at = Some(now),
            Step::Certified => p.certified_at = Some(now),
            Step::FirstMeetingHeld => p.meeting_at = Some(now),
            _ => {}
        }
        at = transition(at, to, &t, now, &p, "").unwrap();
        assert_eq!(at.next().is_some(), at != Step::Filed);
    }
    assert_eq!(at, Step::Filed);
}

#[test]
fn no_step_is_skipped_or_repeated() {
    let p = Progress {
        accepted_candidates: 1,
        published_at: Some(0),
        counted_at: Some(0),
        certified_at: Some(0),
        meeting_at: Some(0),
        ..none()
    };
    for from in Step::ALL {
        for to in Step::ALL {
            let r = go(*from, *to, i64::MAX / 2, &p);
            if from.next() != Some(*to) && *to != Step::Cancelled {
                assert_eq!(
                    r,
                    Err(Refusal::IllegalStep {
                        from: *from,
                        to: *to
                    })
                );
            }
        }
        assert_eq!(Step::parse(from.as_str()), Some(*from));
    }
}

#[test]
fn the_announcement_comes_before_nominations_open() {
    let t = tt();
    let from = Step::PreparationGroupFormed;
    assert!(go(from, Step::Announced, t.nomination_opens_at, &none()).is_ok());
    assert_eq!(
        go(from, Step::Announced, t.nomination_opens_at + 1, &none()),
        Err(Refusal::AnnouncementTooLate)
    );
}

#[test]
fn the_schedule_opens_and_closes_nominations() {
    let t = tt();
    assert!(scheduled(Step::Announced, &t, t.nomination_opens_at - 1).is_empty());
    assert_eq!(
        scheduled(Step::Announced, &t, t.nomination_opens_at),
        vec![Step::Nominating]
    );
    assert_eq!(
        scheduled(Step::Announced, &t, t.nomination_closes_at),
        vec![Step::Nominating, Step::Reviewing]
    );
    assert_eq!(
        scheduled(Step::Nominating, &t, t.nomination_closes_at - 1),
        vec![]
    );
    assert!(scheduled(Step::PreparationGroupFormed, &t, i64::MAX).is_empty());
    assert!(scheduled(Step::Cancelled, &t, i64::MAX).is_empty());
}

#[test]
fn nominations_are_taken_inside_their_window_only() {
    let t = tt();
    assert_eq!(
        nomination_window(&t, t.nomination_opens_at - 1),
        Err(Refusal::NominationNotOpen)
    );
    assert_eq!(nomination_window(&t, t.nomination_opens_at), Ok(()));
    assert_eq!(nomination_window(&t, t.nomination_closes_at - 1), Ok(()));
    assert_eq!(
        nomination_window(&t, t.nomination_closes_at),
        Err(Refusal::NominationClosed)
    );
}

#[test]
fn reviews_follow_the_nominations_until_the_deadline() {
    let t = tt();
    assert_eq!(
        review_window(&t, t.nomination_closes_at - 1),
        Err(Refusal::NominationStillOpen)
    );
    assert_eq!(review_window(&t, t.nomination_closes_at), Ok(()));
    assert_eq!(review_window(&t, t.review_ends_at - 1), Ok(()));
    assert_eq!(
        review_window(&t, t.review_ends_at),
        Err(Refusal::ReviewClosed)
    );
}

#[test]
fn publication_waits_for_the_reviews_and_its_date() {
    let t = tt();
    let pending = Progress {
        unreviewed_nominations: 1,
        ..none()
    };
    let from = Step::Reviewing;
    assert_eq!(
        go(from, Step::Published, t.publication_starts_at, &pending),
        Err(Refusal::ReviewsPending)
    );
    assert_eq!(
        go(from, Step::Published, t.publication_starts_at - 1, &none()),
        Err(Refusal::PublicationNotStarted)
    );
    // Published late, the list must still be public 15 full days before voting opens.
    let latest = t.voting_opens_at - 15 * DAY;
    assert!(go(from, Step::Published, latest, &none()).is_ok());
    assert_eq!(
        go(from, Step::Published, latest + 1, &none()),
        Err(Refusal::PublicationTooLate)
    );
}

#[test]
fn voting_opens_no_earlier_than_the_full_publication_period() {
    let t = tt();
    // Published one day late: voting may open 15 days after that, not on its date.
    let published = t.publication_starts_at + DAY;
    let p = Progress {
        published_at: Some(published),
        accepted_candidates: 3,
        ..none()
    };
    let from = Step::Published;
    assert_eq!(
        go(from, Step::Voting, published + 15 * DAY - 1, &p),
        Err(Refusal::VotingTooEarly)
    );
    assert!(go(from, Step::Voting, published + 15 * DAY, &p).is_ok());
    // Published on time: exactly the voting date.
    let p = Progress {
        published_at: Some(t.publication_starts_at),
        ..p
    };
    assert_eq!(
        go(from, Step::Voting, t.voting_opens_at - 1, &p),
        Err(Refusal::VotingTooEarly)
    );
    assert!(go(from, Step::Voting, t.voting_opens_at, &p).is_ok());
    assert_eq!(
        go(from, Step::Voting, t.voting_closes_at, &p),
        Err(Refusal::VotingWindowPassed)
    );
    let no_one = Progress {
        accepted_candidates: 0,
        ..p.clone()
    };
    assert_eq!(
        go(from, Step::Voting, t.voting_opens_at, &no_one),
        Err(Refusal::NoCandidates)
    );
    let objected = Progress {
        unanswered_objections: 1,
        ..p.clone()
    };
    assert_eq!(
        go(from, Step::Voting, t.voting_opens_at, &objected),
        Err(Refusal::ObjectionsUnanswered)
    );
    // Without a publication on record, voting never opens.
    let unpublished = Progress {
        published_at: None,
        ..p
    };
    assert_eq!(
        go(from, Step::Voting, t.voting_opens_at, &unpublished),
        Err(Refusal::VotingTooEarly)
    );
}

#[test]
fn counting_waits_for_the_window_to_close() {
    let t = tt();
    assert_eq!(
        go(Step::Voting, Step::Counted, t.voting_closes_at - 1, &none()),
        Err(Refusal::VotingNotClosed)
    );
    assert!(go(Step::Voting, Step::Counted, t.voting_closes_at, &none()).is_ok());
}

#[test]
fn certification_waits_for_the_objection_period() {
    let counted = tt().voting_closes_at + 3600;
    let p = Progress {
        counted_at: Some(counted),
        ..none()
    };
    let ends = counted + 7 * DAY;
    assert_eq!(
        go(Step::Counted, Step::Certified, ends - 1, &p),
        Err(Refusal::ObjectionPeriodRunning)
    );
    assert!(go(Step::Counted, Step::Certified, ends, &p).is_ok());
    let objected = Progress {
        unanswered_objections: 2,
        ..p
    };
    assert_eq!(
        go(Step::Counted, Step::Certified, ends, &objected),
        Err(Refusal::ObjectionsUnanswered)
    );
    assert_eq!(
        go(Step::Counted, Step::Certified, i64::MAX, &none()),
        Err(Refusal::ObjectionPeriodRunning)
    );
}

#[test]
fn objections_are_taken_during_their_period_only() {
    let t = tt();
    let stage = ObjectionStage::CandidateList;
    assert_eq!(
        objection_window(stage, &t, &none(), T0),
        Err(Refusal::ObjectionNotOpen)
    );
    let published = t.publication_starts_at;
    let p = Progress {
        published_at: Some(published),
        counted_at: Some(t.voting_closes_at),
        ..none()
    };
    assert_eq!(
        objection_window(stage, &t, &p, published - 1),
        Err(Refusal::ObjectionNotOpen)
    );
    assert_eq!(objection_window(stage, &t, &p, published), Ok(()));
    assert_eq!(
        objection_window(stage, &t, &p, published + 15 * DAY - 1),
        Ok(())
    );
    assert_eq!(
        objection_window(stage, &t, &p, published + 15 * DAY),
        Err(Refusal::ObjectionClosed)
    );
    let stage = ObjectionStage::Result;
    let counted = t.voting_closes_at;
    assert_eq!(
        objection_window(stage, &t, &p, counted - 1),
        Err(Refusal::ObjectionNotOpen)
    );
    assert_eq!(objection_window(stage, &t, &p, counted), Ok(()));
    assert_eq!(
        objection_window(stage, &t, &p, counted + 7 * DAY - 1),
        Ok(())
    );
    assert_eq!(
        objection_window(stage, &t, &p, counted + 7 * DAY),
        Err(Refusal::ObjectionClosed)
    );
    assert_eq!(
        objection_window(stage, &t, &none(), counted),
        Err(Refusal::ObjectionNotOpen)
    );
}

#[test]
fn the_first_meeting_is_held_within_seven_days() {
    let certified = T0 + 100 * DAY;
    let later = certified + 30 * DAY;
    assert_eq!(meeting_window(certified, certified, later), Ok(()));
    assert_eq!(
        meeting_window(certified, certified + 7 * DAY, later),
        Ok(())
    );
    assert_eq!(
        meeting_window(certified, certified + 7 * DAY + 1, later),
        Err(Refusal::MeetingTooLate)
    );
    assert_eq!(
        meeting_window(certified, certified - 1, later),
        Err(Refusal::MeetingBeforeResult)
    );
    assert_eq!(
        meeting_window(certified, certified + DAY, certified + DAY - 1),
        Err(Refusal::MeetingInFuture)
    );
    let p = |meeting_at| Progress {
        certified_at: Some(certified),
        meeting_at,
        ..none()
    };
    let from = Step::Certified;
    let to = Step::FirstMeetingHeld;
    assert!(go(from, to, later, &p(Some(certified + 7 * DAY))).is_ok());
    assert_eq!(
        go(from, to, later, &p(Some(certified + 7 * DAY + 1))),
        Err(Refusal::MeetingTooLate)
    );
    assert_eq!(
        go(from, to, later, &p(None)),
        Err(Refusal::MeetingDateRequired)
    );
    let uncertified = Progress {
        certified_at: None,
        ..p(Some(certified))
    };
    assert_eq!(
        go(from, to, later, &uncertified),
        Err(Refusal::MeetingBeforeResult)
    );
}

#[test]
fn cancelling_needs_a_reason_and_an_uncertified_result() {
    let t = tt();
    for from in Step::ALL {
        let r = transition(*from, Step::Cancelled, &t, T0, &none(), "街道办叫停");
        assert_eq!(r.is_ok(), from.is_cancellable(), "{from:?}");
        if from.is_cancellable() {
            assert_eq!(
                transition(*from, Step::Cancelled, &t, T0, &none(), " "),
                Err(Refusal::ReasonRequired)
            );
        }
    }
}

#[test]
fn message_ids_are_distinct_and_named() {
    let all = [
        Refusal::IllegalStep {
            from: Step::Announced,
            to: Step::Voting,
        },
        Refusal::AnnouncementTooLate,
        Refusal::NominationNotOpen,
        Refusal::NominationClosed,
        Refusal::NominationStillOpen,
        Refusal::ReviewClosed,
        Refusal::ReviewsPending,
        Refusal::PublicationNotStarted,
        Refusal::PublicationTooLate,
        Refusal::NoCandidates,
        Refusal::ObjectionsUnanswered,
        Refusal::VotingTooEarly,
        Refusal::VotingWindowPassed,
        Refusal::VotingNotClosed,
        Refusal::ObjectionPeriodRunning,
        Refusal::ObjectionNotOpen,
        Refusal::ObjectionClosed,
        Refusal::MeetingDateRequired,
        Refusal::MeetingBeforeResult,
        Refusal::MeetingTooLate,
        Refusal::MeetingInFuture,
        Refusal::ReasonRequired,
    ];
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|r| r.message_id()).collect();
    assert_eq!(ids.len(), all.len());
    assert!(ids.iter().all(|id| id.starts_with("election-error-")));
    assert_eq!(
        Refusal::VotingTooEarly.invalid("voting_opens_at"),
        invalid("voting_opens_at", "election-error-voting-too-early")
    );
}

proptest! {
    /// Whatever the time and the progress, a step only ever moves to its successor or to
    /// cancelled; filed and cancelled are final.
    #[test]
    fn only_forward_edges(
        from in 0usize..11,
        to in 0usize..11,
        now in T0..T0 + 120 * DAY,
        published in proptest::option::of(T0..T0 + 60 * DAY),
        counted in proptest::option::of(T0..T0 + 90 * DAY),
        unanswered in 0usize..2,
        accepted in 0usize..2,
    ) {
        let (from, to) = (Step::ALL[from], Step::ALL[to]);
        let p = Progress {
            published_at: published,
            counted_at: counted,
            certified_at: counted,
            meeting_at: counted,
            unanswered_objections: unanswered,
            accepted_candidates: accepted,
            ..Progress::default()
        };
        if let Ok(next) = transition(from, to, &tt(), now, &p, "reason") {
            prop_assert_eq!(next, to);
            prop_assert!(from.next() == Some(to) || to == Step::Cancelled);
            if to == Step::Voting {
                let published = published.unwrap();
                prop_assert!(now >= published + 15 * DAY);
                prop_assert!(now >= tt().voting_opens_at && now < tt().voting_closes_at);
            }
            if to == Step::Certified {
                prop_assert!(now >= counted.unwrap() + 7 * DAY);
            }
        }
        for terminal in [Step::Filed, Step::Cancelled] {
            prop_assert!(transition(terminal, to, &tt(), now, &p, "reason").is_err());
        }
    }
}
