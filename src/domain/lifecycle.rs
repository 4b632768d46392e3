//! The ballot lifecycle: draft → announced (公告) → open → closed → tallied (the preliminary
//! result, open to objections) → finalised (after the objection period) → certified (once
//! the scrutineers have co-signed), and cancelled (with a reason) from announced or open.
//! Pure rules; the server applies them.

use serde::{Deserialize, Serialize};

/// Where a ballot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Announced,
    Open,
    Closed,
    Tallied,
    Finalised,
    Certified,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::Announced,
        Status::Open,
        Status::Closed,
        Status::Tallied,
        Status::Finalised,
        Status::Certified,
        Status::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Announced => "announced",
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Tallied => "tallied",
            Status::Finalised => "finalised",
            Status::Certified => "certified",
            Status::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
    /// Whether the content is frozen (everything after the draft).
    pub fn is_frozen(self) -> bool {
        self != Status::Draft
    }
    /// Whether the public board shows it (everything announced, cancelled included).
    pub fn is_public(self) -> bool {
        self != Status::Draft
    }
}

/// What an organiser asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Announce,
    Open,
    Close,
    Tally,
    Finalise,
    Certify,
    Cancel,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Announce,
        Action::Open,
        Action::Close,
        Action::Tally,
        Action::Finalise,
        Action::Certify,
        Action::Cancel,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Announce => "announce",
            Action::Open => "open",
            Action::Close => "close",
            Action::Tally => "tally",
            Action::Finalise => "finalise",
            Action::Certify => "certify",
            Action::Cancel => "cancel",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The times a transition is judged by, all Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    /// The notice period in force for the community, in days.
    pub notice_days: i64,
    /// When the objection period after the preliminary result ends (`i64::MAX` before).
    pub objection_ends_at: i64,
}

/// Why a transition is refused; each maps to a message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this action is not possible from the ballot's current state")]
    IllegalTransition { from: Status, action: Action },
    #[error("the notice period is not respected: the ballot must be announced earlier")]
    NoticeTooShort,
    #[error("the voting window has not started")]
    NotYetOpen,
    #[error("the voting window has not ended")]
    NotYetClosed,
    #[error("the voting window is already over")]
    WindowPassed,
    #[error("a reason is required to cancel")]
    ReasonRequired,
    #[error("the objection period has not ended")]
    ObjectionPeriodRunning,
}

impl Refusal {
    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::IllegalTransition { .. } => "lifecycle-illegal",
            Refusal::NoticeTooShort => "lifecycle-notice-too-short",
            Refusal::NotYetOpen => "lifecycle-not-yet-open",
            Refusal::NotYetClosed => "lifecycle-not-yet-closed",
            Refusal::WindowPassed => "lifecycle-window-passed",
            Refusal::ReasonRequired => "lifecycle-reason-required",
            Refusal::ObjectionPeriodRunning => "lifecycle-objection-period",
        }
    }
}

pub const SECONDS_PER_DAY: i64 = 86_400;

/// The state after `action`, or why not.
pub fn transition(
    from: Status,
    action: Action,
    clock: &Clock,
    reason: &str,
) -> Result<Status, Refusal> {
    use Action as A;
    use Status as S;
    let illegal = Refusal::IllegalTransition { from, action };
    match (from, action) {
        (S::Draft, A::Announce) => {
            if clock.now >= clock.closes_at {
                return Err(Refusal::WindowPassed);
            }
            let notice = clock.notice_days.max(0).saturating_mul(SECONDS_PER_DAY);
            if clock.opens_at < clock.now.saturating_add(notice) {
                return Err(Refusal::NoticeTooShort);
            }
            Ok(S::Announced)
        }
        (S::Announced, A::Open) => {
            if clock.now < clock.opens_at {
                Err(Refusal::NotYetOpen)
            } else {
                Ok(S::Open)
            }
        }
        (S::Open, A::Close) => {
            if clock.now < clock.closes_at {
                Err(Refusal::NotYetClosed)
            } else {
                Ok(S::Closed)
            }
        }
        (S::Closed, A::Tally) => Ok(S::Tallied),
        (S::Tallied, A::Finalise) => {
            if clock.now < clock.objection_ends_at {
                Err(Refusal::ObjectionPeriodRunning)
            } else {
                Ok(S::Finalised)
            }
        }
        (S::Finalised, A::Certify) => Ok(S::Certified),
        (S::Announced | S::Open, A::Cancel) => {
            if reason.trim().is_empty() {
                Err(Refusal::ReasonRequired)
            } else {
                Ok(S::Cancelled)
            }
        }
        _ => Err(illegal),
    }
}

/// The transitions the schedule makes on its own: an announced ballot opens at `opens_at`, an
/// open one closes at `closes_at` and is counted at once (the preliminary result). Returns
/// the steps to apply, in order (possibly none).
pub fn scheduled(from: Status, clock: &Clock) -> Vec<(Action, Status)> {
    let mut steps = Vec::new();
    let mut at = from;
    for action in [Action::Open, Action::Close, Action::Tally] {
        if let Ok(next) = transition(at, action, clock, "") {
            steps.push((action, next));
            at = next;
        }
    }
    steps
}

