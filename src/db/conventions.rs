//! Conventions: the documents, their versions, comments per article, amendment proposals and
//! the link from a version to the ballot that adopts it.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    convention_amendments, convention_comments, convention_versions, conventions, users,
};
use super::{DbConn, DbResult};
use crate::domain::convention::{Amendment, AmendmentStatus, Article, VersionStatus};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = conventions)]
pub struct ConventionRow {
    pub id: i64,
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

impl ConventionRow {
    pub fn kind(&self) -> crate::domain::convention::Kind {
        crate::domain::convention::Kind::parse(&self.kind)
            .unwrap_or(crate::domain::convention::Kind::Management)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = convention_versions)]
pub struct VersionRow {
    pub id: i64,
    pub convention_id: i64,
    pub version: i32,
    /// JSON array of [`Article`].
    pub articles: String,
    pub text_sha256: String,
    pub status: String,
    pub ballot_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub adopted_at: Option<i64>,
}

impl VersionRow {
    pub fn articles(&self) -> Vec<Article> {
        serde_json::from_str(&self.articles).unwrap_or_default()
    }
    pub fn status(&self) -> VersionStatus {
        VersionStatus::parse(&self.status).unwrap_or(VersionStatus::Draft)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = convention_comments)]
pub struct CommentRow {
    pub id: i64,
    pub version_id: i64,
    pub article_number: i32,
    pub author_id: i64,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = convention_amendments)]
pub struct AmendmentRow {
    pub id: i64,
    pub version_id: i64,
    pub article_number: Option<i32>,
    pub kind: String,
    pub heading: String,
    pub body: String,
    pub reason: String,
    pub author_id: i64,
    pub status: String,
    pub decision_reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub result_version_id: Option<i64>,
    pub created_at: i64,
}

impl AmendmentRow {
    pub fn status(&self) -> AmendmentStatus {
        AmendmentStatus::parse(&self.status).unwrap_or(AmendmentStatus::Pending)
    }
    /// The proposal as the domain checks and applies it.
    pub fn amendment(&self) -> Option<Amendment> {
        Some(Amendment {
            kind: crate::domain::convention::AmendmentKind::parse(&self.kind)?,
            article: self.article_number.and_then(|n| u32::try_from(n).ok()),
            heading: self.heading.clone(),
            body: self.body.clone(),
            reason: self.reason.clone(),
        })
    }
}

fn articles_json(articles: &[Article]) -> String {
    serde_json::to_string(articles).unwrap_or_else(|_| "[]".into())
}

