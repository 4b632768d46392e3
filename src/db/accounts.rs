//! Users, sessions, role grants, invitation codes and the first-administrator setup token.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{invitation_codes, residents, role_grants, sessions, setup_tokens, users};
use super::{DbConn, DbResult};
use crate::domain::roles::{GrantedRole, Grants};

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub is_admin: bool,
    pub community_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub lang: Option<String>,
    pub created_at: NaiveDateTime,
    /// The resident on the register this account belongs to (with `community_id`).
    pub resident_ref: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub community_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub lang: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub resident_ref: Option<&'a str>,
}

pub fn count_users(conn: &mut DbConn) -> DbResult<i64> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn insert_user(conn: &mut DbConn, new: &NewUser<'_>) -> DbResult<User> {
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result::<User>(conn)?)
}

pub fn user_by_login(conn: &mut DbConn, login: &str) -> DbResult<Option<User>> {
    Ok(users::table
        .filter(users::login.eq(login))
        .select(User::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

pub fn user_by_id(conn: &mut DbConn, id: i64) -> DbResult<Option<User>> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

pub fn users_of_owner(conn: &mut DbConn, community_id: i64, owner_id: i64) -> DbResult<Vec<User>> {
    Ok(users::table
        .filter(users::community_id.eq(community_id))
        .filter(users::owner_id.eq(owner_id))
        .select(User::as_select())
        .load(conn)?)
}

// ---- sessions -----------------------------------------------------------------------

pub fn create_session(
    conn: &mut DbConn,
    id: &str,
    user_id: i64,
    expires_at: NaiveDateTime,
) -> DbResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now()),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Is the session still live (not revoked, not expired) and the user's?
pub fn session_live(conn: &mut DbConn, id: &str, user_id: i64) -> DbResult<bool> {
    let n: i64 = sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now()))
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

pub fn revoke_session(conn: &mut DbConn, id: &str) -> DbResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// End every session of a user; returns how many were live.
pub fn revoke_all_sessions(conn: &mut DbConn, user_id: i64) -> DbResult<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now()))
    .execute(conn)?)
}

// ---- roles --------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = role_grants)]
pub struct RoleGrant {
    pub id: i64,
    pub community_id: i64,
    pub user_id: i64,
    pub role: String,
    pub building_id: Option<i64>,
    pub body: Option<String>,
    pub granted_by: Option<i64>,
    pub granted_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn grant_role(
    conn: &mut DbConn,
    community_id: i64,
    user_id: i64,
    role: GrantedRole,
    building_id: Option<i64>,
    body: Option<&str>,
    granted_by: Option<i64>,
) -> DbResult<RoleGrant> {
    Ok(diesel::insert_into(role_grants::table)
        .values((
            role_grants::community_id.eq(community_id),
            role_grants::user_id.eq(user_id),
            role_grants::role.eq(role.as_str()),
            role_grants::building_id.eq(building_id),
            role_grants::body.eq(body),
            role_grants::granted_by.eq(granted_by),
            role_grants::granted_at.eq(now()),
        ))
        .returning(role_grants::all_columns)
        .get_result::<RoleGrant>(conn)?)
}

/// Revoke one grant of a community; returns it if it was active.
pub fn revoke_role(
    conn: &mut DbConn,
    community_id: i64,
    grant_id: i64,
) -> DbResult<Option<RoleGrant>> {
    Ok(diesel::update(
        role_grants::table
            .filter(role_grants::community_id.eq(community_id))
            .filter(role_grants::id.eq(grant_id))
            .filter(role_grants::revoked_at.is_null()),
    )
    .set(role_grants::revoked_at.eq(now()))
    .returning(role_grants::all_columns)
    .get_result::<RoleGrant>(conn)
    .optional()?)
}

/// Active grants of a community, with the users' logins and names.
pub fn community_grants(
    conn: &mut DbConn,
    community_id: i64,
) -> DbResult<Vec<(RoleGrant, String, String)>> {
    Ok(role_grants::table
        .inner_join(users::table)
        .filter(role_grants::community_id.eq(community_id))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::id)
        .select((role_grants::all_columns, users::login, users::display_name))
        .load::<(RoleGrant, String, String)>(conn)?)
}

