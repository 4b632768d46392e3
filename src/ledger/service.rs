//! Ballot operations shared by the pages and the API: drafting, lifecycle actions, the
//! schedule, and preparing a cast. Each runs on a database connection (inside `web::block`).

use std::sync::Arc;

use super::{announce, count, Ledger};
use crate::db::ballots::{self as db_ballots, BallotRow, VoterRow};
use crate::db::communities::Community;
use crate::db::{audit, roster, write_tx, DbConn};
use crate::domain::ballot::{self, Answer, DefinitionInput};
use crate::domain::lifecycle::{self, Action, Status};
use crate::domain::notification::Kind;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::notify;

pub(crate) fn clock_of(ledger: &Ledger, c: &Community, b: &BallotRow) -> lifecycle::Clock {
    lifecycle::Clock {
        now: ledger.clock.now(),
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        notice_days: i64::from(c.notice_days),
        objection_ends_at: b.objection_ends_at.unwrap_or(i64::MAX),
    }
}

/// Check a submitted definition: its own rules, and that its scrutineers are the community's.
pub(crate) fn validate(
    conn: &mut DbConn,
    c: &Community,
    input: &DefinitionInput,
) -> AppResult<ballot::Definition> {
    let buildings: Vec<i64> = roster::buildings(conn, c.id)?
        .iter()
        .map(|b| b.id)
        .collect();
    let def = ballot::validate_definition(input, &buildings).map_err(AppError::from)?;
    let candidates = crate::db::tally::candidates(conn, c.id)?;
    if def
        .scrutineers
        .iter()
        .any(|id| !candidates.iter().any(|s| s.user_id == *id))
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "scrutineers",
            Msg::new("ballot-error-not-scrutineer"),
        )]));
    }
    Ok(def)
}

/// Create a draft from a submitted definition.
pub fn create(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    actor: i64,
    input: &DefinitionInput,
) -> AppResult<BallotRow> {
    let def = validate(conn, c, input)?;
    write_tx(conn, |conn| {
        let row = db_ballots::insert_draft(
            conn,
            c.id,
            &def,
            c.notice_days,
            &c.notice_reason,
            actor,
            ledger.clock.now(),
        )?;
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "ballot.create",
            &serde_json::json!({}),
            &serde_json::json!({ "ballot": row.id, "title": row.title }),
        )?;
        Ok(row)
    })
}

/// Replace a draft's definition; announced ballots are frozen.
pub fn update(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    actor: i64,
    id: i64,
    input: &DefinitionInput,
) -> AppResult<BallotRow> {
    let def = validate(conn, c, input)?;
    // A ballot adopting a convention keeps the shape its adoption depends on: the kind and
    // rule the law sets for that convention, and one agree/disagree question.
    if let Some((conv, _)) = crate::db::conventions::by_ballot(conn, id)? {
        let (kind, rule) = crate::domain::convention::ballot_shape(conv.kind());
        let one_yes_no =
            def.questions.len() == 1 && def.questions[0].kind == ballot::QuestionKind::YesNo;
        if def.kind != kind || def.counting_rule != rule || !one_yes_no {
            return Err(AppError::Validation(vec![FieldError::new(
                "counting_rule",
                Msg::new("ballot-error-convention-shape"),
            )]));
        }
    }
    write_tx(conn, |conn| {
        let before = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
        if !db_ballots::update_draft(conn, id, &def, ledger.clock.now())? {
            return Err(AppError::Conflict(Msg::new("ballot-error-frozen")));
        }
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "ballot.edit",
            &serde_json::json!({ "ballot": id, "title": before.title }),
            &serde_json::json!({ "ballot": id, "title": def.title }),
        )?;
        db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)
    })
}

/// Load a ballot, first applying what its schedule says has happened (opening at `opens_at`,
/// closing at `closes_at` with the final checkpoint and the preliminary count).
pub fn load_current(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
) -> AppResult<BallotRow> {
    let b = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    if lifecycle::scheduled(b.status(), &clock_of(ledger, c, &b)).is_empty() {
        return Ok(b);
    }
    write_tx(conn, |conn| apply_scheduled(conn, ledger, c, id))
}

