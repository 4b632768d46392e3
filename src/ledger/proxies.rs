//! Proxy authorisations (委托书) and casting by proxy (委托投票), docs/verification.md §14.
//!
//! An owner authorises another person (an account of the service) for one ballot, either
//! signed in the service by the owner, or on paper entered by an organiser with the SHA-256
//! of the scan. Authorisations are checked and written under the ballot's row lock (the lock
//! the writer takes), so the proxy cap, "one active authorisation per owner" and "revocable
//! until the proxy has voted" hold however requests interleave.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::service::load_current;
use super::Ledger;
use crate::db::ballots::{self as db_ballots, BallotRow, VoterRow};
use crate::db::casting::{self as db_casting, AuthorisationRow, NewAuthorisation};
use crate::db::communities::Community;
use crate::db::{accounts, audit, write_tx, DbConn};
use crate::domain::ballot::{self, Answer};
use crate::domain::casting::{self, AuthorisationSource, ProxyAuthorisation, Refusal};
use crate::domain::lifecycle::{self, Status};
use crate::domain::roles::{Action, Grants};
use crate::error::{AppError, AppResult, FieldError, Msg};

/// The error a refusal of the casting rules becomes: bad input (a malformed scan hash or
/// paper code, a proxy for oneself) is 422 on its field, everything else 409 with the
/// rule's message.
pub fn refusal(r: Refusal) -> AppError {
    let msg = Msg::new(r.message_id());
    match r {
        Refusal::ScanHash => AppError::Validation(vec![FieldError::new("scan_sha256", msg)]),
        Refusal::PaperCode => AppError::Validation(vec![FieldError::new("code", msg)]),
        Refusal::ProxySelf => AppError::Validation(vec![FieldError::new("proxy", msg)]),
        _ => AppError::Conflict(msg),
    }
}

/// A request to authorise a proxy.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AuthoriseInput {
    /// The proxy's account name (login).
    pub proxy: String,
    /// Organisers entering a paper authorisation: the owner's voter index in the ballot's
    /// electorate. Owners authorising online leave it out (their own voter is used).
    #[serde(default)]
    pub voter: Option<i64>,
    /// Organisers: the SHA-256 of the paper authorisation's scan (64 hex digits).
    #[serde(default)]
    pub scan_sha256: Option<String>,
}

/// An authorisation as its owner, its proxy and the organisers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthorisationView {
    pub id: i64,
    pub ballot: i64,
    pub voter: i64,
    pub rooms: Vec<String>,
    pub proxy_login: String,
    pub proxy_name: String,
    /// `online` or `paper`.
    pub source: String,
    pub scan_sha256: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The proxy has cast a ballot for the owner under it (it can no longer be revoked).
    pub used: bool,
}

/// Whether the ballot still takes authorisations and proxy ballots: announced or open,
/// before close.
fn accepts_authorisations(ledger: &Ledger, b: &BallotRow) -> AppResult<()> {
    let live = matches!(b.status(), Status::Announced | Status::Open);
    if !live || ledger.clock.now() >= b.closes_at {
        return Err(AppError::Conflict(Msg::new("proxy-error-not-open")));
    }
    Ok(())
}

fn organiser(grants: &Grants, c: &Community) -> bool {
    grants.allows(Action::ManageBallots, c.id)
}

/// Record an authorisation: online by the owner (`input.voter` absent), or from paper by an
/// organiser (`input.voter` and `input.scan_sha256`).
pub fn authorise(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    user_id: i64,
    grants: &Grants,
    input: &AuthoriseInput,
) -> AppResult<AuthorisationView> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let (voter, source) = match (&input.voter, &input.scan_sha256) {
        (None, None) => {
            let v = db_ballots::voter_for(conn, b.id, c.id, grants)?.ok_or(AppError::Forbidden)?;
            (v, AuthorisationSource::Online)
        }
        (voter, scan) => {
            if !organiser(grants, c) {
                return Err(AppError::Forbidden);
            }
            let mut problems = Vec::new();
            let v = match voter {
                Some(v) => db_casting::voter(conn, b.id, *v)?,
                None => None,
            };
            if v.is_none() {
                problems.push(FieldError::new("voter", Msg::new("proxy-error-voter")));
            }
            let scan = casting::normalise_sha256(scan.as_deref().unwrap_or_default());
            if !casting::is_sha256_hex(&scan) {
                problems.push(FieldError::new(
                    "scan_sha256",
                    Msg::new(Refusal::ScanHash.message_id()),
                ));
            }
            match v {
                Some(v) if problems.is_empty() => {
                    (v, AuthorisationSource::Paper { scan_sha256: scan })
                }
                _ => return Err(AppError::Validation(problems)),
            }
        }
    };
    let proxy = accounts::user_by_login(conn, input.proxy.trim())?.ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "proxy",
            Msg::new("proxy-error-unknown-account"),
        )])
    })?;
    let proxy_voter = match proxy.owner_id.filter(|_| proxy.community_id == Some(c.id)) {
        Some(o) => db_ballots::voter_of_owner(conn, b.id, o)?.map(|v| v.voter_index),
        None => None,
    };
    let now = ledger.clock.now();
    write_tx(conn, |conn| {
        lock(conn, b.id)?;
        let b = db_ballots::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
        accepts_authorisations(ledger, &b)?;
        let existing: Vec<ProxyAuthorisation> = db_casting::authorisations(conn, b.id)?
            .iter()
            .map(AuthorisationRow::rule)
            .collect();
        let new = ProxyAuthorisation {
            id: 0,
            owner: voter.voter_index,
            proxy: proxy.id,
            proxy_voter,
            source: source.clone(),
            revoked: false,
        };
        casting::validate_authorisation(&new, &existing, b.casting().proxy_cap).map_err(refusal)?;
        if let Some(hash) = source.scan_sha256() {
            let (family, _) = db_casting::scan_use(conn, b.id, hash)?;
            if family.is_some() {
                return Err(refusal(Refusal::ScanReused));
            }
        }
        let row = db_casting::insert_authorisation(
            conn,
            &NewAuthorisation {
                community_id: c.id,
                ballot_id: b.id,
                voter_index: voter.voter_index,
                proxy_user_id: proxy.id,
                proxy_voter,
                source: &source,
                created_by: user_id,
                created_at: now,
            },
        )?;
        audit::append(
            conn,
            Some(c.id),
            Some(user_id),
            "ballot.proxy_authorise",
            &serde_json::json!({}),
            &serde_json::json!({ "ballot": b.id, "authorisation": row.id,
                "voter": row.voter_index, "source": row.source }),
        )?;
        view_of(conn, row, &voter, false)
    })
}

