//! Step 2: the election announcement (公告): seats, alternates, term, the candidate
//! requirements, the kind of election, and the timetable every later step is held to.

use chrono::{DateTime, FixedOffset, Months};
use serde::{Deserialize, Serialize};

use super::{days, Warning};
use crate::domain::ballot::{check_text, invalid, str_enum, Invalid, MAX_WINDOW_SECS};
use crate::domain::tally_record;

/// The owners' committee has 5 to 11 members, an odd number (2009 Guidance Rules).
pub const MIN_SEATS: u32 = 5;
pub const MAX_SEATS: u32 = 11;
/// A term is at most 5 years (2009 Guidance Rules).
pub const MAX_TERM_YEARS: u32 = 5;
/// The publication period (公示) of the candidate list before voting opens, by default and as
/// the least a community may set: the 2009 Guidance Rules notify owners 15 days before an
/// assembly meets.
pub const DEFAULT_PUBLICATION_DAYS: i64 = 15;
pub const MAX_PUBLICATION_DAYS: i64 = 90;
/// The objection period after the preliminary result: the ballots' default.
pub const DEFAULT_OBJECTION_DAYS: i64 = tally_record::DEFAULT_OBJECTION_DAYS;
/// The same bound as the community's objection period setting.
pub const MAX_OBJECTION_DAYS: i64 = 60;
/// Owners who must co-sign a nomination of someone else (联名推荐), by default.
pub const DEFAULT_COSIGNERS_REQUIRED: u32 = 10;
pub const MAX_COSIGNERS_REQUIRED: u32 = 100;
/// The longest candidate requirements text.
pub const MAX_REQUIREMENTS_CHARS: usize = 5_000;
/// A re-election starts at least this many calendar months (Beijing time) before the sitting
/// committee's term ends (2009 Guidance Rules); later is a warning, not an error.
pub const RE_ELECTION_LEAD_MONTHS: u32 = 3;

str_enum!(
    /// Whether a committee is elected for the first time or succeeds a sitting one.
    ElectionKind {
        /// 首次选举 (at the first owners' assembly)
        First = "first",
        /// 换届选举
        ReElection = "re_election",
    }
);

/// What the community sets for its elections (the defaults are the constants above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The least publication period an election may set, in days (at least 1).
    pub min_publication_days: i64,
    /// The objection period an election gets unless it sets one, in days.
    pub objection_days: i64,
    /// Co-signers an election requires unless it sets a number.
    pub cosigners_required: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_publication_days: DEFAULT_PUBLICATION_DAYS,
            objection_days: DEFAULT_OBJECTION_DAYS,
            cosigners_required: DEFAULT_COSIGNERS_REQUIRED,
        }
    }
}

/// The announcement as submitted. Times are Unix seconds (UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnnouncementInput {
    /// `first` or `re_election`.
    pub kind: String,
    /// Committee members to elect: odd, 5 to 11.
    pub seats: i64,
    /// Alternates (候补委员) to elect after them: 0 to `seats`.
    #[serde(default)]
    pub alternates: i64,
    /// The new committee's term: 1 to 5 years.
    pub term_years: i64,
    pub candidate_requirements: String,
    /// For a re-election: when the sitting committee's term ends; absent for a first election.
    #[serde(default)]
    pub sitting_term_ends_at: Option<i64>,
    pub nomination_opens_at: i64,
    pub nomination_closes_at: i64,
    /// The qualification review ends (exclusive).
    pub review_ends_at: i64,
    /// The candidate list is published (公示) from here.
    pub publication_starts_at: i64,
    /// Days the list is published before voting may open; the community's least by default.
    #[serde(default)]
    pub publication_days: Option<i64>,
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    /// Days for objections after the preliminary result; the community's setting by default.
    #[serde(default)]
    pub objection_days: Option<i64>,
    /// Owners who must co-sign a nomination of someone else; the community's by default.
    #[serde(default)]
    pub cosigners_required: Option<i64>,
}