/// Whether a cast is accepted now.
pub fn accepts_casts(status: Status, clock: &Clock) -> bool {
    status == Status::Open && clock.opens_at <= clock.now && clock.now < clock.closes_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = SECONDS_PER_DAY;

    fn clock(now: i64) -> Clock {
        Clock {
            now,
            opens_at: 20 * DAY,
            closes_at: 27 * DAY,
            notice_days: 15,
            objection_ends_at: 35 * DAY,
        }
    }

    #[test]
    fn the_happy_path() {
        let mut s = Status::Draft;
        s = transition(s, Action::Announce, &clock(5 * DAY), "").unwrap();
        assert_eq!(s, Status::Announced);
        assert_eq!(
            transition(s, Action::Open, &clock(20 * DAY - 1), ""),
            Err(Refusal::NotYetOpen)
        );
        s = transition(s, Action::Open, &clock(20 * DAY), "").unwrap();
        assert!(accepts_casts(s, &clock(20 * DAY)));
        assert!(!accepts_casts(s, &clock(27 * DAY)));
        assert_eq!(
            transition(s, Action::Close, &clock(27 * DAY - 1), ""),
            Err(Refusal::NotYetClosed)
        );
        s = transition(s, Action::Close, &clock(27 * DAY), "").unwrap();
        s = transition(s, Action::Tally, &clock(27 * DAY), "").unwrap();
        assert_eq!(
            transition(s, Action::Finalise, &clock(35 * DAY - 1), ""),
            Err(Refusal::ObjectionPeriodRunning)
        );
        assert!(transition(s, Action::Certify, &clock(40 * DAY), "").is_err());
        s = transition(s, Action::Finalise, &clock(35 * DAY), "").unwrap();
        assert_eq!(s, Status::Finalised);
        s = transition(s, Action::Certify, &clock(35 * DAY), "").unwrap();
        assert_eq!(s, Status::Certified);
    }

    #[test]
    fn notice_period_is_enforced_to_the_second() {
        // Opens at day 20: announcing at day 5 exactly is 15 full days; one second later is not.
        assert!(transition(Status::Draft, Action::Announce, &clock(5 * DAY), "").is_ok());
        assert_eq!(
            transition(Status::Draft, Action::Announce, &clock(5 * DAY + 1), ""),
            Err(Refusal::NoticeTooShort)
        );
        let mut c = clock(19 * DAY);
        c.notice_days = 0;
        assert!(transition(Status::Draft, Action::Announce, &c, "").is_ok());
        c.now = 27 * DAY;
        assert_eq!(
            transition(Status::Draft, Action::Announce, &c, ""),
            Err(Refusal::WindowPassed)
        );
    }

    #[test]
    fn cancel_needs_a_reason_and_a_live_ballot() {
        let c = clock(21 * DAY);
        assert_eq!(
            transition(Status::Open, Action::Cancel, &c, "  "),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            transition(Status::Open, Action::Cancel, &c, "业主投诉程序违法"),
            Ok(Status::Cancelled)
        );
        assert_eq!(
            transition(Status::Announced, Action::Cancel, &c, "x"),
            Ok(Status::Cancelled)
        );
        for from in [
            Status::Draft,
            Status::Closed,
            Status::Tallied,
            Status::Finalised,
            Status::Certified,
            Status::Cancelled,
        ] {
            assert!(matches!(
                transition(from, Action::Cancel, &c, "x"),
                Err(Refusal::IllegalTransition { .. })
            ));
        }
    }

    #[test]
    fn schedule_opens_and_closes() {
        assert!(scheduled(Status::Announced, &clock(19 * DAY)).is_empty());
        assert_eq!(
            scheduled(Status::Announced, &clock(20 * DAY)),
            vec![(Action::Open, Status::Open)]
        );
        assert_eq!(
            scheduled(Status::Announced, &clock(30 * DAY)),
            vec![
                (Action::Open, Status::Open),
                (Action::Close, Status::Closed),
                (Action::Tally, Status::Tallied)
            ]
        );
        assert!(scheduled(Status::Cancelled, &clock(30 * DAY)).is_empty());
        assert!(scheduled(Status::Draft, &clock(30 * DAY)).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }

    proptest! {
        /// From any state, only the listed edges exist; cancelled, certified are terminal.
        #[test]
        fn only_listed_edges(from in 0usize..8, action in 0usize..7, now in 0i64..40 * DAY) {
            let from = Status::ALL[from];
            let action = Action::ALL[action];
            if let Ok(to) = transition(from, action, &clock(now), "reason") {
                let allowed = matches!(
                    (from, to),
                    (Status::Draft, Status::Announced)
                        | (Status::Announced, Status::Open)
                        | (Status::Open, Status::Closed)
                        | (Status::Closed, Status::Tallied)
                        | (Status::Tallied, Status::Finalised)
                        | (Status::Finalised, Status::Certified)
                        | (Status::Announced | Status::Open, Status::Cancelled)
                );
                prop_assert!(allowed, "{from:?} -> {to:?}");
            }
            prop_assert!(transition(Status::Cancelled, action, &clock(now), "r").is_err());
            prop_assert!(transition(Status::Certified, action, &clock(now), "r").is_err());
        }
    }
}
