//! The election service: each step of an owners' committee (re-)election, checked against the
//! domain's rules ([`crate::domain::election`]) and recorded in the election's event log in
//! the same write transaction (see [`crate::ledger::election_log`]).
//!
//! The log is the record of progress: the step and the progress a step depends on (publication
//! and count dates, unreviewed nominations, unanswered objections) are replayed from its
//! leaves; the tables hold what pages need to show (names, texts, statuses).

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::db::communities::Community;
use crate::db::elections::{self as db, CandidateRow, ElectionRow, MemberRow, ObjectionRow};
use crate::db::{roster, write_tx, DbConn};
use crate::domain::ballot::{check_text, invalid};
use crate::domain::election::{
    self as rules, replay, scheduled, transition, Announcement, AnnouncementInput, Decision,
    ElectionKind, Event, NominationInput, NominationKind, ObjectionStage, Policy,
    PreparationGroupInput, Progress, Refusal, ReviewInput, Step, Warning,
};
use crate::error::{AppError, AppResult, Msg};
use crate::forum::Who;
use crate::ledger::{election_log, Ledger};

mod cosign;
mod vote;
pub use cosign::{cosign_nomination, CosignState};
pub use vote::*;

pub const MAX_TITLE_CHARS: usize = 100;

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError::Conflict(Msg::new(r.message_id()))
    }
}

/// Where and when a step is taken: the ledger (keys, log name), the community, the time.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub ledger: &'a Ledger,
    pub community: &'a Community,
    pub now: i64,
}

/// The log origin of an election of `c`.
pub fn origin(ledger: &Ledger, c: &Community, id: i64) -> String {
    rules::origin(&ledger.log_name, &c.slug, id)
}

/// What the election's log says so far, with the schedule's steps applied at `now`.
#[derive(Debug, Clone)]
pub struct State {
    pub step: Step,
    pub progress: Progress,
    pub announcement: Option<Announcement>,
}

pub fn state(conn: &mut DbConn, e: &ElectionRow, now: i64) -> AppResult<State> {
    let leaves = election_log::leaves(conn, e.id)?;
    let (step, progress) =
        replay(&leaves).unwrap_or((Step::PreparationGroupFormed, Progress::default()));
    let announcement: Option<Announcement> = match &e.announcement {
        Some(json) => Some(serde_json::from_str(json).map_err(AppError::internal)?),
        None => None,
    };
    let step = match &announcement {
        Some(a) => scheduled(step, &a.timetable, now)
            .last()
            .copied()
            .unwrap_or(step),
        None => step,
    };
    Ok(State {
        step,
        progress,
        announcement,
    })
}

/// Nothing more is recorded once an election is filed or cancelled.
fn ended(step: Step) -> AppResult<()> {
    if matches!(step, Step::Filed | Step::Cancelled) {
        return Err(AppError::Conflict(Msg::new("election-error-ended")));
    }
    Ok(())
}

pub(crate) fn locked(conn: &mut DbConn, c: &Community, id: i64) -> AppResult<ElectionRow> {
    db::lock(conn, c.id, id)?.ok_or(AppError::NotFound)
}

pub(crate) fn announced(s: &State) -> AppResult<&Announcement> {
    s.announcement
        .as_ref()
        .ok_or(AppError::Conflict(Msg::new("election-error-not-announced")))
}

/// Append `event` and move the recorded step when the event is a step.
pub(crate) fn record(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    e: &ElectionRow,
    event: Event,
    now: i64,
) -> AppResult<election_log::Appended> {
    let step = event.step();
    let appended = election_log::append(conn, ledger, e, &origin(ledger, c, e.id), event, now)?;
    if let Some(step) = step {
        db::set_step(conn, e.id, step.as_str(), now)?;
    }
    Ok(appended)
}

// ---- 1. the preparation group -------------------------------------------------------

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateInput {
    pub title: String,
    /// `first` or `re_election`.
    pub kind: String,
    #[serde(flatten)]
    pub group: PreparationGroupInput,
}