/// The dates every step is held to, strictly in this order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timetable {
    pub nomination_opens_at: i64,
    pub nomination_closes_at: i64,
    pub review_ends_at: i64,
    pub publication_starts_at: i64,
    pub publication_days: i64,
    pub voting_opens_at: i64,
    pub voting_closes_at: i64,
    pub objection_days: i64,
}

impl Timetable {
    /// When the publication period of a list published at `published_at` ends: objections to
    /// the list are taken until then (exclusive), and voting opens no earlier.
    pub fn publication_ends_at(&self, published_at: i64) -> i64 {
        published_at.saturating_add(days(self.publication_days))
    }

    /// When the objection period after a preliminary result counted at `counted_at` ends:
    /// objections are taken until then (exclusive), and the result is certified no earlier.
    pub fn objection_ends_at(&self, counted_at: i64) -> i64 {
        counted_at.saturating_add(days(self.objection_days))
    }
}

/// A checked announcement: what the election is held to from here on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub kind: ElectionKind,
    pub seats: u32,
    pub alternates: u32,
    pub term_years: u32,
    pub candidate_requirements: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sitting_term_ends_at: Option<i64>,
    pub cosigners_required: u32,
    pub timetable: Timetable,
}

impl Announcement {
    /// What the organiser should hear but that does not stop the announcement.
    pub fn warnings(&self) -> Vec<Warning> {
        lead_time_warning(
            self.kind,
            self.timetable.nomination_opens_at,
            self.sitting_term_ends_at,
        )
        .into_iter()
        .collect()
    }
}

/// China Standard Time (UTC+8 all year), in which "three months before" is counted.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The same wall-clock time `months` calendar months earlier in Beijing time (the day is
/// clamped to the month's last: three months before 31 May is 28 or 29 February).
pub fn months_before(at: i64, months: u32) -> i64 {
    DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&beijing()))
        .and_then(|t| t.checked_sub_months(Months::new(months)))
        .map_or(i64::MIN, |t| t.timestamp())
}

/// The 2009 Guidance Rules ask for a re-election to be organised three months before the
/// sitting term ends: a re-election whose nomination window opens later than
/// [`RE_ELECTION_LEAD_MONTHS`] calendar months before that (but not after it, which is an
/// error) is warned about.
pub fn lead_time_warning(
    kind: ElectionKind,
    nomination_opens_at: i64,
    sitting_term_ends_at: Option<i64>,
) -> Option<Warning> {
    let ends = sitting_term_ends_at?;
    let late = kind == ElectionKind::ReElection
        && nomination_opens_at <= ends
        && nomination_opens_at > months_before(ends, RE_ELECTION_LEAD_MONTHS);
    late.then(|| Warning {
        field: "nomination_opens_at".into(),
        message: "election-warning-late-start",
    })
}

