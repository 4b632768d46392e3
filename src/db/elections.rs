//! Elections of the owners' committee: the procedure's rows and its event log.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    election_candidates, election_checkpoints, election_cosigners, election_events,
    election_members, election_objections, elections, owners, users,
};
use super::{DbConn, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = elections)]
pub struct ElectionRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub kind: String,
    pub step: String,
    pub announcement: Option<String>,
    pub ballot_id: Option<i64>,
    #[serde(skip)]
    pub sealed_key: String,
    pub log_size: i64,
    pub certified_at: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = elections)]
pub struct NewElection<'a> {
    pub community_id: i64,
    pub title: &'a str,
    pub kind: &'a str,
    pub step: &'a str,
    pub sealed_key: &'a str,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewElection<'_>) -> DbResult<ElectionRow> {
    Ok(diesel::insert_into(elections::table)
        .values(new)
        .returning(elections::all_columns)
        .get_result::<ElectionRow>(conn)?)
}

/// Replace the sealed key (it is made after the row, to bind it to the election's id).
pub fn set_key(conn: &mut DbConn, id: i64, sealed: &str) -> DbResult<()> {
    diesel::update(elections::table.find(id))
        .set(elections::sealed_key.eq(sealed))
        .execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<ElectionRow>> {
    Ok(elections::table
        .filter(elections::id.eq(id))
        .filter(elections::community_id.eq(community_id))
        .select(ElectionRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

pub fn list(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<ElectionRow>> {
    Ok(elections::table
        .filter(elections::community_id.eq(community_id))
        .order(elections::id.desc())
        .select(ElectionRow::as_select())
        .load(conn)?)
}

/// Take the election's row lock (PostgreSQL: held to the end of the transaction; SQLite: the
/// write lock is already held) and read it again.
pub fn lock(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<ElectionRow>> {
    let n = diesel::update(
        elections::table
            .filter(elections::id.eq(id))
            .filter(elections::community_id.eq(community_id)),
    )
    .set(elections::log_size.eq(elections::log_size))
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    by_id(conn, community_id, id)
}

pub fn set_step(conn: &mut DbConn, id: i64, step: &str, now: i64) -> DbResult<()> {
    diesel::update(elections::table.find(id))
        .set((elections::step.eq(step), elections::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn set_announcement(conn: &mut DbConn, id: i64, json: &str) -> DbResult<()> {
    diesel::update(elections::table.find(id))
        .set(elections::announcement.eq(json))
        .execute(conn)?;
    Ok(())
}

pub fn set_ballot(conn: &mut DbConn, id: i64, ballot_id: i64) -> DbResult<()> {
    diesel::update(elections::table.find(id))
        .set(elections::ballot_id.eq(ballot_id))
        .execute(conn)?;
    Ok(())
}

pub fn set_certified(conn: &mut DbConn, id: i64, at: i64) -> DbResult<()> {
    diesel::update(elections::table.find(id))
        .set(elections::certified_at.eq(at))
        .execute(conn)?;
    Ok(())
}

// ---- the preparation group ----------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = election_members)]
pub struct MemberRow {
    pub election_id: i64,
    pub seq: i32,
    pub name: String,
    pub role: String,
    pub user_id: Option<i64>,
}

pub fn replace_members(conn: &mut DbConn, election_id: i64, rows: &[MemberRow]) -> DbResult<()> {
    diesel::delete(election_members::table.filter(election_members::election_id.eq(election_id)))
        .execute(conn)?;
    for row in rows {
        diesel::insert_into(election_members::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn members(conn: &mut DbConn, election_id: i64) -> DbResult<Vec<MemberRow>> {
    Ok(election_members::table
        .filter(election_members::election_id.eq(election_id))
        .order(election_members::seq)
        .select(MemberRow::as_select())
        .load(conn)?)
}

// ---- candidates ---------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = election_candidates)]
pub struct CandidateRow {
    pub id: i64,
    pub election_id: i64,
    pub community_id: i64,
    pub owner_id: i64,
    pub self_nominated: bool,
    pub nominated_by: i64,
    pub statement: String,
    pub status: String,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = election_candidates)]
pub struct NewCandidate<'a> {
    pub election_id: i64,
    pub community_id: i64,
    pub owner_id: i64,
    pub self_nominated: bool,
    pub nominated_by: i64,
    pub statement: &'a str,
    pub status: &'a str,
    pub created_at: i64,
}

pub fn insert_candidate(conn: &mut DbConn, new: &NewCandidate<'_>) -> DbResult<CandidateRow> {
    Ok(diesel::insert_into(election_candidates::table)
        .values(new)
        .returning(election_candidates::all_columns)
        .get_result::<CandidateRow>(conn)?)
}

/// Candidates with the owner's name, in nomination order.
pub fn candidates(conn: &mut DbConn, election_id: i64) -> DbResult<Vec<(CandidateRow, String)>> {
    Ok(election_candidates::table
        .inner_join(
            owners::table.on(owners::id
                .eq(election_candidates::owner_id)
                .and(owners::community_id.eq(election_candidates::community_id))),
        )
        .filter(election_candidates::election_id.eq(election_id))
        .order(election_candidates::id)
        .select((CandidateRow::as_select(), owners::name))
        .load(conn)?)
}

pub fn candidate(
    conn: &mut DbConn,
    election_id: i64,
    id: i64,
) -> DbResult<Option<(CandidateRow, String)>> {
    Ok(election_candidates::table
        .inner_join(
            owners::table.on(owners::id
                .eq(election_candidates::owner_id)
                .and(owners::community_id.eq(election_candidates::community_id))),
        )
        .filter(election_candidates::election_id.eq(election_id))
        .filter(election_candidates::id.eq(id))
        .select((CandidateRow::as_select(), owners::name))
        .load(conn)?
        .into_iter()
        .next())
}

pub fn set_candidate_status(conn: &mut DbConn, id: i64, status: &str) -> DbResult<()> {
    diesel::update(election_candidates::table.find(id))
        .set(election_candidates::status.eq(status))
        .execute(conn)?;
    Ok(())
}

pub fn review_candidate(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    reason: &str,
    by: i64,
    at: i64,
) -> DbResult<()> {
    diesel::update(election_candidates::table.find(id))
        .set((
            election_candidates::status.eq(status),
            election_candidates::review_reason.eq(reason),
            election_candidates::reviewed_by.eq(by),
            election_candidates::reviewed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Record a co-signature; false when this owner already co-signed.
pub fn cosign(
    conn: &mut DbConn,
    candidate_id: i64,
    owner_id: i64,
    user_id: i64,
    at: i64,
) -> DbResult<bool> {
    let exists: i64 = election_cosigners::table
        .filter(election_cosigners::candidate_id.eq(candidate_id))
        .filter(election_cosigners::owner_id.eq(owner_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(election_cosigners::table)
        .values((
            election_cosigners::candidate_id.eq(candidate_id),
            election_cosigners::owner_id.eq(owner_id),
            election_cosigners::user_id.eq(user_id),
            election_cosigners::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The owners who co-signed a nomination.
pub fn cosigners(conn: &mut DbConn, candidate_id: i64) -> DbResult<Vec<i64>> {
    Ok(election_cosigners::table
        .filter(election_cosigners::candidate_id.eq(candidate_id))
        .order(election_cosigners::created_at)
        .select(election_cosigners::owner_id)
        .load(conn)?)
}

// ---- objections ---------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = election_objections)]
pub struct ObjectionRow {
    pub id: i64,
    pub election_id: i64,
    pub candidate_id: Option<i64>,
    pub stage: String,
    pub raised_by: i64,
    pub text: String,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<i64>,
    pub created_at: i64,
}

pub fn insert_objection(
    conn: &mut DbConn,
    election_id: i64,
    candidate_id: Option<i64>,
    stage: &str,
    raised_by: i64,
    text: &str,
    at: i64,
) -> DbResult<ObjectionRow> {
    Ok(diesel::insert_into(election_objections::table)
        .values((
            election_objections::election_id.eq(election_id),
            election_objections::candidate_id.eq(candidate_id),
            election_objections::stage.eq(stage),
            election_objections::raised_by.eq(raised_by),
            election_objections::text.eq(text),
            election_objections::created_at.eq(at),
        ))
        .returning(election_objections::all_columns)
        .get_result::<ObjectionRow>(conn)?)
}

pub fn objection(conn: &mut DbConn, election_id: i64, id: i64) -> DbResult<Option<ObjectionRow>> {
    Ok(election_objections::table
        .filter(election_objections::id.eq(id))
        .filter(election_objections::election_id.eq(election_id))
        .select(ObjectionRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Answer an objection; false if it was answered already.
pub fn answer_objection(
    conn: &mut DbConn,
    election_id: i64,
    id: i64,
    answer: &str,
    by: i64,
    at: i64,
) -> DbResult<bool> {
    let n = diesel::update(
        election_objections::table
            .filter(election_objections::id.eq(id))
            .filter(election_objections::election_id.eq(election_id))
            .filter(election_objections::answer.is_null()),
    )
    .set((
        election_objections::answer.eq(answer),
        election_objections::answered_by.eq(by),
        election_objections::answered_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Objections with the name of who raised them, oldest first.
pub fn objections(conn: &mut DbConn, election_id: i64) -> DbResult<Vec<(ObjectionRow, String)>> {
    Ok(election_objections::table
        .inner_join(users::table.on(users::id.eq(election_objections::raised_by)))
        .filter(election_objections::election_id.eq(election_id))
        .order(election_objections::id)
        .select((ObjectionRow::as_select(), users::display_name))
        .load(conn)?)
}

// ---- the event log ------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = election_events)]
pub struct EventRow {
    pub election_id: i64,
    pub leaf_index: i64,
    pub leaf_hash: Vec<u8>,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = election_checkpoints)]
pub struct CheckpointRow {
    pub election_id: i64,
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub created_at: i64,
}

/// Append a leaf and record the new log size (under the election's lock).
pub fn insert_event(conn: &mut DbConn, row: &EventRow) -> DbResult<()> {
    diesel::insert_into(election_events::table)
        .values(row)
        .execute(conn)?;
    diesel::update(elections::table.find(row.election_id))
        .set(elections::log_size.eq(row.leaf_index + 1))
        .execute(conn)?;
    Ok(())
}

pub fn events(conn: &mut DbConn, election_id: i64) -> DbResult<Vec<EventRow>> {
    Ok(election_events::table
        .filter(election_events::election_id.eq(election_id))
        .order(election_events::leaf_index)
        .select(EventRow::as_select())
        .load(conn)?)
}

pub fn leaf_hashes(conn: &mut DbConn, election_id: i64) -> DbResult<Vec<Vec<u8>>> {
    Ok(election_events::table
        .filter(election_events::election_id.eq(election_id))
        .order(election_events::leaf_index)
        .select(election_events::leaf_hash)
        .load(conn)?)
}

pub fn insert_checkpoint(conn: &mut DbConn, row: &CheckpointRow) -> DbResult<()> {
    diesel::insert_into(election_checkpoints::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn latest_checkpoint(conn: &mut DbConn, election_id: i64) -> DbResult<Option<CheckpointRow>> {
    Ok(election_checkpoints::table
        .filter(election_checkpoints::election_id.eq(election_id))
        .order(election_checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}
