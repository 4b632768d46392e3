//! Steps 8 and 9: the new committee's first meeting (its chair and vice-chair), and the
//! filing (备案) due within 30 days of the election.

use serde::{Deserialize, Serialize};

use super::{days, meeting_window};
use crate::domain::ballot::{invalid, Invalid};

/// The committee files its registration within this many days of its election, the final
/// result (2009 Guidance Rules).
pub const FILING_DAYS: i64 = 30;

/// The first meeting as submitted: when it was held, and the chair and vice-chair it
/// elected (candidate ids of elected members).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FirstMeetingInput {
    /// Unix seconds (UTC).
    pub meeting_at: i64,
    pub chair: String,
    pub vice_chair: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstMeeting {
    pub meeting_at: i64,
    pub chair: String,
    pub vice_chair: String,
}

/// Check a first meeting recorded at `now`: held within [`super::FIRST_MEETING_DAYS`] days of
/// the final result (`meeting_window`, on the field `meeting_at`), and a chair and a
/// vice-chair who are two different elected members.
pub fn validate_first_meeting(
    input: &FirstMeetingInput,
    elected: &[String],
    certified_at: i64,
    now: i64,
) -> Result<FirstMeeting, Vec<Invalid>> {
    let mut problems = Vec::new();
    if let Err(r) = meeting_window(certified_at, input.meeting_at, now) {
        problems.push(r.invalid("meeting_at"));
    }
    let (chair, vice_chair) = (input.chair.trim(), input.vice_chair.trim());
    if !elected.iter().any(|e| e == chair) {
        problems.push(invalid("chair", "election-error-chair-not-elected"));
    }
    if !elected.iter().any(|e| e == vice_chair) {
        problems.push(invalid(
            "vice_chair",
            "election-error-vice-chair-not-elected",
        ));
    } else if chair == vice_chair {
        problems.push(invalid("vice_chair", "election-error-chair-is-vice-chair"));
    }
    if problems.is_empty() {
        Ok(FirstMeeting {
            meeting_at: input.meeting_at,
            chair: chair.to_owned(),
            vice_chair: vice_chair.to_owned(),
        })
    } else {
        Err(problems)
    }
}

/// When the filing is due: [`FILING_DAYS`] days after the final result, that second included.
pub fn filing_due_at(certified_at: i64) -> i64 {
    certified_at.saturating_add(days(FILING_DAYS))
}

/// Where the filing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FilingStatus {
    /// Not filed, still in time; `days_left` whole days remain before `due_at`.
    Due { due_at: i64, days_left: i64 },
    /// Not filed, and the time is up.
    Overdue { due_at: i64 },
    /// Filed at `filed_at`, on time or not.
    Filed {
        due_at: i64,
        filed_at: i64,
        on_time: bool,
    },
}

/// Whether the filing of an election certified at `certified_at` is due, overdue or made.
pub fn filing_status(certified_at: i64, filed_at: Option<i64>, now: i64) -> FilingStatus {
    let due_at = filing_due_at(certified_at);
    match filed_at {
        Some(filed_at) => FilingStatus::Filed {
            due_at,
            filed_at,
            on_time: filed_at <= due_at,
        },
        None if now <= due_at => FilingStatus::Due {
            due_at,
            days_left: (due_at - now) / super::SECONDS_PER_DAY,
        },
        None => FilingStatus::Overdue { due_at },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::election::SECONDS_PER_DAY as DAY;

    const CERTIFIED: i64 = 1_790_000_000;

    fn elected() -> Vec<String> {
        ["o1", "o3", "o4", "o6", "o7"].map(String::from).to_vec()
    }

    fn meeting(meeting_at: i64, chair: &str, vice_chair: &str) -> FirstMeetingInput {
        FirstMeetingInput {
            meeting_at,
            chair: chair.into(),
            vice_chair: vice_chair.into(),
        }
    }

    fn check(i: &FirstMeetingInput) -> Result<FirstMeeting, Vec<Invalid>> {
        validate_first_meeting(i, &elected(), CERTIFIED, CERTIFIED + 10 * DAY)
    }

    #[test]
    fn the_meeting_elects_two_different_members() {
        let m = check(&meeting(CERTIFIED + DAY, " o3 ", "o1")).unwrap();
        assert_eq!((m.chair.as_str(), m.vice_chair.as_str()), ("o3", "o1"));
        assert_eq!(
            check(&meeting(CERTIFIED + DAY, "o2", "o1")).unwrap_err(),
            vec![invalid("chair", "election-error-chair-not-elected")]
        );
        assert_eq!(
            check(&meeting(CERTIFIED + DAY, "o1", "")).unwrap_err(),
            vec![invalid(
                "vice_chair",
                "election-error-vice-chair-not-elected"
            )]
        );
        assert_eq!(
            check(&meeting(CERTIFIED + DAY, "o4", "o4")).unwrap_err(),
            vec![invalid("vice_chair", "election-error-chair-is-vice-chair")]
        );
    }

    #[test]
    fn the_meeting_is_held_by_day_seven() {
        assert!(check(&meeting(CERTIFIED + 7 * DAY, "o1", "o3")).is_ok());
        assert_eq!(
            check(&meeting(CERTIFIED + 7 * DAY + 1, "o1", "o3")).unwrap_err(),
            vec![invalid("meeting_at", "election-error-meeting-too-late")]
        );
        assert_eq!(
            check(&meeting(CERTIFIED - 1, "o1", "o3")).unwrap_err(),
            vec![invalid(
                "meeting_at",
                "election-error-meeting-before-result"
            )]
        );
        assert_eq!(
            validate_first_meeting(
                &meeting(CERTIFIED + 2 * DAY, "o1", "o3"),
                &elected(),
                CERTIFIED,
                CERTIFIED + DAY
            )
            .unwrap_err(),
            vec![invalid("meeting_at", "election-error-meeting-in-future")]
        );
        // No one elected: no chair.
        assert_eq!(
            validate_first_meeting(&meeting(CERTIFIED, "o1", "o3"), &[], CERTIFIED, CERTIFIED)
                .unwrap_err()
                .len(),
            2
        );
    }

    #[test]
    fn filing_is_due_through_day_thirty() {
        let due = CERTIFIED + 30 * DAY;
        assert_eq!(filing_due_at(CERTIFIED), due);
        assert_eq!(
            filing_status(CERTIFIED, None, CERTIFIED),
            FilingStatus::Due {
                due_at: due,
                days_left: 30
            }
        );
        assert_eq!(
            filing_status(CERTIFIED, None, due - 1),
            FilingStatus::Due {
                due_at: due,
                days_left: 0
            }
        );
        assert_eq!(
            filing_status(CERTIFIED, None, due),
            FilingStatus::Due {
                due_at: due,
                days_left: 0
            }
        );
        assert_eq!(
            filing_status(CERTIFIED, None, due + 1),
            FilingStatus::Overdue { due_at: due }
        );
        assert_eq!(
            filing_status(CERTIFIED, Some(due), due + 5),
            FilingStatus::Filed {
                due_at: due,
                filed_at: due,
                on_time: true
            }
        );
        assert_eq!(
            filing_status(CERTIFIED, Some(due + 1), due + 5),
            FilingStatus::Filed {
                due_at: due,
                filed_at: due + 1,
                on_time: false
            }
        );
        let json = serde_json::to_value(filing_status(CERTIFIED, None, due + 1)).unwrap();
        assert_eq!(json["status"], "overdue");
    }
}
