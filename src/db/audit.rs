//! The append-only audit trail. There is no update or delete here, and the database refuses
//! both (triggers in the migrations).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::audit_log;
use super::{DbConn, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub community_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub at: NaiveDateTime,
    pub before_summary: String,
    pub after_summary: String,
}

/// Append one entry. `before` and `after` are short JSON summaries.
pub fn append(
    conn: &mut DbConn,
    community_id: Option<i64>,
    actor_user_id: Option<i64>,
    action: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
) -> DbResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::community_id.eq(community_id),
            audit_log::actor_user_id.eq(actor_user_id),
            audit_log::action.eq(action),
            audit_log::at.eq(Utc::now().naive_utc()),
            audit_log::before_summary.eq(before.to_string()),
            audit_log::after_summary.eq(after.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest entries of a community first.
pub fn list(conn: &mut DbConn, community_id: i64, limit: i64) -> DbResult<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::community_id.eq(community_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)?)
}
