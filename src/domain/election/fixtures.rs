//! Shared test fixtures of the election module.

use super::{
    validate_announcement, Announcement, AnnouncementInput, Policy, SECONDS_PER_DAY as DAY,
};

/// 2026-01-01 00:00 Beijing time.
pub(crate) const T0: i64 = 1_767_196_800;

/// A re-election whose sitting term ends on 2026-07-01 00:00 Beijing time, nominations
/// open on day 10 (well over three months ahead).
pub(crate) fn input() -> AnnouncementInput {
    AnnouncementInput {
        kind: "re_election".into(),
        seats: 7,
        alternates: 2,
        term_years: 5,
        candidate_requirements: "本小区业主，遵纪守法，热心公益。".into(),
        sitting_term_ends_at: Some(T0 + 181 * DAY),
        nomination_opens_at: T0 + 10 * DAY,
        nomination_closes_at: T0 + 20 * DAY,
        review_ends_at: T0 + 25 * DAY,
        publication_starts_at: T0 + 26 * DAY,
        publication_days: None,
        voting_opens_at: T0 + 41 * DAY,
        voting_closes_at: T0 + 48 * DAY,
        objection_days: None,
        cosigners_required: None,
    }
}

pub(crate) fn announcement() -> Announcement {
    validate_announcement(&input(), &Policy::default()).unwrap()
}
