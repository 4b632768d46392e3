//! The owners' committee re-election (业委会换届选举, issue #7): the steps of the procedure and
//! the rules the server enforces at each, as pure functions and types (no I/O).
//!
//! 1. The preparation group (筹备组) is formed: [`validate_preparation_group`].
//! 2. It posts the election announcement (公告): seats, alternates, term, candidate
//!    requirements and the timetable ([`validate_announcement`], with lead-time warnings kept
//!    apart from errors: [`Announcement::warnings`]).
//! 3. Owners nominate themselves or a fellow owner with co-signers, inside the nomination
//!    window ([`validate_nomination`]).
//! 4. The qualification review (资格审查) accepts or rejects each nomination with a reason
//!    ([`validate_review`]).
//! 5. The candidate list is published (公示); objections are recorded and answered
//!    ([`validate_objection`], [`validate_answer`]).
//! 6. Voting: an elect-k-of-n ballot counted under Civil Code Art. 278 for ordinary matters
//!    ([`ballot_question`], [`election_result`]).
//! 7. The preliminary result, its objection period, and the certified (final) result.
//! 8. The new committee's first meeting elects its chair and vice-chair
//!    ([`validate_first_meeting`]).
//! 9. Filing (备案) with the street office and housing authority ([`filing_status`]).
//!
//! [`Step`] and [`transition`] enforce the order and the deadlines; [`Event`] is what the
//! election's append-only log records.
//!
//! Times are Unix seconds (UTC). Windows are half-open like the ballots' voting window: a
//! nomination window `[opens, closes)` accepts a nomination at `opens` and refuses one at
//! `closes`. Deadlines given as "within N days" (以内) include their last second (Civil Code
//! Art. 1259): the first meeting may be held exactly 7 days after the result.

mod announcement;
mod candidacy;
mod event;
mod meeting;
mod preparation;
mod result;
mod step;

#[cfg(test)]
mod fixtures;

pub use announcement::*;
pub use candidacy::*;
pub use event::*;
pub use meeting::*;
pub use preparation::*;
pub use result::*;
pub use step::*;

pub use super::lifecycle::SECONDS_PER_DAY;

/// Something worth telling the organiser that does not stop the step: the field it is about
/// and a Fluent message id (`election-warning-…`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub field: String,
    pub message: &'static str,
}

/// `days` whole days in seconds, saturating (a setting is never trusted to be small).
pub(crate) fn days(days: i64) -> i64 {
    days.max(0).saturating_mul(SECONDS_PER_DAY)
}
