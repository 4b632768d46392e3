use super::*;
use crate::domain::election::fixtures::{input, T0};
use crate::domain::election::SECONDS_PER_DAY as DAY;

fn check(i: &AnnouncementInput) -> Result<Announcement, Vec<Invalid>> {
    validate_announcement(i, &Policy::default())
}

fn fields(i: &AnnouncementInput) -> Vec<(String, &'static str)> {
    check(i)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field, p.message))
        .collect()
}

fn only(i: &AnnouncementInput, field: &str, message: &'static str) {
    assert_eq!(fields(i), vec![(field.to_owned(), message)]);
}

#[test]
fn a_sound_announcement_takes_the_defaults() {
    let a = check(&input()).unwrap();
    assert_eq!(a.kind, ElectionKind::ReElection);
    assert_eq!((a.seats, a.alternates, a.term_years), (7, 2, 5));
    assert_eq!(a.timetable.publication_days, DEFAULT_PUBLICATION_DAYS);
    assert_eq!(a.timetable.objection_days, 7);
    assert_eq!(a.cosigners_required, DEFAULT_COSIGNERS_REQUIRED);
    assert!(a.warnings().is_empty());
    assert_eq!(a.timetable.publication_ends_at(T0), T0 + 15 * DAY);
    assert_eq!(a.timetable.objection_ends_at(T0), T0 + 7 * DAY);
}

#[test]
fn seats_are_odd_from_five_to_eleven() {
    for (seats, ok) in [
        (3, false),
        (4, false),
        (5, true),
        (6, false),
        (7, true),
        (9, true),
        (10, false),
        (11, true),
        (12, false),
        (13, false),
        (-5, false),
    ] {
        let i = AnnouncementInput {
            seats,
            alternates: 0,
            ..input()
        };
        if ok {
            assert_eq!(check(&i).unwrap().seats, seats as u32);
        } else {
            only(&i, "seats", "election-error-seats");
        }
    }
}

#[test]
fn alternates_are_at_most_the_seats() {
    let at = |seats, alternates| AnnouncementInput {
        seats,
        alternates,
        ..input()
    };
    assert!(check(&at(5, 0)).is_ok());
    assert!(check(&at(5, 5)).is_ok());
    only(&at(5, 6), "alternates", "election-error-alternates");
    only(&at(5, -1), "alternates", "election-error-alternates");
    // With the seats wrong, alternates are judged against the most seats there can be.
    assert_eq!(
        fields(&at(4, 11)),
        vec![("seats".to_owned(), "election-error-seats")]
    );
}

#[test]
fn term_is_one_to_five_years() {
    let at = |term_years| AnnouncementInput {
        term_years,
        ..input()
    };
    assert!(check(&at(1)).is_ok());
    assert!(check(&at(5)).is_ok());
    only(&at(6), "term_years", "election-error-term-years");
    only(&at(0), "term_years", "election-error-term-years");
}

#[test]
fn requirements_and_kind_are_checked() {
    let mut i = input();
    i.candidate_requirements = " \n ".into();
    only(&i, "candidate_requirements", "ballot-error-required");
    i.candidate_requirements = "要".repeat(MAX_REQUIREMENTS_CHARS);
    assert!(check(&i).is_ok());
    i.candidate_requirements.push('求');
    only(&i, "candidate_requirements", "ballot-error-too-long");
    let i = AnnouncementInput {
        kind: "by_election".into(),
        ..input()
    };
    only(&i, "kind", "election-error-kind");
}

#[test]
fn the_sitting_term_end_belongs_to_re_elections_only() {
    let i = AnnouncementInput {
        sitting_term_ends_at: None,
        ..input()
    };
    only(
        &i,
        "sitting_term_ends_at",
        "election-error-term-end-required",
    );
    let i = AnnouncementInput {
        kind: "first".into(),
        ..input()
    };
    only(&i, "sitting_term_ends_at", "election-error-term-end-unused");
    let i = AnnouncementInput {
        kind: "first".into(),
        sitting_term_ends_at: None,
        ..input()
    };
    let a = check(&i).unwrap();
    assert_eq!(a.kind, ElectionKind::First);
    assert!(a.warnings().is_empty());
}

#[test]
fn a_re_election_may_not_start_after_the_term_ends() {
    let ends = input().nomination_opens_at;
    let i = AnnouncementInput {
        sitting_term_ends_at: Some(ends),
        ..input()
    };
    // Starting at the very end is allowed, with the warning.
    let a = check(&i).unwrap();
    assert_eq!(
        a.warnings(),
        vec![Warning {
            field: "nomination_opens_at".into(),
            message: "election-warning-late-start"
        }]
    );
    let i = AnnouncementInput {
        sitting_term_ends_at: Some(ends - 1),
        ..input()
    };
    only(&i, "nomination_opens_at", "election-error-after-term-end");
}