/// Start an election: its preparation group (筹备组) is formed. The first leaf of its log.
pub fn create(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    actor: i64,
    input: &CreateInput,
) -> AppResult<ElectionRow> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    let mut problems = Vec::new();
    let title = check_text(&mut problems, "title", &input.title, MAX_TITLE_CHARS, true);
    let kind = ElectionKind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "election-error-kind"));
    }
    let group = match rules::validate_preparation_group(&input.group) {
        Ok(g) if problems.is_empty() => g,
        Ok(_) => return Err(problems.into()),
        Err(more) => {
            problems.extend(more);
            return Err(problems.into());
        }
    };
    let kind = kind.ok_or(AppError::NotFound)?;
    write_tx(conn, |conn| {
        let row = db::insert(
            conn,
            &db::NewElection {
                community_id: c.id,
                title: &title,
                kind: kind.as_str(),
                step: Step::PreparationGroupFormed.as_str(),
                sealed_key: "",
                created_by: Some(actor),
                created_at: now,
                updated_at: now,
            },
        )?;
        db::set_key(conn, row.id, &election_log::new_sealed_key(ledger, row.id)?)?;
        let members: Vec<MemberRow> = group
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| MemberRow {
                election_id: row.id,
                seq: i32::try_from(i).unwrap_or(i32::MAX),
                name: m.name.clone(),
                role: m.role.as_str().to_owned(),
                user_id: None,
            })
            .collect();
        db::replace_members(conn, row.id, &members)?;
        let e = locked(conn, c, row.id)?;
        record(
            conn,
            ledger,
            c,
            &e,
            Event::preparation_group_formed(&group),
            now,
        )?;
        locked(conn, c, row.id)
    })
}

// ---- 2. the announcement ------------------------------------------------------------

/// Post the announcement (公告); returns the warnings it carries (a re-election started late).
pub fn announce(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    input: &AnnouncementInput,
) -> AppResult<Vec<Warning>> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = rules::validate_announcement(input, &Policy::default())?;
        if a.kind.as_str() != e.kind {
            return Err(vec![invalid("kind", "election-error-kind-differs")].into());
        }
        transition(s.step, Step::Announced, &a.timetable, now, &s.progress, "")?;
        db::set_announcement(
            conn,
            e.id,
            &serde_json::to_string(&a).map_err(AppError::internal)?,
        )?;
        let warnings = a.warnings();
        record(
            conn,
            ledger,
            c,
            &e,
            Event::Announced { announcement: a },
            now,
        )?;
        Ok(warnings)
    })
}

// ---- 3. nominations -----------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NominateInput {
    /// `self` (an owner nominates themself) or `co_signed` (an organiser enters a paper
    /// nomination with its co-signers).
    pub kind: String,
    /// For `co_signed`: the candidate's owner reference on the roster.
    #[serde(default)]
    pub candidate_owner_ref: Option<String>,
    #[serde(default)]
    pub statement: String,
    /// For `co_signed`: the co-signing owners' references.
    #[serde(default)]
    pub cosigner_owner_refs: Vec<String>,
}

