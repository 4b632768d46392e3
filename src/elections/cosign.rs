//! Nominations co-signed online (联名提名): an owner nominates a fellow owner, other owners
//! co-sign it one by one inside the nomination window, and once the announcement's number of
//! co-signers is reached the nomination stands and is recorded in the election's log. Until
//! then it is `collecting`: kept, shown, but not a nomination (it is not reviewed or listed).

use std::collections::HashMap;

use serde::Serialize;

use super::{announced, locked, record, state, NominateInput, Scope};
use crate::db::elections::{self as db, CandidateRow, ElectionRow};
use crate::db::{roster, write_tx, DbConn};
use crate::domain::ballot::{check_text, invalid};
use crate::domain::election::{
    self as rules, Announcement, Event, NominationInput, NominationKind, Refusal, Step,
    MAX_STATEMENT_CHARS,
};
use crate::error::{AppError, AppResult, Msg};
use crate::forum::Who;

/// Start collecting co-signers: the nominating owner is the first.
#[allow(clippy::too_many_arguments)]
pub(super) fn start(
    conn: &mut DbConn,
    e: &ElectionRow,
    a: &Announcement,
    nominator_owner: i64,
    user_id: i64,
    input: &NominateInput,
    owners: &[roster::Owner],
    now: i64,
) -> AppResult<CandidateRow> {
    let mut problems = Vec::new();
    if let Err(r) = rules::nomination_window(&a.timetable, now) {
        return Err(r.into());
    }
    let statement = check_text(
        &mut problems,
        "statement",
        &input.statement,
        MAX_STATEMENT_CHARS,
        false,
    );
    let candidate = input
        .candidate_owner_ref
        .as_deref()
        .and_then(|r| owners.iter().find(|o| o.owner_ref == r.trim()));
    let Some(candidate) = candidate else {
        problems.push(invalid(
            "candidate_owner",
            "election-error-candidate-not-owner",
        ));
        return Err(problems.into());
    };
    if candidate.id == nominator_owner {
        problems.push(invalid("kind", "election-error-nominate-self-as-self"));
    }
    if !input.cosigner_owner_refs.is_empty() {
        problems.push(invalid(
            "cosigner_owner_refs",
            "election-error-cosign-yourselves",
        ));
    }
    if db::candidates(conn, e.id)?
        .iter()
        .any(|(r, _)| r.owner_id == candidate.id)
    {
        problems.push(invalid(
            "candidate_owner",
            "election-error-duplicate-candidate",
        ));
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let row = db::insert_candidate(
        conn,
        &db::NewCandidate {
            election_id: e.id,
            community_id: e.community_id,
            owner_id: candidate.id,
            self_nominated: false,
            nominated_by: user_id,
            statement: &statement,
            status: "collecting",
            created_at: now,
        },
    )?;
    db::cosign(conn, row.id, nominator_owner, user_id, now)?;
    Ok(row)
}

/// Where a co-signed nomination stands after a co-signature.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CosignState {
    pub candidate_id: i64,
    /// `collecting`, or `nominated` once enough owners co-signed.
    pub status: String,
    pub cosigners: usize,
    pub required: u32,
}

/// An owner co-signs a nomination that is collecting co-signers; the one that reaches the
/// announcement's number makes it a nomination, recorded in the log.
pub fn cosign_nomination(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    candidate_id: i64,
    who: &Who,
) -> AppResult<CosignState> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    let owner = who.grants.owner_in(c.id).ok_or(AppError::Forbidden)?;
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        let (cand, name) = db::candidate(conn, e.id, candidate_id)?.ok_or(AppError::NotFound)?;
        if s.step != Step::Nominating {
            rules::nomination_window(&a.timetable, now)?;
            return Err(Refusal::IllegalStep {
                from: s.step,
                to: Step::Nominating,
            }
            .into());
        }
        if cand.status != "collecting" {
            return Err(AppError::Conflict(Msg::new(
                "election-error-not-collecting",
            )));
        }
        if owner == cand.owner_id {
            return Err(AppError::Conflict(Msg::new("election-error-cosign-own")));
        }
        if !db::cosign(conn, cand.id, owner, who.id, now)? {
            return Err(AppError::Conflict(Msg::new(
                "election-error-cosigned-already",
            )));
        }
        let cosigners = db::cosigners(conn, cand.id)?;
        let mut status = "collecting";
        if cosigners.len() >= a.cosigners_required as usize {
            let owners: HashMap<i64, ()> = roster::owners(conn, c.id)?
                .into_iter()
                .map(|o| (o.id, ()))
                .collect();
            let others: Vec<i64> = db::candidates(conn, e.id)?
                .into_iter()
                .filter(|(r, _)| r.id != cand.id)
                .map(|(r, _)| r.owner_id)
                .collect();
            let n = rules::validate_nomination(
                &NominationInput {
                    kind: NominationKind::CoSigned.as_str().into(),
                    candidate_owner: cand.owner_id,
                    candidate_name: name,
                    statement: cand.statement.clone(),
                    cosigner_owners: cosigners.clone(),
                },
                &a,
                now,
                true,
                |o| owners.contains_key(&o),
                &others,
            )?;
            db::set_candidate_status(conn, cand.id, "nominated")?;
            record(conn, ledger, c, &e, Event::nominated(cand.id, &n), now)?;
            status = "nominated";
        }
        Ok(CosignState {
            candidate_id: cand.id,
            status: status.into(),
            cosigners: cosigners.len(),
            required: a.cosigners_required,
        })
    })
}