/// Everything a user may do, from the user row and the active grants.
pub fn grants_of(conn: &mut DbConn, user: &User) -> DbResult<Grants> {
    let rows: Vec<(i64, String, Option<i64>)> = role_grants::table
        .filter(role_grants::user_id.eq(user.id))
        .filter(role_grants::revoked_at.is_null())
        .select((
            role_grants::community_id,
            role_grants::role,
            role_grants::building_id,
        ))
        .load(conn)?;
    // A resident account stays a resident while its reference is on the register.
    let resident = match (user.community_id, &user.resident_ref) {
        (Some(c), Some(r)) => {
            let on_register: i64 = residents::table
                .filter(residents::community_id.eq(c))
                .filter(residents::resident_ref.eq(r))
                .count()
                .get_result(conn)?;
            (on_register > 0).then(|| (c, r.clone()))
        }
        _ => None,
    };
    let mut g = Grants {
        is_admin: user.is_admin,
        owner: user.community_id.zip(user.owner_id),
        resident,
        ..Default::default()
    };
    for (community, role, building) in rows {
        match (GrantedRole::parse(&role), building) {
            (Some(GrantedRole::Organiser), _) => {
                g.organiser_of.insert(community);
            }
            (Some(GrantedRole::Scrutineer), _) => {
                g.scrutineer_of.insert(community);
            }
            (Some(GrantedRole::BuildingLead), Some(b)) => {
                g.building_lead_of.insert((community, b));
            }
            _ => {}
        }
    }
    Ok(g)
}

// ---- invitation codes ---------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = invitation_codes)]
pub struct InvitationCode {
    pub id: i64,
    pub community_id: i64,
    pub owner_id: i64,
    #[serde(skip)]
    pub code_hash: String,
    pub issued_by: Option<i64>,
    pub issued_at: NaiveDateTime,
    pub redeemed_at: Option<NaiveDateTime>,
    pub redeemed_by: Option<i64>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Store a new code for an owner, revoking any earlier unredeemed one.
pub fn issue_code(
    conn: &mut DbConn,
    community_id: i64,
    owner_id: i64,
    code_hash: &str,
    issued_by: Option<i64>,
) -> DbResult<()> {
    diesel::update(
        invitation_codes::table
            .filter(invitation_codes::community_id.eq(community_id))
            .filter(invitation_codes::owner_id.eq(owner_id))
            .filter(invitation_codes::redeemed_at.is_null())
            .filter(invitation_codes::revoked_at.is_null()),
    )
    .set(invitation_codes::revoked_at.eq(now()))
    .execute(conn)?;
    diesel::insert_into(invitation_codes::table)
        .values((
            invitation_codes::community_id.eq(community_id),
            invitation_codes::owner_id.eq(owner_id),
            invitation_codes::code_hash.eq(code_hash),
            invitation_codes::issued_by.eq(issued_by),
            invitation_codes::issued_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unredeemed, unrevoked code with this hash.
pub fn active_code(conn: &mut DbConn, code_hash: &str) -> DbResult<Option<InvitationCode>> {
    Ok(invitation_codes::table
        .filter(invitation_codes::code_hash.eq(code_hash))
        .filter(invitation_codes::redeemed_at.is_null())
        .filter(invitation_codes::revoked_at.is_null())
        .select(InvitationCode::as_select())
        .first(conn)
        .optional()?)
}

/// Mark a code used; false if someone else used it first.
pub fn redeem_code(conn: &mut DbConn, code_id: i64, user_id: i64) -> DbResult<bool> {
    let n = diesel::update(
        invitation_codes::table
            .filter(invitation_codes::id.eq(code_id))
            .filter(invitation_codes::redeemed_at.is_null())
            .filter(invitation_codes::revoked_at.is_null()),
    )
    .set((
        invitation_codes::redeemed_at.eq(now()),
        invitation_codes::redeemed_by.eq(user_id),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The latest code of each owner of a community: (owner id, issued at, redeemed at).
pub fn code_status(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<InvitationCode>> {
    Ok(invitation_codes::table
        .filter(invitation_codes::community_id.eq(community_id))
        .filter(invitation_codes::revoked_at.is_null())
        .order(invitation_codes::id)
        .select(InvitationCode::as_select())
        .load(conn)?)
}

// ---- setup --------------------------------------------------------------------------

pub fn create_setup_token(conn: &mut DbConn, token_hash: &str) -> DbResult<()> {
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Is this an unused setup token?
pub fn setup_token_valid(conn: &mut DbConn, token_hash: &str) -> DbResult<bool> {
    let n: i64 = setup_tokens::table
        .filter(setup_tokens::token_hash.eq(token_hash))
        .filter(setup_tokens::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// Use the token up; false if it was not valid.
pub fn consume_setup_token(conn: &mut DbConn, token_hash: &str) -> DbResult<bool> {
    let n = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash))
            .filter(setup_tokens::used_at.is_null()),
    )
    .set(setup_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Give an existing account new credentials (a reissued code was redeemed for its owner).
pub fn reset_user(
    conn: &mut DbConn,
    user_id: i64,
    login: &str,
    display_name: &str,
    password_hash: &str,
) -> DbResult<User> {
    Ok(diesel::update(users::table.find(user_id))
        .set((
            users::login.eq(login),
            users::display_name.eq(display_name),
            users::password_hash.eq(password_hash),
        ))
        .returning(users::all_columns)
        .get_result::<User>(conn)?)
}

/// Remember a user's language.
pub fn set_lang(conn: &mut DbConn, user_id: i64, lang: &str) -> DbResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::lang.eq(lang))
        .execute(conn)?;
    Ok(())
}
