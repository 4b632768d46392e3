//! The steps of an election in their only order, the deadlines between them, and the windows
//! inside which nominations, reviews, objections and the first meeting are taken.

use serde::{Deserialize, Serialize};

use super::{days, ObjectionStage, Timetable};
use crate::domain::ballot::{invalid, str_enum, Invalid};

/// The new committee holds its first meeting within this many days of the final result
/// (2009 Guidance Rules).
pub const FIRST_MEETING_DAYS: i64 = 7;

str_enum!(
    /// Where an election stands. Each step follows the one before; none is skipped.
    Step {
        /// The preparation group (筹备组) is formed.
        PreparationGroupFormed = "preparation_group_formed",
        /// The announcement (公告) is posted.
        Announced = "announced",
        /// The nomination window is open (entered by the schedule).
        Nominating = "nominating",
        /// The nomination window has closed; the qualification review (资格审查) runs.
        Reviewing = "reviewing",
        /// The candidate list is published (公示), open to objections.
        Published = "published",
        /// The ballot is open.
        Voting = "voting",
        /// The preliminary result is out; its objection period runs.
        Counted = "counted",
        /// The final result is announced.
        Certified = "certified",
        /// The new committee has met and elected its chair and vice-chair.
        FirstMeetingHeld = "first_meeting_held",
        /// The filing (备案) is made.
        Filed = "filed",
        /// Called off, with a reason, before the result was certified.
        Cancelled = "cancelled",
    }
);

impl Step {
    /// The step that follows in the normal course (none after filing or a cancellation).
    pub fn next(self) -> Option<Step> {
        use Step as S;
        match self {
            S::PreparationGroupFormed => Some(S::Announced),
            S::Announced => Some(S::Nominating),
            S::Nominating => Some(S::Reviewing),
            S::Reviewing => Some(S::Published),
            S::Published => Some(S::Voting),
            S::Voting => Some(S::Counted),
            S::Counted => Some(S::Certified),
            S::Certified => Some(S::FirstMeetingHeld),
            S::FirstMeetingHeld => Some(S::Filed),
            S::Filed | S::Cancelled => None,
        }
    }

    /// Whether the election may still be cancelled from here: until the result is certified.
    pub fn is_cancellable(self) -> bool {
        matches!(
            self,
            Step::PreparationGroupFormed
                | Step::Announced
                | Step::Nominating
                | Step::Reviewing
                | Step::Published
                | Step::Voting
                | Step::Counted
        )
    }
}

/// What has happened so far that a step depends on, besides the timetable: filled in from the
/// election's log (see [`super::replay`]) or its tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// When the candidate list was published.
    pub published_at: Option<i64>,
    /// When the preliminary result was counted.
    pub counted_at: Option<i64>,
    /// When the final result was certified.
    pub certified_at: Option<i64>,
    /// When the new committee's first meeting was held (for [`Step::FirstMeetingHeld`]).
    pub meeting_at: Option<i64>,
    /// Nominations not yet reviewed.
    pub unreviewed_nominations: usize,
    /// Nominations accepted by the review.
    pub accepted_candidates: usize,
    /// Objections of the current stage (the candidate list, or the preliminary result) not
    /// yet answered.
    pub unanswered_objections: usize,
}

/// Why a step (or a nomination, review, objection or meeting date) is refused; each maps to a
/// message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this step is not possible from the election's current step")]
    IllegalStep { from: Step, to: Step },
    #[error("the announcement must be posted before the nomination window opens")]
    AnnouncementTooLate,
    #[error("the nomination window has not opened yet")]
    NominationNotOpen,
    #[error("the nomination window has closed")]
    NominationClosed,
    #[error("the nomination window is still open")]
    NominationStillOpen,
    #[error("the qualification review has ended")]
    ReviewClosed,
    #[error("some nominations have not been reviewed")]
    ReviewsPending,
    #[error("the candidate list may not be published before its date")]
    PublicationNotStarted,
    #[error("published now, the list would not be public for the full period before voting")]
    PublicationTooLate,
    #[error("no candidate passed the qualification review")]
    NoCandidates,
    #[error("some objections have not been answered")]
    ObjectionsUnanswered,
    #[error("voting may not open before the publication period has run")]
    VotingTooEarly,
    #[error("the voting window is already over")]
    VotingWindowPassed,
    #[error("the voting window has not ended")]
    VotingNotClosed,
    #[error("the objection period has not ended")]
    ObjectionPeriodRunning,
    #[error("objections are not taken yet")]
    ObjectionNotOpen,
    #[error("the objection period has ended")]
    ObjectionClosed,
    #[error("the date of the first meeting is required")]
    MeetingDateRequired,
    #[error("the first meeting cannot come before the final result")]
    MeetingBeforeResult,
    #[error("the first meeting must be held within 7 days of the final result")]
    MeetingTooLate,
    #[error("a meeting in the future cannot be recorded as held")]
    MeetingInFuture,
    #[error("a reason is required to cancel")]
    ReasonRequired,
}

