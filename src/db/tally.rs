//! The count's tables: scrutineers' public keys, the scrutineers named in a ballot's manifest,
//! the signed tally records, objections and co-signatures.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    ballot_objections, ballot_scrutineers, ballots, role_grants, scrutineer_keys,
    tally_cosignatures, tally_records, users,
};
use super::{DbConn, DbResult};

/// A community's scrutineer and their registered public key, if any.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub user_id: i64,
    pub name: String,
    pub public_key: Option<String>,
}

/// The community's scrutineers (live grants), with their keys.
pub fn candidates(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<Candidate>> {
    let rows: Vec<(i64, String)> = role_grants::table
        .inner_join(users::table)
        .filter(role_grants::community_id.eq(community_id))
        .filter(role_grants::role.eq("scrutineer"))
        .filter(role_grants::revoked_at.is_null())
        .select((users::id, users::display_name))
        .order(users::id)
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let keys: std::collections::HashMap<i64, String> = scrutineer_keys::table
        .filter(scrutineer_keys::user_id.eq_any(&ids))
        .select((scrutineer_keys::user_id, scrutineer_keys::public_key))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut out: Vec<Candidate> = Vec::with_capacity(rows.len());
    for (user_id, name) in rows {
        if out.iter().any(|c| c.user_id == user_id) {
            continue;
        }
        out.push(Candidate {
            user_id,
            name,
            public_key: keys.get(&user_id).cloned(),
        });
    }
    Ok(out)
}

pub fn key_of(conn: &mut DbConn, user_id: i64) -> DbResult<Option<String>> {
    Ok(scrutineer_keys::table
        .filter(scrutineer_keys::user_id.eq(user_id))
        .select(scrutineer_keys::public_key)
        .load::<String>(conn)?
        .into_iter()
        .next())
}

/// Register or replace a user's scrutineer key. Ballots already announced keep the key their
/// manifest names.
pub fn set_key(conn: &mut DbConn, user_id: i64, public_key: &str, now: i64) -> DbResult<()> {
    let n = diesel::update(scrutineer_keys::table.filter(scrutineer_keys::user_id.eq(user_id)))
        .set((
            scrutineer_keys::public_key.eq(public_key),
            scrutineer_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(scrutineer_keys::table)
            .values((
                scrutineer_keys::user_id.eq(user_id),
                scrutineer_keys::public_key.eq(public_key),
                scrutineer_keys::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A scrutineer as named in a ballot's manifest.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ballot_scrutineers)]
pub struct BallotScrutineer {
    pub ballot_id: i64,
    pub position: i32,
    pub user_id: i64,
    pub name: String,
    pub public_key: String,
}

pub fn insert_scrutineers(conn: &mut DbConn, rows: &[BallotScrutineer]) -> DbResult<()> {
    for r in rows {
        diesel::insert_into(ballot_scrutineers::table)
            .values((
                ballot_scrutineers::ballot_id.eq(r.ballot_id),
                ballot_scrutineers::position.eq(r.position),
                ballot_scrutineers::user_id.eq(r.user_id),
                ballot_scrutineers::name.eq(&r.name),
                ballot_scrutineers::public_key.eq(&r.public_key),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn scrutineers(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<BallotScrutineer>> {
    Ok(ballot_scrutineers::table
        .filter(ballot_scrutineers::ballot_id.eq(ballot_id))
        .order(ballot_scrutineers::position)
        .select(BallotScrutineer::as_select())
        .load(conn)?)
}

/// A user's position among a ballot's scrutineers (in the manifest), if they are one.
pub fn scrutineer_position(
    conn: &mut DbConn,
    ballot_id: i64,
    user_id: i64,
) -> DbResult<Option<i32>> {
    Ok(ballot_scrutineers::table
        .filter(ballot_scrutineers::ballot_id.eq(ballot_id))
        .filter(ballot_scrutineers::user_id.eq(user_id))
        .select(ballot_scrutineers::position)
        .first(conn)
        .optional()?)
}

/// The ballots (of a community) on which a user is a scrutineer.
pub fn ballots_scrutinised_by(conn: &mut DbConn, user_id: i64) -> DbResult<Vec<i64>> {
    Ok(ballot_scrutineers::table
        .filter(ballot_scrutineers::user_id.eq(user_id))
        .select(ballot_scrutineers::ballot_id)
        .order(ballot_scrutineers::ballot_id.desc())
        .load(conn)?)
}

/// A signed tally record as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = tally_records)]
pub struct RecordRow {
    pub ballot_id: i64,
    pub stage: String,
    /// `JCS(record)`.
    pub record: String,
    pub signature: String,
    /// SHA-256 of `record`, hex.
    pub sha256: String,
    pub created_at: i64,
}

pub fn insert_record(conn: &mut DbConn, row: &RecordRow) -> DbResult<()> {
    diesel::insert_into(tally_records::table)
        .values((
            tally_records::ballot_id.eq(row.ballot_id),
            tally_records::stage.eq(&row.stage),
            tally_records::record.eq(&row.record),
            tally_records::signature.eq(&row.signature),
            tally_records::sha256.eq(&row.sha256),
            tally_records::created_at.eq(row.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn record(conn: &mut DbConn, ballot_id: i64, stage: &str) -> DbResult<Option<RecordRow>> {
    Ok(tally_records::table
        .filter(tally_records::ballot_id.eq(ballot_id))
        .filter(tally_records::stage.eq(stage))
        .select(RecordRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

pub fn set_objection_ends_at(conn: &mut DbConn, ballot_id: i64, at: i64) -> DbResult<()> {
    diesel::update(ballots::table.filter(ballots::id.eq(ballot_id)))
        .set(ballots::objection_ends_at.eq(at))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ballot_objections)]
pub struct ObjectionRow {
    pub id: i64,
    pub ballot_id: i64,
    pub received_at: i64,
    pub body: String,
    pub recorded_by: Option<i64>,
    pub response: Option<String>,
    pub responded_at: Option<i64>,
    pub responded_by: Option<i64>,
}

pub fn insert_objection(
    conn: &mut DbConn,
    ballot_id: i64,
    received_at: i64,
    body: &str,
    recorded_by: i64,
) -> DbResult<i64> {
    Ok(diesel::insert_into(ballot_objections::table)
        .values((
            ballot_objections::ballot_id.eq(ballot_id),
            ballot_objections::received_at.eq(received_at),
            ballot_objections::body.eq(body),
            ballot_objections::recorded_by.eq(recorded_by),
        ))
        .returning(ballot_objections::id)
        .get_result(conn)?)
}

/// Record the answer to an objection, once. Returns false if it was already answered or is
/// not this ballot's.
pub fn respond_objection(
    conn: &mut DbConn,
    ballot_id: i64,
    id: i64,
    response: &str,
    by: i64,
    at: i64,
) -> DbResult<bool> {
    let n = diesel::update(
        ballot_objections::table
            .filter(ballot_objections::id.eq(id))
            .filter(ballot_objections::ballot_id.eq(ballot_id))
            .filter(ballot_objections::response.is_null()),
    )
    .set((
        ballot_objections::response.eq(response),
        ballot_objections::responded_at.eq(at),
        ballot_objections::responded_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn objections(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<ObjectionRow>> {
    Ok(ballot_objections::table
        .filter(ballot_objections::ballot_id.eq(ballot_id))
        .order(ballot_objections::id)
        .select(ObjectionRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = tally_cosignatures)]
pub struct CosignatureRow {
    pub ballot_id: i64,
    pub position: i32,
    pub record_sha256: String,
    pub signature: String,
    pub signed_at: i64,
}

/// Store a co-signature; false if this scrutineer has already co-signed.
pub fn insert_cosignature(conn: &mut DbConn, row: &CosignatureRow) -> DbResult<bool> {
    let exists = tally_cosignatures::table
        .filter(tally_cosignatures::ballot_id.eq(row.ballot_id))
        .filter(tally_cosignatures::position.eq(row.position))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(tally_cosignatures::table)
        .values((
            tally_cosignatures::ballot_id.eq(row.ballot_id),
            tally_cosignatures::position.eq(row.position),
            tally_cosignatures::record_sha256.eq(&row.record_sha256),
            tally_cosignatures::signature.eq(&row.signature),
            tally_cosignatures::signed_at.eq(row.signed_at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn cosignatures(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<CosignatureRow>> {
    Ok(tally_cosignatures::table
        .filter(tally_cosignatures::ballot_id.eq(ballot_id))
        .order(tally_cosignatures::position)
        .select(CosignatureRow::as_select())
        .load(conn)?)
}

/// Every leaf input (`JCS(leaf)`) of a ballot's log, in order.
pub fn leaf_texts(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<String>> {
    use super::schema::ballot_leaves;
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .order(ballot_leaves::leaf_index)
        .select(ballot_leaves::leaf)
        .load(conn)?)
}

/// Every checkpoint signed for a ballot, by ascending size.
pub fn checkpoint_notes(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<String>> {
    use super::schema::ballot_checkpoints;
    Ok(ballot_checkpoints::table
        .filter(ballot_checkpoints::ballot_id.eq(ballot_id))
        .order(ballot_checkpoints::tree_size)
        .select(ballot_checkpoints::note)
        .load(conn)?)
}

/// The community a ballot belongs to.
pub fn community_of(
    conn: &mut DbConn,
    ballot_id: i64,
) -> DbResult<Option<super::communities::Community>> {
    use super::schema::communities;
    let ids = ballots::table
        .filter(ballots::id.eq(ballot_id))
        .select(ballots::community_id);
    Ok(communities::table
        .filter(communities::id.eq_any(ids))
        .select(super::communities::Community::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Set a community's objection period (询异公示), in days.
pub fn set_objection_days(conn: &mut DbConn, community_id: i64, days: i32) -> DbResult<()> {
    use super::schema::communities;
    diesel::update(communities::table.filter(communities::id.eq(community_id)))
        .set(communities::objection_days.eq(days))
        .execute(conn)?;
    Ok(())
}