/// Check a submitted announcement against the community's policy. Every problem is named:
/// seats (`election-error-seats`), alternates, term, requirements, kind, the sitting term's
/// end (required for a re-election, refused for a first one, and the nomination window may
/// not open after it), the timetable's order (each time strictly after the one before), the
/// publication period (voting opens no earlier than `publication_days` after publication
/// starts), the voting window's length, the objection period and the co-signers required.
pub fn validate_announcement(
    input: &AnnouncementInput,
    policy: &Policy,
) -> Result<Announcement, Vec<Invalid>> {
    let mut problems = Vec::new();
    let kind = ElectionKind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "election-error-kind"));
    }
    let seats = u32::try_from(input.seats)
        .ok()
        .filter(|s| (MIN_SEATS..=MAX_SEATS).contains(s) && s % 2 == 1);
    if seats.is_none() {
        problems.push(invalid("seats", "election-error-seats"));
    }
    let alternates = u32::try_from(input.alternates)
        .ok()
        .filter(|a| *a <= seats.unwrap_or(MAX_SEATS));
    if alternates.is_none() {
        problems.push(invalid("alternates", "election-error-alternates"));
    }
    let term_years = u32::try_from(input.term_years)
        .ok()
        .filter(|t| (1..=MAX_TERM_YEARS).contains(t));
    if term_years.is_none() {
        problems.push(invalid("term_years", "election-error-term-years"));
    }
    let candidate_requirements = check_text(
        &mut problems,
        "candidate_requirements",
        &input.candidate_requirements,
        MAX_REQUIREMENTS_CHARS,
        true,
    );
    match (kind, input.sitting_term_ends_at) {
        (Some(ElectionKind::ReElection), None) => {
            problems.push(invalid(
                "sitting_term_ends_at",
                "election-error-term-end-required",
            ));
        }
        (Some(ElectionKind::ReElection), Some(ends)) if input.nomination_opens_at > ends => {
            problems.push(invalid(
                "nomination_opens_at",
                "election-error-after-term-end",
            ));
        }
        (Some(ElectionKind::First), Some(_)) => {
            problems.push(invalid(
                "sitting_term_ends_at",
                "election-error-term-end-unused",
            ));
        }
        _ => {}
    }

    if input.nomination_opens_at <= 0 {
        problems.push(invalid(
            "nomination_opens_at",
            "election-error-timetable-order",
        ));
    }
    let order = [
        ("nomination_opens_at", input.nomination_opens_at),
        ("nomination_closes_at", input.nomination_closes_at),
        ("review_ends_at", input.review_ends_at),
        ("publication_starts_at", input.publication_starts_at),
        ("voting_opens_at", input.voting_opens_at),
        ("voting_closes_at", input.voting_closes_at),
    ];
    for pair in order.windows(2) {
        let ((_, before), (field, at)) = (pair[0], pair[1]);
        if at <= before {
            problems.push(invalid(field, "election-error-timetable-order"));
        }
    }
    let least = policy.min_publication_days.max(1);
    let publication_days = input.publication_days.unwrap_or(least);
    if !(least..=MAX_PUBLICATION_DAYS.max(least)).contains(&publication_days) {
        problems.push(invalid(
            "publication_days",
            "election-error-publication-days",
        ));
    } else if input.voting_opens_at > input.publication_starts_at
        && input.voting_opens_at
            < input
                .publication_starts_at
                .saturating_add(days(publication_days))
    {
        problems.push(invalid(
            "voting_opens_at",
            "election-error-publication-too-short",
        ));
    }
    if input.voting_closes_at > input.voting_opens_at
        && input.voting_closes_at - input.voting_opens_at > MAX_WINDOW_SECS
    {
        problems.push(invalid("voting_closes_at", "ballot-error-window-too-long"));
    }
    let objection_days = input.objection_days.unwrap_or(policy.objection_days);
    if !(1..=MAX_OBJECTION_DAYS).contains(&objection_days) {
        problems.push(invalid("objection_days", "election-error-objection-days"));
    }
    let cosigners_required = match input.cosigners_required {
        None => Some(policy.cosigners_required),
        Some(n) => u32::try_from(n).ok(),
    }
    .filter(|n| (1..=MAX_COSIGNERS_REQUIRED).contains(n));
    if cosigners_required.is_none() {
        problems.push(invalid(
            "cosigners_required",
            "election-error-cosigners-required",
        ));
    }

    match (kind, seats, alternates, term_years, cosigners_required) {
        (Some(kind), Some(seats), Some(alternates), Some(term_years), Some(cosigners_required))
            if problems.is_empty() =>
        {
            Ok(Announcement {
                kind,
                seats,
                alternates,
                term_years,
                candidate_requirements,
                sitting_term_ends_at: input.sitting_term_ends_at,
                cosigners_required,
                timetable: Timetable {
                    nomination_opens_at: input.nomination_opens_at,
                    nomination_closes_at: input.nomination_closes_at,
                    review_ends_at: input.review_ends_at,
                    publication_starts_at: input.publication_starts_at,
                    publication_days,
                    voting_opens_at: input.voting_opens_at,
                    voting_closes_at: input.voting_closes_at,
                    objection_days,
                },
            })
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests;