/// Take the ballot's row lock (the writer's), inside the caller's transaction.
fn lock(conn: &mut DbConn, ballot_id: i64) -> AppResult<()> {
    db_ballots::lock_for_append(conn, ballot_id)?.ok_or(AppError::NotFound)?;
    Ok(())
}

/// The view of an authorisation; `used`: a proxy ballot was cast under it.
fn view_of(
    conn: &mut DbConn,
    row: AuthorisationRow,
    voter: &VoterRow,
    used: bool,
) -> AppResult<AuthorisationView> {
    let proxy = accounts::user_by_id(conn, row.proxy_user_id)?;
    Ok(AuthorisationView {
        id: row.id,
        ballot: row.ballot_id,
        voter: row.voter_index,
        rooms: voter.rooms(),
        proxy_login: proxy.as_ref().map(|u| u.login.clone()).unwrap_or_default(),
        proxy_name: proxy.map(|u| u.display_name).unwrap_or_default(),
        source: row.source,
        scan_sha256: row.scan_sha256,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        used,
    })
}

/// Who sees which authorisations: organisers all of them; an owner those of their voter;
/// a proxy those they hold.
pub fn list(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    user_id: i64,
    grants: &Grants,
) -> AppResult<Vec<AuthorisationView>> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let all = organiser(grants, c);
    let own = db_ballots::voter_for(conn, b.id, c.id, grants)?.map(|v| v.voter_index);
    let rows: Vec<AuthorisationRow> = db_casting::authorisations(conn, b.id)?
        .into_iter()
        .filter(|a| all || Some(a.voter_index) == own || a.proxy_user_id == user_id)
        .collect();
    let used = db_casting::used_authorisations(conn, b.id)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let voter = db_casting::voter(conn, b.id, row.voter_index)?.ok_or(AppError::NotFound)?;
        let used = used.contains(&row.id);
        out.push(view_of(conn, row, &voter, used)?);
    }
    Ok(out)
}

/// Revoke an authorisation: by its owner, or by an organiser (recording a revocation given on
/// paper). Refused once the proxy has voted for the owner.
pub fn revoke(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    authorisation: i64,
    user_id: i64,
    grants: &Grants,
) -> AppResult<AuthorisationView> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let own = db_ballots::voter_for(conn, b.id, c.id, grants)?.map(|v| v.voter_index);
    let now = ledger.clock.now();
    write_tx(conn, |conn| {
        lock(conn, b.id)?;
        let row = db_casting::authorisations(conn, b.id)?
            .into_iter()
            .find(|a| a.id == authorisation)
            .ok_or(AppError::NotFound)?;
        if Some(row.voter_index) != own && !organiser(grants, c) {
            return Err(AppError::Forbidden);
        }
        let entries: Vec<_> = db_casting::ledger(conn, b.id, row.voter_index)?
            .iter()
            .map(|l| l.entry())
            .collect();
        casting::revoke(&row.rule(), &entries).map_err(refusal)?;
        if !db_casting::revoke_authorisation(conn, b.id, row.id, user_id, now)? {
            return Err(refusal(Refusal::AlreadyRevoked));
        }
        audit::append(
            conn,
            Some(c.id),
            Some(user_id),
            "ballot.proxy_revoke",
            &serde_json::json!({ "ballot": b.id, "authorisation": row.id }),
            &serde_json::json!({ "revoked_at": now }),
        )?;
        let row = db_casting::authorisations(conn, b.id)?
            .into_iter()
            .find(|a| a.id == authorisation)
            .ok_or(AppError::NotFound)?;
        let voter = db_casting::voter(conn, b.id, row.voter_index)?.ok_or(AppError::NotFound)?;
        // Revoking is refused once a proxy ballot was cast under it.
        view_of(conn, row, &voter, false)
    })
}

/// Everything checked before a proxy's cast is queued: the ballot accepts casts, the voter
/// exists, the answers fit. The writer checks the authorisation and the conflict rule under
/// the ballot's lock.
pub fn prepare_proxy_cast(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    voter: i64,
    answers: &[Answer],
) -> AppResult<(Arc<BallotRow>, VoterRow, Vec<Answer>)> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let clock = super::service::clock_of(ledger, c, &b);
    if !lifecycle::accepts_casts(b.status(), &clock) {
        return Err(AppError::Conflict(Msg::new("cast-error-not-open")));
    }
    let voter =
        db_casting::voter(conn, b.id, voter)?.ok_or_else(|| refusal(Refusal::ProxyUnauthorised))?;
    let answers = ballot::validate_answers(&b.questions(), answers)
        .map_err(|p| AppError::Validation(vec![FieldError::new(p.field, Msg::new(p.message))]))?;
    Ok((Arc::new(b), voter, answers))
}