impl Refusal {
    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::IllegalStep { .. } => "election-error-illegal-step",
            Refusal::AnnouncementTooLate => "election-error-announcement-too-late",
            Refusal::NominationNotOpen => "election-error-nomination-not-open",
            Refusal::NominationClosed => "election-error-nomination-closed",
            Refusal::NominationStillOpen => "election-error-nomination-still-open",
            Refusal::ReviewClosed => "election-error-review-closed",
            Refusal::ReviewsPending => "election-error-reviews-pending",
            Refusal::PublicationNotStarted => "election-error-publication-not-started",
            Refusal::PublicationTooLate => "election-error-publication-too-late",
            Refusal::NoCandidates => "election-error-no-candidates",
            Refusal::ObjectionsUnanswered => "election-error-objections-unanswered",
            Refusal::VotingTooEarly => "election-error-voting-too-early",
            Refusal::VotingWindowPassed => "election-error-voting-window-passed",
            Refusal::VotingNotClosed => "election-error-voting-not-closed",
            Refusal::ObjectionPeriodRunning => "election-error-objection-period-running",
            Refusal::ObjectionNotOpen => "election-error-objection-not-open",
            Refusal::ObjectionClosed => "election-error-objection-closed",
            Refusal::MeetingDateRequired => "election-error-meeting-date-required",
            Refusal::MeetingBeforeResult => "election-error-meeting-before-result",
            Refusal::MeetingTooLate => "election-error-meeting-too-late",
            Refusal::MeetingInFuture => "election-error-meeting-in-future",
            Refusal::ReasonRequired => "election-error-reason-required",
        }
    }

    /// The refusal as a field-named problem, to list with a form's other problems.
    pub fn invalid(self, field: &str) -> Invalid {
        invalid(field, self.message_id())
    }
}

/// Whether a nomination is taken at `now`: from the window's opening (inclusive) to its
/// closing (exclusive).
pub fn nomination_window(tt: &Timetable, now: i64) -> Result<(), Refusal> {
    if now < tt.nomination_opens_at {
        Err(Refusal::NominationNotOpen)
    } else if now >= tt.nomination_closes_at {
        Err(Refusal::NominationClosed)
    } else {
        Ok(())
    }
}

/// Whether a nomination may be reviewed at `now`: once the nomination window has closed, until
/// the review's end (exclusive).
pub fn review_window(tt: &Timetable, now: i64) -> Result<(), Refusal> {
    if now < tt.nomination_closes_at {
        Err(Refusal::NominationStillOpen)
    } else if now >= tt.review_ends_at {
        Err(Refusal::ReviewClosed)
    } else {
        Ok(())
    }
}

/// Whether an objection is taken at `now`: to the candidate list during its publication
/// period, to the preliminary result during the objection period; each from its start
/// (inclusive) to its end (exclusive).
pub fn objection_window(
    stage: ObjectionStage,
    tt: &Timetable,
    progress: &Progress,
    now: i64,
) -> Result<(), Refusal> {
    let (starts, ends) = match stage {
        ObjectionStage::CandidateList => match progress.published_at {
            Some(at) => (at, tt.publication_ends_at(at)),
            None => return Err(Refusal::ObjectionNotOpen),
        },
        ObjectionStage::Result => match progress.counted_at {
            Some(at) => (at, tt.objection_ends_at(at)),
            None => return Err(Refusal::ObjectionNotOpen),
        },
    };
    if now < starts {
        Err(Refusal::ObjectionNotOpen)
    } else if now >= ends {
        Err(Refusal::ObjectionClosed)
    } else {
        Ok(())
    }
}