/// Record a nomination inside the nomination window.
pub fn nominate(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    who: &Who,
    input: &NominateInput,
) -> AppResult<CandidateRow> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    use crate::domain::roles::Action;
    let kind = NominationKind::parse(input.kind.trim());
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        if s.step != Step::Nominating {
            rules::nomination_window(&a.timetable, now)?;
            return Err(Refusal::IllegalStep {
                from: s.step,
                to: Step::Nominating,
            }
            .into());
        }
        let owners = roster::owners(conn, c.id)?;
        let by_ref: HashMap<&str, &roster::Owner> =
            owners.iter().map(|o| (o.owner_ref.as_str(), o)).collect();
        let by_id: HashMap<i64, &roster::Owner> = owners.iter().map(|o| (o.id, o)).collect();
        let mut problems = Vec::new();
        let (candidate, cosigners) = match kind {
            Some(NominationKind::SelfNomination) => {
                let owner = who.grants.owner_in(c.id).ok_or(AppError::Forbidden)?;
                if !input.cosigner_owner_refs.is_empty() {
                    problems.push(invalid(
                        "cosigner_owner_refs",
                        "election-error-cosigners-unused",
                    ));
                }
                (by_id.get(&owner).copied(), Vec::new())
            }
            Some(NominationKind::CoSigned) => {
                if !who.grants.allows(Action::ManageBallots, c.id) {
                    // An owner starts an online nomination that other owners co-sign.
                    let owner = who.grants.owner_in(c.id).ok_or(AppError::Forbidden)?;
                    return cosign::start(conn, &e, &a, owner, who.id, input, &owners, now);
                }
                let candidate = input
                    .candidate_owner_ref
                    .as_deref()
                    .and_then(|r| by_ref.get(r.trim()).copied());
                let mut ids = Vec::new();
                for r in &input.cosigner_owner_refs {
                    match by_ref.get(r.trim()) {
                        Some(o) => ids.push(o.id),
                        // Not on the roster: an id no owner has, which the rules name.
                        None => ids.push(-1),
                    }
                }
                (candidate, ids)
            }
            None => (None, Vec::new()),
        };
        let already: Vec<i64> = db::candidates(conn, e.id)?
            .into_iter()
            .map(|(r, _)| r.owner_id)
            .collect();
        let nomination_input = NominationInput {
            kind: input.kind.clone(),
            candidate_owner: candidate.map_or(-1, |o| o.id),
            candidate_name: candidate.map(|o| o.name.clone()).unwrap_or_default(),
            statement: input.statement.clone(),
            cosigner_owners: cosigners,
        };
        let n = match rules::validate_nomination(
            &nomination_input,
            &a,
            now,
            candidate.is_some(),
            |o| by_id.contains_key(&o),
            &already,
        ) {
            Ok(n) if problems.is_empty() => n,
            Ok(_) => return Err(problems.into()),
            Err(more) => {
                problems.extend(more);
                return Err(problems.into());
            }
        };
        let row = db::insert_candidate(
            conn,
            &db::NewCandidate {
                election_id: e.id,
                community_id: c.id,
                owner_id: n.candidate_owner,
                self_nominated: n.kind == NominationKind::SelfNomination,
                nominated_by: who.id,
                statement: &n.statement,
                status: "nominated",
                created_at: now,
            },
        )?;
        for o in &n.cosigner_owners {
            db::cosign(conn, row.id, *o, who.id, now)?;
        }
        record(conn, ledger, c, &e, Event::nominated(row.id, &n), now)?;
        Ok(row)
    })
}

// ---- 4. the qualification review ----------------------------------------------------

/// Accept or reject a nomination, with a reason (资格审查).
pub fn review(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    candidate_id: i64,
    actor: i64,
    input: &ReviewInput,
) -> AppResult<CandidateRow> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        let (cand, _) = db::candidate(conn, e.id, candidate_id)?.ok_or(AppError::NotFound)?;
        if cand.status == "collecting" {
            return Err(AppError::Conflict(Msg::new(
                "election-error-still-collecting",
            )));
        }
        if s.step != Step::Reviewing {
            rules::review_window(&a.timetable, now)?;
            return Err(Refusal::IllegalStep {
                from: s.step,
                to: Step::Reviewing,
            }
            .into());
        }
        let r = rules::validate_review(input, &a, now)?;
        let status = match r.decision {
            Decision::Accepted => "accepted",
            Decision::Rejected => "rejected",
        };
        db::review_candidate(conn, cand.id, status, &r.reason, actor, now)?;
        record(conn, ledger, c, &e, Event::reviewed(cand.id, &r), now)?;
        Ok(db::candidate(conn, e.id, candidate_id)?
            .ok_or(AppError::NotFound)?
            .0)
    })
}

// ---- 5. publication and objections --------------------------------------------------

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ObjectionInput {
    pub text: String,
    /// The candidate the objection is about, if one.
    #[serde(default)]
    pub candidate_id: Option<i64>,
}

