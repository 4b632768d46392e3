//! Ballot papers (书面表决票), docs/verification.md §14: printing one paper per voter with
//! its one-time code, organisers entering and correcting returned papers with the SHA-256 of
//! each scan, and scrutineers confirming each entry (a second leaf) before it counts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::proxies::refusal;
use super::service::{clock_of, load_current};
use super::writer::CastChannel;
use super::Ledger;
use crate::db::ballots::{BallotRow, VoterRow};
use crate::db::casting as db_casting;
use crate::db::communities::Community;
use crate::db::{accounts, DbConn};
use crate::domain::ballot::{self, Answer, Leaf};
use crate::domain::casting::{self, Refusal};
use crate::domain::lifecycle::{self, Status};
use crate::domain::roles::{Action, Grants};
use crate::error::{AppError, AppResult, FieldError, Msg};

/// One voter's ballot paper, for printing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sheet {
    pub voter: i64,
    pub rooms: Vec<String>,
    pub area_centi: i64,
    pub headcount: i64,
    /// The paper's one-time code, `XXXX-XXXX-XXXX`.
    pub code: String,
    /// A paper of this voter was already entered (the code is used).
    pub entered: bool,
}

fn require_organiser(grants: &Grants, c: &Community) -> AppResult<()> {
    if grants.allows(Action::ManageBallots, c.id) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The ballot, announced or open and before close (papers are printed, entered and
/// confirmed only then).
fn live_ballot(conn: &mut DbConn, ledger: &Ledger, c: &Community, id: i64) -> AppResult<BallotRow> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let live = matches!(b.status(), Status::Announced | Status::Open);
    if !live || ledger.clock.now() >= b.closes_at {
        return Err(AppError::Conflict(Msg::new("paper-error-not-open")));
    }
    Ok(b)
}

/// Every voter's paper (organisers).
pub fn sheets(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    grants: &Grants,
) -> AppResult<(BallotRow, Vec<Sheet>)> {
    require_organiser(grants, c)?;
    let b = live_ballot(conn, ledger, c, id)?;
    let key = ledger.key(&b)?;
    let entered: std::collections::BTreeSet<i64> = db_casting::paper_leaves(conn, b.id)?
        .iter()
        .map(|l| l.voter_index)
        .collect();
    let sheets = db_casting::voters(conn, b.id)?
        .into_iter()
        .map(|v| Sheet {
            code: key.paper_code(v.voter_index as u64),
            entered: entered.contains(&v.voter_index),
            rooms: v.rooms(),
            voter: v.voter_index,
            area_centi: v.area_centi,
            headcount: v.headcount,
        })
        .collect();
    Ok((b, sheets))
}

/// A returned paper as an organiser enters it, or a correction of an entry.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PaperInput {
    /// The paper's one-time code (a new entry), as printed: `XXXX-XXXX-XXXX`.
    #[serde(default)]
    pub code: Option<String>,
    /// A correction: the leaf index of any entry of the paper family to correct.
    #[serde(default)]
    pub corrects: Option<i64>,
    /// The SHA-256 of the paper's scan, 64 hex digits.
    pub scan_sha256: String,
    /// The answers marked on the paper.
    pub answers: Vec<Answer>,
}

/// A paper entry ready for the writer.
pub type Prepared = (Arc<BallotRow>, VoterRow, Vec<Answer>, CastChannel);

/// Check a paper entry or correction (organisers) and name its voter: by the paper's code,
/// or by the corrected entry.
pub fn prepare_entry(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    grants: &Grants,
    input: &PaperInput,
) -> AppResult<Prepared> {
    require_organiser(grants, c)?;
    let b = live_ballot(conn, ledger, c, id)?;
    if !lifecycle::accepts_casts(b.status(), &clock_of(ledger, c, &b)) {
        return Err(AppError::Conflict(Msg::new("cast-error-not-open")));
    }
    let mut problems = Vec::new();
    let scan = casting::normalise_sha256(&input.scan_sha256);
    if !casting::is_sha256_hex(&scan) {
        problems.push(FieldError::new(
            "scan_sha256",
            Msg::new(Refusal::ScanHash.message_id()),
        ));
    }
    let voter = match (&input.code, input.corrects) {
        (Some(code), None) => match casting::normalise_paper_code(code) {
            Ok(code) => {
                let key = ledger.key(&b)?;
                let found = db_casting::voters(conn, b.id)?.into_iter().find(|v| {
                    crate::crypto::tokens::constant_time_eq(
                        key.paper_code(v.voter_index as u64).as_bytes(),
                        code.as_bytes(),
                    )
                });
                if found.is_none() {
                    problems.push(FieldError::new(
                        "code",
                        Msg::new("paper-error-code-unknown"),
                    ));
                }
                found
            }
            Err(r) => {
                problems.push(FieldError::new("code", Msg::new(r.message_id())));
                None
            }
        },
        (None, Some(target)) => match db_casting::leaf(conn, b.id, target)? {
            Some(l) if l.channel == "paper" => db_casting::voter(conn, b.id, l.voter_index)?,
            _ => {
                problems.push(FieldError::new(
                    "corrects",
                    Msg::new(Refusal::CorrectionUnknown.message_id()),
                ));
                None
            }
        },
        _ => {
            problems.push(FieldError::new(
                "code",
                Msg::new("paper-error-code-or-correction"),
            ));
            None
        }
    };
    let answers = match ballot::validate_answers(&b.questions(), &input.answers) {
        Ok(a) => Some(a),
        Err(p) => {
            problems.push(FieldError::new(p.field, Msg::new(p.message)));
            None
        }
    };
    match (voter, answers) {
        (Some(voter), Some(answers)) if problems.is_empty() => Ok((
            Arc::new(b),
            voter,
            answers,
            CastChannel::Paper {
                scan_sha256: scan,
                corrects: input.corrects,
            },
        )),
        _ => Err(AppError::Validation(problems)),
    }
}