/// Whether a first meeting held at `meeting_at` may be recorded at `now`: not before the final
/// result, at most [`FIRST_MEETING_DAYS`] days after it (the last second included), and not in
/// the future. A later meeting is refused, not flagged: the record would misstate the rules.
pub fn meeting_window(certified_at: i64, meeting_at: i64, now: i64) -> Result<(), Refusal> {
    if meeting_at < certified_at {
        Err(Refusal::MeetingBeforeResult)
    } else if meeting_at > certified_at.saturating_add(days(FIRST_MEETING_DAYS)) {
        Err(Refusal::MeetingTooLate)
    } else if meeting_at > now {
        Err(Refusal::MeetingInFuture)
    } else {
        Ok(())
    }
}

/// Whether the election may move from `from` to `to` at `now`; returns `to`. Only the next
/// step is possible (and cancelling, with a reason, until the result is certified):
///
/// - announced: no later than the nomination window's opening;
/// - nominating: from the window's opening; reviewing: from its closing;
/// - published: every nomination reviewed, from the publication date, and early enough that
///   the full publication period runs before voting opens;
/// - voting: from the voting date and no earlier than the publication period after the
///   actual publication, before the window's end, with a candidate and every objection to
///   the list answered;
/// - counted: once the voting window has closed;
/// - certified: once the objection period has ended, every objection answered;
/// - first meeting held: the meeting's date within [`meeting_window`];
/// - filed: any time after the first meeting ([`super::filing_status`] says whether late).
pub fn transition(
    from: Step,
    to: Step,
    tt: &Timetable,
    now: i64,
    progress: &Progress,
    reason: &str,
) -> Result<Step, Refusal> {
    use Step as S;
    if to == S::Cancelled && from.is_cancellable() {
        return if reason.trim().is_empty() {
            Err(Refusal::ReasonRequired)
        } else {
            Ok(to)
        };
    }
    if from.next() != Some(to) {
        return Err(Refusal::IllegalStep { from, to });
    }
    match to {
        S::Announced if now > tt.nomination_opens_at => Err(Refusal::AnnouncementTooLate),
        S::Nominating if now < tt.nomination_opens_at => Err(Refusal::NominationNotOpen),
        S::Reviewing if now < tt.nomination_closes_at => Err(Refusal::NominationStillOpen),
        S::Published => {
            if progress.unreviewed_nominations > 0 {
                Err(Refusal::ReviewsPending)
            } else if now < tt.publication_starts_at {
                Err(Refusal::PublicationNotStarted)
            } else if tt.publication_ends_at(now) > tt.voting_opens_at {
                Err(Refusal::PublicationTooLate)
            } else {
                Ok(to)
            }
        }
        S::Voting => {
            // Without a publication on record, the period has not even started.
            let earliest = progress
                .published_at
                .map(|at| tt.publication_ends_at(at).max(tt.voting_opens_at));
            if earliest.is_none_or(|earliest| now < earliest) {
                Err(Refusal::VotingTooEarly)
            } else if now >= tt.voting_closes_at {
                Err(Refusal::VotingWindowPassed)
            } else if progress.accepted_candidates == 0 {
                Err(Refusal::NoCandidates)
            } else if progress.unanswered_objections > 0 {
                Err(Refusal::ObjectionsUnanswered)
            } else {
                Ok(to)
            }
        }
        S::Counted if now < tt.voting_closes_at => Err(Refusal::VotingNotClosed),
        S::Certified => {
            let ends = progress.counted_at.map(|at| tt.objection_ends_at(at));
            if ends.is_none_or(|ends| now < ends) {
                Err(Refusal::ObjectionPeriodRunning)
            } else if progress.unanswered_objections > 0 {
                Err(Refusal::ObjectionsUnanswered)
            } else {
                Ok(to)
            }
        }
        S::FirstMeetingHeld => match (progress.certified_at, progress.meeting_at) {
            (_, None) => Err(Refusal::MeetingDateRequired),
            (None, Some(_)) => Err(Refusal::MeetingBeforeResult),
            (Some(certified), Some(meeting)) => {
                meeting_window(certified, meeting, now).map(|()| to)
            }
        },
        _ => Ok(to),
    }
}

/// The steps the schedule takes on its own at `now`: an announced election starts nominating
/// when the window opens, and reviewing when it closes. Returns them in order (possibly none).
pub fn scheduled(from: Step, tt: &Timetable, now: i64) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = from;
    for to in [Step::Nominating, Step::Reviewing] {
        if let Ok(next) = transition(at, to, tt, now, &Progress::default(), "") {
            steps.push(next);
            at = next;
        }
    }
    steps
}

#[cfg(test)]
mod tests;