pub fn list(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<ConventionRow>> {
    Ok(conventions::table
        .filter(conventions::community_id.eq(community_id))
        .order(conventions::id.desc())
        .select(ConventionRow::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<ConventionRow>> {
    Ok(conventions::table
        .filter(conventions::community_id.eq(community_id))
        .filter(conventions::id.eq(id))
        .select(ConventionRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Create a convention with its first (draft) version.
#[allow(clippy::too_many_arguments)]
pub fn create(
    conn: &mut DbConn,
    community_id: i64,
    kind: &str,
    title: &str,
    articles: &[Article],
    text_sha256: &str,
    actor: i64,
    now: i64,
) -> DbResult<(ConventionRow, VersionRow)> {
    let c = diesel::insert_into(conventions::table)
        .values((
            conventions::community_id.eq(community_id),
            conventions::kind.eq(kind),
            conventions::title.eq(title),
            conventions::created_by.eq(actor),
            conventions::created_at.eq(now),
        ))
        .returning(conventions::all_columns)
        .get_result::<ConventionRow>(conn)?;
    let v = insert_version(conn, c.id, 1, articles, text_sha256, actor, now)?;
    Ok((c, v))
}

/// Add a draft version.
pub fn insert_version(
    conn: &mut DbConn,
    convention_id: i64,
    version: i32,
    articles: &[Article],
    text_sha256: &str,
    actor: i64,
    now: i64,
) -> DbResult<VersionRow> {
    Ok(diesel::insert_into(convention_versions::table)
        .values((
            convention_versions::convention_id.eq(convention_id),
            convention_versions::version.eq(version),
            convention_versions::articles.eq(articles_json(articles)),
            convention_versions::text_sha256.eq(text_sha256),
            convention_versions::status.eq(VersionStatus::Draft.as_str()),
            convention_versions::created_by.eq(actor),
            convention_versions::created_at.eq(now),
        ))
        .returning(convention_versions::all_columns)
        .get_result::<VersionRow>(conn)?)
}

/// A convention's versions, oldest first.
pub fn versions(conn: &mut DbConn, convention_id: i64) -> DbResult<Vec<VersionRow>> {
    Ok(convention_versions::table
        .filter(convention_versions::convention_id.eq(convention_id))
        .order(convention_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

pub fn version(conn: &mut DbConn, convention_id: i64, v: i32) -> DbResult<Option<VersionRow>> {
    Ok(convention_versions::table
        .filter(convention_versions::convention_id.eq(convention_id))
        .filter(convention_versions::version.eq(v))
        .select(VersionRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Replace a draft's articles; false when the version is no longer an unballoted draft.
pub fn update_draft(
    conn: &mut DbConn,
    version_id: i64,
    articles: &[Article],
    text_sha256: &str,
) -> DbResult<bool> {
    let n = diesel::update(
        convention_versions::table
            .filter(convention_versions::id.eq(version_id))
            .filter(convention_versions::status.eq(VersionStatus::Draft.as_str()))
            .filter(convention_versions::ballot_id.is_null()),
    )
    .set((
        convention_versions::articles.eq(articles_json(articles)),
        convention_versions::text_sha256.eq(text_sha256),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Move a version from `from` to `to`; false when it was no longer in `from`.
pub fn set_status(
    conn: &mut DbConn,
    version_id: i64,
    from: VersionStatus,
    to: VersionStatus,
) -> DbResult<bool> {
    let n = diesel::update(
        convention_versions::table
            .filter(convention_versions::id.eq(version_id))
            .filter(convention_versions::status.eq(from.as_str())),
    )
    .set(convention_versions::status.eq(to.as_str()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Link a draft version to the ballot that will decide it.
pub fn link_ballot(conn: &mut DbConn, version_id: i64, ballot_id: i64) -> DbResult<bool> {
    let n = diesel::update(
        convention_versions::table
            .filter(convention_versions::id.eq(version_id))
            .filter(convention_versions::status.eq(VersionStatus::Draft.as_str()))
            .filter(convention_versions::ballot_id.is_null()),
    )
    .set((
        convention_versions::ballot_id.eq(ballot_id),
        convention_versions::status.eq(VersionStatus::Balloting.as_str()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The convention and version a ballot decides, if any.
pub fn by_ballot(
    conn: &mut DbConn,
    ballot_id: i64,
) -> DbResult<Option<(ConventionRow, VersionRow)>> {
    let Some(v) = convention_versions::table
        .filter(convention_versions::ballot_id.eq(ballot_id))
        .select(VersionRow::as_select())
        .load(conn)?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let c = conventions::table
        .filter(conventions::id.eq(v.convention_id))
        .select(ConventionRow::as_select())
        .load(conn)?
        .into_iter()
        .next();
    Ok(c.map(|c| (c, v)))
}

/// The certified result of a version's ballot: adopted (any earlier adopted version becomes
/// superseded) or rejected. Only a version still balloting changes.
pub fn settle(conn: &mut DbConn, ballot_id: i64, adopted: bool, now: i64) -> DbResult<()> {
    let Some((_, v)) = by_ballot(conn, ballot_id)? else {
        return Ok(());
    };
    if v.status() != VersionStatus::Balloting {
        return Ok(());
    }
    if adopted {
        diesel::update(
            convention_versions::table
                .filter(convention_versions::convention_id.eq(v.convention_id))
                .filter(convention_versions::status.eq(VersionStatus::Adopted.as_str())),
        )
        .set(convention_versions::status.eq(VersionStatus::Superseded.as_str()))
        .execute(conn)?;
        diesel::update(convention_versions::table.filter(convention_versions::id.eq(v.id)))
            .set((
                convention_versions::status.eq(VersionStatus::Adopted.as_str()),
                convention_versions::adopted_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        set_status(
            conn,
            v.id,
            VersionStatus::Balloting,
            VersionStatus::Rejected,
        )?;
    }
    Ok(())
}

/// A cancelled ballot decides nothing: its version becomes a draft again, unlinked, so it can
/// be put to a vote anew.
pub fn release(conn: &mut DbConn, ballot_id: i64) -> DbResult<()> {
    diesel::update(
        convention_versions::table
            .filter(convention_versions::ballot_id.eq(ballot_id))
            .filter(convention_versions::status.eq(VersionStatus::Balloting.as_str())),
    )
    .set((
        convention_versions::ballot_id.eq(None::<i64>),
        convention_versions::status.eq(VersionStatus::Draft.as_str()),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn insert_comment(
    conn: &mut DbConn,
    version_id: i64,
    article_number: i32,
    author_id: i64,
    body: &str,
    now: i64,
) -> DbResult<CommentRow> {
    Ok(diesel::insert_into(convention_comments::table)
        .values((
            convention_comments::version_id.eq(version_id),
            convention_comments::article_number.eq(article_number),
            convention_comments::author_id.eq(author_id),
            convention_comments::body.eq(body),
            convention_comments::created_at.eq(now),
        ))
        .returning(convention_comments::all_columns)
        .get_result::<CommentRow>(conn)?)
}

/// A version's comments, by article, oldest first.
pub fn comments(conn: &mut DbConn, version_id: i64) -> DbResult<Vec<CommentRow>> {
    Ok(convention_comments::table
        .filter(convention_comments::version_id.eq(version_id))
        .order((
            convention_comments::article_number.asc(),
            convention_comments::id.asc(),
        ))
        .select(CommentRow::as_select())
        .load(conn)?)
}

pub fn insert_amendment(
    conn: &mut DbConn,
    version_id: i64,
    a: &Amendment,
    author_id: i64,
    now: i64,
) -> DbResult<AmendmentRow> {
    Ok(diesel::insert_into(convention_amendments::table)
        .values((
            convention_amendments::version_id.eq(version_id),
            convention_amendments::article_number.eq(a.article.and_then(|n| i32::try_from(n).ok())),
            convention_amendments::kind.eq(a.kind.as_str()),
            convention_amendments::heading.eq(&a.heading),
            convention_amendments::body.eq(&a.body),
            convention_amendments::reason.eq(&a.reason),
            convention_amendments::author_id.eq(author_id),
            convention_amendments::status.eq(AmendmentStatus::Pending.as_str()),
            convention_amendments::created_at.eq(now),
        ))
        .returning(convention_amendments::all_columns)
        .get_result::<AmendmentRow>(conn)?)
}

/// The amendments proposed to any of a convention's versions, oldest first.
pub fn amendments(conn: &mut DbConn, version_ids: &[i64]) -> DbResult<Vec<AmendmentRow>> {
    Ok(convention_amendments::table
        .filter(convention_amendments::version_id.eq_any(version_ids))
        .order(convention_amendments::id.asc())
        .select(AmendmentRow::as_select())
        .load(conn)?)
}

pub fn amendment(conn: &mut DbConn, id: i64) -> DbResult<Option<AmendmentRow>> {
    Ok(convention_amendments::table
        .filter(convention_amendments::id.eq(id))
        .select(AmendmentRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Record a decision on a pending amendment; false when it was already decided.
pub fn decide(
    conn: &mut DbConn,
    id: i64,
    to: AmendmentStatus,
    reason: &str,
    actor: i64,
    now: i64,
    result_version_id: Option<i64>,
) -> DbResult<bool> {
    let n = diesel::update(
        convention_amendments::table
            .filter(convention_amendments::id.eq(id))
            .filter(convention_amendments::status.eq(AmendmentStatus::Pending.as_str())),
    )
    .set((
        convention_amendments::status.eq(to.as_str()),
        convention_amendments::decision_reason.eq(reason),
        convention_amendments::decided_by.eq(actor),
        convention_amendments::decided_at.eq(now),
        convention_amendments::result_version_id.eq(result_version_id),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Display names of the given users.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> DbResult<std::collections::HashMap<i64, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// A version by its id, with its convention (for search results).
pub fn version_by_id(
    conn: &mut DbConn,
    community_id: i64,
    version_id: i64,
) -> DbResult<Option<(ConventionRow, VersionRow)>> {
    let Some(v) = convention_versions::table
        .filter(convention_versions::id.eq(version_id))
        .select(VersionRow::as_select())
        .load(conn)?
        .pop()
    else {
        return Ok(None);
    };
    Ok(get(conn, community_id, v.convention_id)?.map(|c| (c, v)))
}