/// Record an objection to the published list (or, once counted, to the preliminary result).
pub fn object(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    who: &Who,
    input: &ObjectionInput,
) -> AppResult<ObjectionRow> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        ended(s.step)?;
        let a = announced(&s)?.clone();
        let stage = if s.progress.counted_at.is_some() {
            ObjectionStage::Result
        } else {
            ObjectionStage::CandidateList
        };
        if let Some(cid) = input.candidate_id {
            db::candidate(conn, e.id, cid)?.ok_or_else(|| {
                AppError::from(vec![invalid(
                    "candidate_id",
                    "election-error-no-such-candidate",
                )])
            })?;
        }
        // Outside its period an objection is refused outright (like every deadline), before
        // its text is looked at.
        rules::objection_window(stage, &a.timetable, &s.progress, now)?;
        let text = rules::validate_objection(stage, &input.text, &a, &s.progress, now)?;
        let row = db::insert_objection(
            conn,
            e.id,
            input.candidate_id,
            stage.as_str(),
            who.id,
            &text,
            now,
        )?;
        record(
            conn,
            ledger,
            c,
            &e,
            Event::ObjectionRecorded {
                stage,
                objection: row.id,
                text,
            },
            now,
        )?;
        Ok(row)
    })
}

/// Answer an objection (once).
pub fn answer(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    objection_id: i64,
    actor: i64,
    answer: &str,
) -> AppResult<ObjectionRow> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        ended(state(conn, &e, now)?.step)?;
        let o = db::objection(conn, e.id, objection_id)?.ok_or(AppError::NotFound)?;
        let text = rules::validate_answer(answer)?;
        if !db::answer_objection(conn, e.id, o.id, &text, actor, now)? {
            return Err(AppError::Conflict(Msg::new(
                "election-error-already-answered",
            )));
        }
        let stage = ObjectionStage::parse(&o.stage).unwrap_or(ObjectionStage::CandidateList);
        record(
            conn,
            ledger,
            c,
            &e,
            Event::ObjectionAnswered {
                stage,
                objection: o.id,
                answer: text,
            },
            now,
        )?;
        db::objection(conn, e.id, o.id)?.ok_or(AppError::NotFound)
    })
}

/// Call the election off, with a reason (until the result is certified).
pub fn cancel(conn: &mut DbConn, cx: &Scope<'_>, id: i64, reason: &str) -> AppResult<()> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let tt = s
            .announcement
            .as_ref()
            .map(|a| a.timetable)
            .unwrap_or_default();
        transition(s.step, Step::Cancelled, &tt, now, &s.progress, reason)?;
        record(
            conn,
            ledger,
            c,
            &e,
            Event::Cancelled {
                reason: reason.trim().to_owned(),
            },
            now,
        )?;
        Ok(())
    })
}

// ---- reading ------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct CandidateView {
    #[serde(flatten)]
    pub row: CandidateRow,
    pub name: String,
    pub cosigners: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectionView {
    #[serde(flatten)]
    pub row: ObjectionRow,
    pub raised_by_name: String,
}

/// Everything the election's page and the API show.
#[derive(Debug, Clone, Serialize)]
pub struct ElectionView {
    pub election: ElectionRow,
    /// The step now, with the schedule applied.
    pub step: Step,
    pub announcement: Option<Announcement>,
    pub warnings: Vec<Warning>,
    pub members: Vec<MemberRow>,
    pub candidates: Vec<CandidateView>,
    pub objections: Vec<ObjectionView>,
    pub progress: Progress,
    pub origin: String,
}

pub fn view(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    now: i64,
) -> AppResult<ElectionView> {
    let e = db::by_id(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    let s = state(conn, &e, now)?;
    let mut candidates = Vec::new();
    for (row, name) in db::candidates(conn, e.id)? {
        let cosigners: BTreeSet<i64> = db::cosigners(conn, row.id)?.into_iter().collect();
        candidates.push(CandidateView {
            cosigners: cosigners.len(),
            row,
            name,
        });
    }
    Ok(ElectionView {
        origin: origin(ledger, c, e.id),
        step: s.step,
        warnings: s
            .announcement
            .as_ref()
            .map(|a| a.warnings())
            .unwrap_or_default(),
        announcement: s.announcement,
        members: db::members(conn, e.id)?,
        candidates,
        objections: db::objections(conn, e.id)?
            .into_iter()
            .map(|(row, raised_by_name)| ObjectionView {
                row,
                raised_by_name,
            })
            .collect(),
        progress: s.progress,
        election: e,
    })
}