/// Apply the scheduled steps inside the caller's transaction.
fn apply_scheduled(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
) -> AppResult<BallotRow> {
    let b = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    for (action, to) in lifecycle::scheduled(b.status(), &clock_of(ledger, c, &b)) {
        let from = db_ballots::get(conn, c.id, id)?
            .ok_or(AppError::NotFound)?
            .status();
        if db_ballots::set_status(conn, id, from, to, "", ledger.clock.now())? {
            after_transition(conn, ledger, c, id, to)?;
            audit::append(
                conn,
                Some(c.id),
                None,
                &format!("ballot.{}", action.as_str()),
                &serde_json::json!({ "ballot": id, "status": from.as_str() }),
                &serde_json::json!({ "ballot": id, "status": to.as_str(), "by": "schedule" }),
            )?;
        }
    }
    db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)
}

/// Side effects of entering a state: opening tells the voters' users; closing signs the final
/// checkpoint and tells them; tallying writes the signed preliminary record, finalising the
/// final one.
fn after_transition(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    to: Status,
) -> AppResult<()> {
    let b = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    match to {
        Status::Open => notify::on_ballot(conn, c, id, Kind::BallotOpen, ledger.clock.now()),
        Status::Closed => {
            let origin = ballot::origin(&ledger.log_name, &c.slug, id);
            ledger.ensure_checkpoint(conn, &b, &origin, b.log_size as u64)?;
            notify::on_ballot(conn, c, id, Kind::BallotClose, ledger.clock.now());
        }
        Status::Tallied => count::preliminary(conn, ledger, c, &b)?,
        Status::Finalised => count::finalise(conn, ledger, &b)?,
        // A convention's version put to this vote is adopted or rejected by the result.
        Status::Certified => super::conventions::on_certified(conn, ledger, &b)?,
        Status::Cancelled => crate::db::conventions::release(conn, id)?,
        _ => {}
    }
    Ok(())
}

/// Apply an organiser's lifecycle action.
#[allow(clippy::too_many_arguments)]
pub fn act(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    actor: i64,
    id: i64,
    action: Action,
    reason: &str,
    year: i32,
) -> AppResult<BallotRow> {
    let reason = reason.trim();
    if reason.chars().count() > ballot::MAX_TEXT_CHARS {
        return Err(AppError::Validation(vec![FieldError::new(
            "reason",
            Msg::new("ballot-error-too-long"),
        )]));
    }
    // Let the schedule catch up first, so "open" at the opening hour is not refused as illegal
    // by a stale state, and "close" after the window reports what happened.
    let current = load_current(conn, ledger, c, id)?;
    write_tx(conn, |conn| {
        let b = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
        if b.status() != current.status() {
            return Err(AppError::Conflict(Msg::new("lifecycle-illegal")));
        }
        let from = b.status();
        let row = if action == Action::Announce {
            announce::announce(conn, ledger, c, &b, year)?
        } else {
            let to = lifecycle::transition(from, action, &clock_of(ledger, c, &b), reason)
                .map_err(|r| AppError::Conflict(Msg::new(r.message_id())))?;
            if action == Action::Certify && !count::can_certify(conn, &b)? {
                return Err(AppError::Conflict(
                    Msg::new("tally-error-cosignatures").arg("n", b.cosignatures_required),
                ));
            }
            if !db_ballots::set_status(conn, id, from, to, reason, ledger.clock.now())? {
                return Err(AppError::Conflict(Msg::new("lifecycle-illegal")));
            }
            after_transition(conn, ledger, c, id, to)?;
            // Closing by hand counts at once, as the schedule would.
            apply_scheduled(conn, ledger, c, id)?
        };
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            &format!("ballot.{}", action.as_str()),
            &serde_json::json!({ "ballot": id, "status": from.as_str() }),
            &serde_json::json!({ "ballot": id, "status": row.status, "reason": reason }),
        )?;
        Ok(row)
    })
}

/// Everything checked before a cast is queued: the ballot accepts casts, the user (an owner, or
/// a resident for a residents' convention) is in
/// its electorate, the answers fit the questions. The writer re-checks the window and replays
/// under the ballot's lock.
pub fn prepare_cast(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    grants: &crate::domain::roles::Grants,
    answers: &[Answer],
) -> AppResult<(Arc<BallotRow>, VoterRow, Vec<Answer>)> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    if !lifecycle::accepts_casts(b.status(), &clock_of(ledger, c, &b)) {
        return Err(AppError::Conflict(Msg::new("cast-error-not-open")));
    }
    let voter = db_ballots::voter_for(conn, id, c.id, grants)?.ok_or(AppError::Forbidden)?;
    let answers = ballot::validate_answers(&b.questions(), answers)
        .map_err(|p| AppError::Validation(vec![FieldError::new(p.field, Msg::new(p.message))]))?;
    Ok((Arc::new(b), voter, answers))
}