#[test]
fn three_calendar_months_ahead_is_not_warned_about() {
    // Term ends 2026-07-01 00:00 Beijing; three months before is 2026-04-01 00:00 Beijing.
    let ends = T0 + 181 * DAY;
    let three_months = T0 + 90 * DAY;
    assert_eq!(months_before(ends, 3), three_months);
    let at = |opens: i64| AnnouncementInput {
        nomination_opens_at: opens,
        nomination_closes_at: opens + DAY,
        review_ends_at: opens + 2 * DAY,
        publication_starts_at: opens + 3 * DAY,
        voting_opens_at: opens + 18 * DAY,
        voting_closes_at: opens + 19 * DAY,
        ..input()
    };
    assert!(check(&at(three_months)).unwrap().warnings().is_empty());
    assert_eq!(check(&at(three_months + 1)).unwrap().warnings().len(), 1);
    // Calendar months, not 90 days: 31 May less three months is the end of February.
    let may_31 = T0 + 150 * DAY;
    let feb_28 = T0 + 58 * DAY;
    assert_eq!(months_before(may_31, 3), feb_28);
}

#[test]
fn the_timetable_is_strictly_ordered() {
    let mut i = input();
    i.nomination_closes_at = i.nomination_opens_at;
    only(&i, "nomination_closes_at", "election-error-timetable-order");
    let mut i = input();
    i.review_ends_at = i.nomination_closes_at;
    only(&i, "review_ends_at", "election-error-timetable-order");
    let mut i = input();
    i.publication_starts_at = i.review_ends_at;
    only(
        &i,
        "publication_starts_at",
        "election-error-timetable-order",
    );
    let mut i = input();
    i.voting_closes_at = i.voting_opens_at;
    only(&i, "voting_closes_at", "election-error-timetable-order");
    let mut i = input();
    i.voting_opens_at = i.publication_starts_at;
    only(&i, "voting_opens_at", "election-error-timetable-order");
    let mut i = input();
    i.kind = "first".into();
    i.sitting_term_ends_at = None;
    i.nomination_opens_at = 0;
    only(&i, "nomination_opens_at", "election-error-timetable-order");
    let mut i = input();
    i.voting_closes_at = i.voting_opens_at + MAX_WINDOW_SECS;
    assert!(check(&i).is_ok());
    i.voting_closes_at += 1;
    only(&i, "voting_closes_at", "ballot-error-window-too-long");
}

#[test]
fn voting_opens_a_full_publication_period_after_publication() {
    let mut i = input();
    i.voting_opens_at = i.publication_starts_at + 15 * DAY;
    assert!(check(&i).is_ok());
    i.voting_opens_at -= 1;
    only(
        &i,
        "voting_opens_at",
        "election-error-publication-too-short",
    );
    // A longer period set for the election is held to as well.
    let mut i = input();
    i.publication_days = Some(20);
    only(
        &i,
        "voting_opens_at",
        "election-error-publication-too-short",
    );
    i.voting_opens_at = i.publication_starts_at + 20 * DAY;
    i.voting_closes_at = i.voting_opens_at + DAY;
    assert_eq!(check(&i).unwrap().timetable.publication_days, 20);
}

#[test]
fn the_publication_period_respects_the_community_least() {
    let mut i = input();
    i.publication_days = Some(14);
    only(&i, "publication_days", "election-error-publication-days");
    i.publication_days = Some(MAX_PUBLICATION_DAYS + 1);
    only(&i, "publication_days", "election-error-publication-days");
    // A community that set a shorter least period, with its reason on record elsewhere.
    let policy = Policy {
        min_publication_days: 10,
        ..Policy::default()
    };
    let mut i = input();
    i.voting_opens_at = i.publication_starts_at + 10 * DAY;
    let a = validate_announcement(&i, &policy).unwrap();
    assert_eq!(a.timetable.publication_days, 10);
    // Never less than one day.
    let policy = Policy {
        min_publication_days: 0,
        ..Policy::default()
    };
    i.publication_days = Some(0);
    assert_eq!(
        validate_announcement(&i, &policy).unwrap_err(),
        vec![invalid(
            "publication_days",
            "election-error-publication-days"
        )]
    );
}

#[test]
fn objection_days_and_cosigners_are_bounded() {
    let mut i = input();
    i.objection_days = Some(0);
    only(&i, "objection_days", "election-error-objection-days");
    i.objection_days = Some(MAX_OBJECTION_DAYS + 1);
    only(&i, "objection_days", "election-error-objection-days");
    i.objection_days = Some(MAX_OBJECTION_DAYS);
    assert!(check(&i).is_ok());
    let mut i = input();
    i.cosigners_required = Some(0);
    only(
        &i,
        "cosigners_required",
        "election-error-cosigners-required",
    );
    i.cosigners_required = Some(i64::from(MAX_COSIGNERS_REQUIRED) + 1);
    only(
        &i,
        "cosigners_required",
        "election-error-cosigners-required",
    );
    i.cosigners_required = Some(1);
    assert_eq!(check(&i).unwrap().cosigners_required, 1);
}

#[test]
fn every_problem_is_listed_at_once() {
    let i = AnnouncementInput {
        kind: "x".into(),
        seats: 4,
        alternates: -1,
        term_years: 6,
        candidate_requirements: "".into(),
        objection_days: Some(0),
        cosigners_required: Some(-3),
        ..input()
    };
    let f: Vec<String> = fields(&i).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        f,
        [
            "kind",
            "seats",
            "alternates",
            "term_years",
            "candidate_requirements",
            "objection_days",
            "cosigners_required"
        ]
    );
}

#[test]
fn announcements_round_trip_through_json() {
    let a = check(&input()).unwrap();
    let back: Announcement = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
    for k in ElectionKind::ALL {
        assert_eq!(ElectionKind::parse(k.as_str()), Some(*k));
    }
}
