//! Notifications, their settings, and who hears of what.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    ballot_voter_owners, notification_kinds, notification_prefs, notifications, role_grants, users,
};
use super::{DbConn, DbResult};
use crate::domain::notification::{Channel, Kind};
use crate::domain::roles::GrantedRole;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    pub url: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub emailed_at: Option<i64>,
}

/// A user's settings; the defaults when nothing is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = notification_prefs)]
pub struct Prefs {
    pub user_id: i64,
    pub email: String,
    pub digest: bool,
    pub last_digest_at: Option<i64>,
}

/// Each user's channel for one kind (absent users: the default, inbox).
pub fn channels(
    conn: &mut DbConn,
    user_ids: &[i64],
    kind: Kind,
) -> DbResult<HashMap<i64, Channel>> {
    let rows: Vec<(i64, String)> = notification_kinds::table
        .filter(notification_kinds::user_id.eq_any(user_ids))
        .filter(notification_kinds::kind.eq(kind.as_str()))
        .select((notification_kinds::user_id, notification_kinds::channel))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(u, c)| (u, Channel::from_stored(Some(&c))))
        .collect())
}

/// All of a user's channels, one per kind.
pub fn kinds_of(conn: &mut DbConn, user_id: i64) -> DbResult<Vec<(Kind, Channel)>> {
    let rows: Vec<(String, String)> = notification_kinds::table
        .filter(notification_kinds::user_id.eq(user_id))
        .select((notification_kinds::kind, notification_kinds::channel))
        .load(conn)?;
    let stored: HashMap<String, String> = rows.into_iter().collect();
    Ok(Kind::ALL
        .into_iter()
        .map(|k| {
            (
                k,
                Channel::from_stored(stored.get(k.as_str()).map(String::as_str)),
            )
        })
        .collect())
}

pub fn prefs_of(conn: &mut DbConn, user_id: i64) -> DbResult<Prefs> {
    let rows: Vec<Prefs> = notification_prefs::table
        .filter(notification_prefs::user_id.eq(user_id))
        .select(Prefs::as_select())
        .load(conn)?;
    Ok(rows.into_iter().next().unwrap_or(Prefs {
        user_id,
        ..Default::default()
    }))
}