/// Check a scrutineer's confirmation of the paper entry `seen`: the user is one of the
/// ballot's scrutineers (their position in the manifest goes into the leaf).
pub fn prepare_confirm(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    user_id: i64,
    seen: i64,
) -> AppResult<Prepared> {
    let b = live_ballot(conn, ledger, c, id)?;
    if !lifecycle::accepts_casts(b.status(), &clock_of(ledger, c, &b)) {
        return Err(AppError::Conflict(Msg::new("cast-error-not-open")));
    }
    let position = crate::db::tally::scrutineer_position(conn, b.id, user_id)?
        .map(i64::from)
        .ok_or(AppError::Forbidden)?;
    let shown = match db_casting::leaf(conn, b.id, seen)? {
        Some(l) if l.channel == "paper" => l,
        _ => return Err(refusal(Refusal::CorrectionUnknown)),
    };
    let voter = db_casting::voter(conn, b.id, shown.voter_index)?.ok_or(AppError::NotFound)?;
    Ok((
        Arc::new(b),
        voter,
        Vec::new(),
        CastChannel::Confirm { seen, position },
    ))
}

/// A paper entry waiting for a scrutineer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingPaper {
    pub leaf_index: i64,
    pub voter: i64,
    pub rooms: Vec<String>,
    pub answers: Vec<Answer>,
    pub scan_sha256: String,
    /// The original entry of its family, when this is a correction.
    pub corrects: Option<i64>,
    pub entered_by: String,
    pub entered_at: i64,
}

/// The paper entries waiting for confirmation (organisers and the ballot's scrutineers).
pub fn pending(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    id: i64,
    user_id: i64,
    grants: &Grants,
) -> AppResult<Vec<PendingPaper>> {
    let b = load_current(conn, ledger, c, id)?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let scrutineer = crate::db::tally::scrutineer_position(conn, b.id, user_id)?.is_some();
    if !scrutineer && !grants.allows(Action::ManageBallots, c.id) {
        return Err(AppError::Forbidden);
    }
    let papers = db_casting::paper_leaves(conn, b.id)?;
    let mut by_voter: std::collections::BTreeMap<i64, Vec<&crate::db::ballots::LeafRow>> =
        Default::default();
    for p in &papers {
        by_voter.entry(p.voter_index).or_default().push(p);
    }
    let mut out = Vec::new();
    for (voter, rows) in by_voter {
        let entries: Vec<_> = rows.iter().map(|r| r.entry()).collect();
        for seq in casting::awaiting_confirmation(&entries, b.closes_at) {
            let Some(row) = rows.iter().find(|r| r.leaf_index as u64 == seq) else {
                continue;
            };
            let leaf: Leaf = serde_json::from_str(&row.leaf).map_err(AppError::internal)?;
            let by = match row.cast_by {
                Some(u) => accounts::user_by_id(conn, u)?.map(|u| u.display_name),
                None => None,
            };
            out.push(PendingPaper {
                leaf_index: row.leaf_index,
                voter,
                rooms: db_casting::voter(conn, b.id, voter)?
                    .map(|v| v.rooms())
                    .unwrap_or_default(),
                answers: leaf.answers,
                scan_sha256: row.scan_sha256.clone().unwrap_or_default(),
                corrects: row.corrects,
                entered_by: by.unwrap_or_default(),
                entered_at: row.cast_at,
            });
        }
    }
    out.sort_by_key(|p| p.leaf_index);
    Ok(out)
}
