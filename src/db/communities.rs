//! Communities (物业管理区域).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::communities;
use super::{DbConn, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = communities)]
pub struct Community {
    pub id: i64,
    /// Short name used in addresses, e.g. `sanyijing`.
    pub slug: String,
    /// Chinese name, e.g. 三义井社区.
    pub name: String,
    pub name_en: String,
    /// District and street office, free text.
    pub district: String,
    pub created_at: NaiveDateTime,
    /// Days between announcing a ballot and opening it (15 unless changed with a reason).
    pub notice_days: i32,
    /// Why the notice period differs from the default.
    pub notice_reason: String,
    /// Days of the objection period (询异公示) after a preliminary result (default 7).
    pub objection_days: i32,
    /// The co-sign level at which an extraordinary assembly must be convened, as a fraction
    /// of the area or of the headcount (default 1/5, the 2009 Guidance Rules).
    pub cosign_level_num: i32,
    pub cosign_level_den: i32,
    /// Reports that hide a comment pending review (default 3).
    pub report_hide_threshold: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = communities)]
pub struct NewCommunity<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub name_en: &'a str,
    pub district: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewCommunity<'_>) -> DbResult<Community> {
    Ok(diesel::insert_into(communities::table)
        .values(new)
        .returning(communities::all_columns)
        .get_result::<Community>(conn)?)
}

pub fn list(conn: &mut DbConn) -> DbResult<Vec<Community>> {
    Ok(communities::table
        .select(Community::as_select())
        .order(communities::id)
        .load(conn)?)
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> DbResult<Option<Community>> {
    Ok(communities::table
        .filter(communities::slug.eq(slug))
        .select(Community::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Set the forum's settings: the co-sign level (`num/den`) and the reports that hide a
/// comment pending review.
pub fn set_forum_settings(
    conn: &mut DbConn,
    community_id: i64,
    level: (i32, i32),
    hide_after: i32,
) -> DbResult<()> {
    diesel::update(communities::table.filter(communities::id.eq(community_id)))
        .set((
            communities::cosign_level_num.eq(level.0),
            communities::cosign_level_den.eq(level.1),
            communities::report_hide_threshold.eq(hide_after),
        ))
        .execute(conn)?;
    Ok(())
}