/// Store a user's settings (the caller validated them); the last digest time is kept.
pub fn save_settings(
    conn: &mut DbConn,
    user_id: i64,
    email: &str,
    digest: bool,
    kinds: &[(Kind, Channel)],
) -> DbResult<()> {
    super::write_tx(conn, |conn| {
        let changed = diesel::update(notification_prefs::table.find(user_id))
            .set((
                notification_prefs::email.eq(email),
                notification_prefs::digest.eq(digest),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(notification_prefs::table)
                .values((
                    notification_prefs::user_id.eq(user_id),
                    notification_prefs::email.eq(email),
                    notification_prefs::digest.eq(digest),
                ))
                .execute(conn)?;
        }
        diesel::delete(notification_kinds::table.filter(notification_kinds::user_id.eq(user_id)))
            .execute(conn)?;
        let rows: Vec<_> = kinds
            .iter()
            .filter(|(_, c)| *c != Channel::default())
            .map(|(k, c)| {
                (
                    notification_kinds::user_id.eq(user_id),
                    notification_kinds::kind.eq(k.as_str()),
                    notification_kinds::channel.eq(c.as_str()),
                )
            })
            .collect();
        for row in rows {
            diesel::insert_into(notification_kinds::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Add one notification for each user.
pub fn insert(
    conn: &mut DbConn,
    user_ids: &[i64],
    community_id: i64,
    kind: Kind,
    title: &str,
    url: &str,
    now: i64,
) -> DbResult<()> {
    for &user_id in user_ids {
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(user_id),
                notifications::community_id.eq(community_id),
                notifications::kind.eq(kind.as_str()),
                notifications::title.eq(title),
                notifications::url.eq(url),
                notifications::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A user's newest notifications, at most `limit`.
pub fn list(conn: &mut DbConn, user_id: i64, limit: i64) -> DbResult<Vec<NotificationRow>> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id.desc())
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)?)
}

/// How many of a user's notifications are unread (one COUNT on the inbox index).
pub fn unread_count(conn: &mut DbConn, user_id: i64) -> DbResult<i64> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Mark some (or, with `None`, all) of a user's unread notifications read; returns how many.
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    ids: Option<&[i64]>,
    now: i64,
) -> DbResult<usize> {
    let mine = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null());
    Ok(match ids {
        None => diesel::update(mine)
            .set(notifications::read_at.eq(now))
            .execute(conn)?,
        Some(ids) => diesel::update(mine.filter(notifications::id.eq_any(ids)))
            .set(notifications::read_at.eq(now))
            .execute(conn)?,
    })
}

/// The community's organisers (active grants).
pub fn organisers(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<i64>> {
    let mut ids: Vec<i64> = role_grants::table
        .filter(role_grants::community_id.eq(community_id))
        .filter(role_grants::role.eq(GrantedRole::Organiser.as_str()))
        .filter(role_grants::revoked_at.is_null())
        .select(role_grants::user_id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The users whose owner is among a ballot's voters.
pub fn ballot_users(conn: &mut DbConn, community_id: i64, ballot_id: i64) -> DbResult<Vec<i64>> {
    let owners = ballot_voter_owners::table
        .filter(ballot_voter_owners::ballot_id.eq(ballot_id))
        .select(ballot_voter_owners::owner_id.nullable());
    let mut ids: Vec<i64> = users::table
        .filter(users::community_id.eq(community_id))
        .filter(users::owner_id.eq_any(owners))
        .select(users::id)
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Unread notifications not yet emailed, created at or after `since`, oldest first: the
/// candidates for immediate email.
pub fn unemailed_since(conn: &mut DbConn, since: i64) -> DbResult<Vec<NotificationRow>> {
    Ok(notifications::table
        .filter(notifications::emailed_at.is_null())
        .filter(notifications::read_at.is_null())
        .filter(notifications::created_at.ge(since))
        .order(notifications::id.asc())
        .select(NotificationRow::as_select())
        .load(conn)?)
}

/// A user's digest items: unread, not emailed, created at or after `since` (all when `None`).
pub fn digest_items(
    conn: &mut DbConn,
    user_id: i64,
    since: Option<i64>,
) -> DbResult<Vec<NotificationRow>> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .filter(notifications::emailed_at.is_null())
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(notifications::created_at.ge(since));
    }
    Ok(q.order(notifications::id.asc())
        .select(NotificationRow::as_select())
        .load(conn)?)
}

/// Users who asked for the digest and gave an address.
pub fn digest_users(conn: &mut DbConn) -> DbResult<Vec<Prefs>> {
    Ok(notification_prefs::table
        .filter(notification_prefs::digest.eq(true))
        .filter(notification_prefs::email.ne(""))
        .order(notification_prefs::user_id.asc())
        .select(Prefs::as_select())
        .load(conn)?)
}

/// Claim a user's digest: set the time if it is still `last` (so two senders never both
/// send). True when this caller won.
pub fn claim_digest(
    conn: &mut DbConn,
    user_id: i64,
    last: Option<i64>,
    now: i64,
) -> DbResult<bool> {
    let row = notification_prefs::table.filter(notification_prefs::user_id.eq(user_id));
    let n = match last {
        None => diesel::update(row.filter(notification_prefs::last_digest_at.is_null()))
            .set(notification_prefs::last_digest_at.eq(now))
            .execute(conn)?,
        Some(t) => diesel::update(row.filter(notification_prefs::last_digest_at.eq(t)))
            .set(notification_prefs::last_digest_at.eq(now))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Claim notifications for email: mark them emailed unless already; returns the ids claimed.
pub fn claim_emailed(conn: &mut DbConn, ids: &[i64], now: i64) -> DbResult<Vec<i64>> {
    let mut won = Vec::new();
    for &id in ids {
        let n = diesel::update(
            notifications::table
                .filter(notifications::id.eq(id))
                .filter(notifications::emailed_at.is_null()),
        )
        .set(notifications::emailed_at.eq(now))
        .execute(conn)?;
        if n == 1 {
            won.push(id);
        }
    }
    Ok(won)
}

/// Undo a claim whose email could not be sent, so that the digest still carries it.
pub fn unclaim_emailed(conn: &mut DbConn, ids: &[i64]) -> DbResult<()> {
    diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
        .set(notifications::emailed_at.eq(None::<i64>))
        .execute(conn)?;
    Ok(())
}

/// Email addresses of users who have one.
pub fn addresses(conn: &mut DbConn, user_ids: &[i64]) -> DbResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = notification_prefs::table
        .filter(notification_prefs::user_id.eq_any(user_ids))
        .filter(notification_prefs::email.ne(""))
        .select((notification_prefs::user_id, notification_prefs::email))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
