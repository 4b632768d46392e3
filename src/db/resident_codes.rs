//! One-time codes with which residents on the register (居民) create their accounts.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::accounts::User;
use super::schema::{resident_codes, users};
use super::{DbConn, DbResult};

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = resident_codes)]
pub struct ResidentCode {
    pub id: i64,
    pub community_id: i64,
    pub resident_ref: String,
    #[serde(skip)]
    pub code_hash: String,
    pub issued_by: Option<i64>,
    pub issued_at: NaiveDateTime,
    pub redeemed_at: Option<NaiveDateTime>,
    pub redeemed_by: Option<i64>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Store a new code for a resident, revoking any earlier unredeemed one.
pub fn issue(
    conn: &mut DbConn,
    community_id: i64,
    resident_ref: &str,
    code_hash: &str,
    issued_by: Option<i64>,
) -> DbResult<()> {
    diesel::update(
        resident_codes::table
            .filter(resident_codes::community_id.eq(community_id))
            .filter(resident_codes::resident_ref.eq(resident_ref))
            .filter(resident_codes::redeemed_at.is_null())
            .filter(resident_codes::revoked_at.is_null()),
    )
    .set(resident_codes::revoked_at.eq(now()))
    .execute(conn)?;
    diesel::insert_into(resident_codes::table)
        .values((
            resident_codes::community_id.eq(community_id),
            resident_codes::resident_ref.eq(resident_ref),
            resident_codes::code_hash.eq(code_hash),
            resident_codes::issued_by.eq(issued_by),
            resident_codes::issued_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unredeemed, unrevoked code with this hash.
pub fn active(conn: &mut DbConn, code_hash: &str) -> DbResult<Option<ResidentCode>> {
    Ok(resident_codes::table
        .filter(resident_codes::code_hash.eq(code_hash))
        .filter(resident_codes::redeemed_at.is_null())
        .filter(resident_codes::revoked_at.is_null())
        .select(ResidentCode::as_select())
        .first(conn)
        .optional()?)
}

/// Mark a code used; false if someone else used it first.
pub fn redeem(conn: &mut DbConn, code_id: i64, user_id: i64) -> DbResult<bool> {
    let n = diesel::update(
        resident_codes::table
            .filter(resident_codes::id.eq(code_id))
            .filter(resident_codes::redeemed_at.is_null())
            .filter(resident_codes::revoked_at.is_null()),
    )
    .set((
        resident_codes::redeemed_at.eq(now()),
        resident_codes::redeemed_by.eq(user_id),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The unrevoked codes of a community, oldest first.
pub fn status(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<ResidentCode>> {
    Ok(resident_codes::table
        .filter(resident_codes::community_id.eq(community_id))
        .filter(resident_codes::revoked_at.is_null())
        .order(resident_codes::id)
        .select(ResidentCode::as_select())
        .load(conn)?)
}

/// The account of a resident, if one exists.
pub fn user_of_resident(
    conn: &mut DbConn,
    community_id: i64,
    resident_ref: &str,
) -> DbResult<Option<User>> {
    Ok(users::table
        .filter(users::community_id.eq(community_id))
        .filter(users::resident_ref.eq(resident_ref))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// References of the residents of a community who have an account.
pub fn refs_with_accounts(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<String>> {
    Ok(users::table
        .filter(users::community_id.eq(community_id))
        .filter(users::resident_ref.is_not_null())
        .select(users::resident_ref.assume_not_null())
        .load(conn)?)
}
