//! Comments (threaded on a portable path column), their revisions and reports, the
//! moderation log and blocked users.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    comment_reports, comment_revisions, comments, moderation_log, proposals, user_blocks, users,
};
use super::{write_tx, DbConn, DbError, DbResult};
use crate::domain::comment::{hides_now, ModerationAction, Sort, Stance, Visibility};
use crate::domain::proposal::{comment_path, PathError};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: i64,
    pub proposal_id: i64,
    pub author_id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i32,
    pub stance: Option<String>,
    pub body: String,
    pub status: String,
    pub hidden_reason: String,
    pub report_count: i32,
    pub child_count: i32,
    pub reply_count: i32,
    pub revision: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CommentRow {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.status).unwrap_or(Visibility::Visible)
    }
}

/// A comment with its author's display name.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    #[serde(flatten)]
    pub comment: CommentRow,
    pub author: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = moderation_log)]
pub struct ModerationEntry {
    pub id: i64,
    pub community_id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_kind: String,
    pub target_id: i64,
    pub reason: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = comment_revisions)]
pub struct CommentRevision {
    pub comment_id: i64,
    pub revision: i32,
    pub body: String,
    pub edited_at: i64,
}

/// Why a comment could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("replies nest at most three deep")]
    TooDeep,
}

impl From<diesel::result::Error> for AddError {
    fn from(e: diesel::result::Error) -> Self {
        AddError::Db(e.into())
    }
}

/// The prefix range of a path's descendants: `(path + ".", path + "/")`; `/` sorts right
/// after `.`, so the range holds exactly the paths that extend `path`.
fn subtree_range(path: &str) -> (String, String) {
    (format!("{path}."), format!("{path}/"))
}

/// Add a comment under `proposal_id` (a reply when `parent` is given): takes the next sibling
/// number from the parent's (or the proposal's) counter, and counts the reply in every
/// ancestor's `reply_count`. One transaction.
pub fn insert(
    conn: &mut DbConn,
    proposal_id: i64,
    author_id: i64,
    parent: Option<&CommentRow>,
    body: &str,
    stance: Option<Stance>,
    now: i64,
) -> Result<CommentRow, AddError> {
    write_tx(conn, |conn| {
        let sibling: i32 = match parent {
            None => {
                diesel::update(proposals::table.filter(proposals::id.eq(proposal_id)))
                    .set(proposals::root_count.eq(proposals::root_count + 1))
                    .execute(conn)?;
                proposals::table
                    .filter(proposals::id.eq(proposal_id))
                    .select(proposals::root_count)
                    .get_result(conn)?
            }
            Some(p) => {
                diesel::update(comments::table.filter(comments::id.eq(p.id)))
                    .set(comments::child_count.eq(comments::child_count + 1))
                    .execute(conn)?;
                comments::table
                    .filter(comments::id.eq(p.id))
                    .select(comments::child_count)
                    .get_result(conn)?
            }
        };
        let path = comment_path(
            parent.map(|p| p.path.as_str()),
            u32::try_from(sibling).unwrap_or(0),
        )
        .map_err(|e| match e {
            PathError::TooDeep | PathError::Malformed => AddError::TooDeep,
        })?;
        let depth = i32::try_from(path.split('.').count()).unwrap_or(i32::MAX);
        let row = diesel::insert_into(comments::table)
            .values((
                comments::proposal_id.eq(proposal_id),
                comments::author_id.eq(author_id),
                comments::parent_id.eq(parent.map(|p| p.id)),
                comments::path.eq(&path),
                comments::depth.eq(depth),
                comments::stance.eq(stance.map(Stance::as_str)),
                comments::body.eq(body),
                comments::created_at.eq(now),
                comments::updated_at.eq(now),
            ))
            .returning(comments::all_columns)
            .get_result::<CommentRow>(conn)?;
        diesel::insert_into(comment_revisions::table)
            .values((
                comment_revisions::comment_id.eq(row.id),
                comment_revisions::revision.eq(1),
                comment_revisions::body.eq(body),
                comment_revisions::edited_at.eq(now),
            ))
            .execute(conn)?;
        // Every ancestor: the prefixes of the path.
        let segs: Vec<&str> = path.split('.').collect();
        let ancestors: Vec<String> = (1..segs.len()).map(|n| segs[..n].join(".")).collect();
        if !ancestors.is_empty() {
            diesel::update(
                comments::table
                    .filter(comments::proposal_id.eq(proposal_id))
                    .filter(comments::path.eq_any(&ancestors)),
            )
            .set(comments::reply_count.eq(comments::reply_count + 1))
            .execute(conn)?;
        }
        diesel::update(proposals::table.filter(proposals::id.eq(proposal_id)))
            .set((
                proposals::comment_count.eq(proposals::comment_count + 1),
                proposals::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(row)
    })
}

pub fn get(conn: &mut DbConn, proposal_id: i64, id: i64) -> DbResult<Option<CommentRow>> {
    Ok(comments::table
        .filter(comments::proposal_id.eq(proposal_id))
        .filter(comments::id.eq(id))
        .select(CommentRow::as_select())
        .load(conn)?
        .pop())
}

fn with_authors(rows: Vec<(CommentRow, String)>) -> Vec<CommentView> {
    rows.into_iter()
        .map(|(comment, author)| CommentView { comment, author })
        .collect()
}

/// One page of root comments in the chosen order.
pub fn roots(
    conn: &mut DbConn,
    proposal_id: i64,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<CommentView>> {
    let q = comments::table
        .inner_join(users::table)
        .filter(comments::proposal_id.eq(proposal_id))
        .filter(comments::depth.eq(1))
        .select((CommentRow::as_select(), users::display_name))
        .offset(offset)
        .limit(limit);
    let rows = match sort {
        Sort::Oldest => q.order(comments::path.asc()).load(conn)?,
        Sort::Newest => q.order(comments::path.desc()).load(conn)?,
        Sort::MostReplied => q
            .order((comments::reply_count.desc(), comments::path.asc()))
            .load(conn)?,
    };
    Ok(with_authors(rows))
}

/// The replies under `root_path` in thread order, from `offset`, at most `limit`.
pub fn replies(
    conn: &mut DbConn,
    proposal_id: i64,
    root_path: &str,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<CommentView>> {
    let (lo, hi) = subtree_range(root_path);
    Ok(with_authors(
        comments::table
            .inner_join(users::table)
            .filter(comments::proposal_id.eq(proposal_id))
            .filter(comments::path.gt(lo))
            .filter(comments::path.lt(hi))
            .order(comments::path.asc())
            .offset(offset)
            .limit(limit)
            .select((CommentRow::as_select(), users::display_name))
            .load(conn)?,
    ))
}

/// A comment's text history, newest first.
pub fn revisions(conn: &mut DbConn, id: i64) -> DbResult<Vec<CommentRevision>> {
    Ok(comment_revisions::table
        .filter(comment_revisions::comment_id.eq(id))
        .order(comment_revisions::revision.desc())
        .select(CommentRevision::as_select())
        .load(conn)?)
}

/// Replace a visible comment's text, keeping the old one. False when it is no longer visible
/// or was edited meanwhile.
pub fn edit(conn: &mut DbConn, c: &CommentRow, body: &str, now: i64) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let next = c.revision + 1;
        let n = diesel::update(
            comments::table
                .filter(comments::id.eq(c.id))
                .filter(comments::revision.eq(c.revision))
                .filter(comments::status.eq(Visibility::Visible.as_str())),
        )
        .set((
            comments::body.eq(body),
            comments::revision.eq(next),
            comments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
            diesel::insert_into(comment_revisions::table)
                .values((
                    comment_revisions::comment_id.eq(c.id),
                    comment_revisions::revision.eq(next),
                    comment_revisions::body.eq(body),
                    comment_revisions::edited_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok::<_, DbError>(n == 1)
    })
}

/// The author deletes a comment: it keeps its place in the thread, without its text.
pub fn soft_delete(conn: &mut DbConn, c: &CommentRow, now: i64) -> DbResult<bool> {
    Ok(diesel::update(
        comments::table
            .filter(comments::id.eq(c.id))
            .filter(comments::status.ne(Visibility::Deleted.as_str())),
    )
    .set((
        comments::status.eq(Visibility::Deleted.as_str()),
        comments::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

fn log(
    conn: &mut DbConn,
    community_id: i64,
    actor: Option<i64>,
    action: ModerationAction,
    target: (&str, i64),
    reason: &str,
    now: i64,
) -> DbResult<()> {
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::community_id.eq(community_id),
            moderation_log::actor_id.eq(actor),
            moderation_log::action.eq(action.as_str()),
            moderation_log::target_kind.eq(target.0),
            moderation_log::target_id.eq(target.1),
            moderation_log::reason.eq(reason),
            moderation_log::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// Counted; the comment stays.
    Counted,
    /// Counted, and the comment is now hidden pending review.
    Hidden,
    /// This user had reported it already; nothing changed.
    Already,
}

/// Record a report; the one that reaches `hide_after` hides the comment pending review.
#[allow(clippy::too_many_arguments)]
pub fn report(
    conn: &mut DbConn,
    community_id: i64,
    c: &CommentRow,
    reporter: i64,
    reason: &str,
    note: &str,
    hide_after: i32,
    now: i64,
) -> DbResult<Reported> {
    write_tx(conn, |conn| {
        let already = comment_reports::table
            .filter(comment_reports::comment_id.eq(c.id))
            .filter(comment_reports::reporter_id.eq(reporter))
            .count()
            .get_result::<i64>(conn)?;
        if already > 0 {
            return Ok(Reported::Already);
        }
        diesel::insert_into(comment_reports::table)
            .values((
                comment_reports::comment_id.eq(c.id),
                comment_reports::reporter_id.eq(reporter),
                comment_reports::reason.eq(reason),
                comment_reports::note.eq(note),
                comment_reports::created_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(comments::table.filter(comments::id.eq(c.id)))
            .set(comments::report_count.eq(comments::report_count + 1))
            .execute(conn)?;
        let (count, status): (i32, String) = comments::table
            .filter(comments::id.eq(c.id))
            .select((comments::report_count, comments::status))
            .get_result(conn)?;
        if hides_now(count, hide_after) && status == Visibility::Visible.as_str() {
            diesel::update(comments::table.filter(comments::id.eq(c.id)))
                .set((
                    comments::status.eq(Visibility::Hidden.as_str()),
                    comments::hidden_reason.eq(""),
                ))
                .execute(conn)?;
            log(
                conn,
                community_id,
                None,
                ModerationAction::AutoHide,
                ("comment", c.id),
                &format!("{count} reports"),
                now,
            )?;
            return Ok(Reported::Hidden);
        }
        Ok::<_, DbError>(Reported::Counted)
    })
}

/// The reports of a comment: (reason, note, when), for organisers reviewing it.
pub fn reports_of(conn: &mut DbConn, comment_id: i64) -> DbResult<Vec<(String, String, i64)>> {
    Ok(comment_reports::table
        .filter(comment_reports::comment_id.eq(comment_id))
        .order(comment_reports::created_at)
        .select((
            comment_reports::reason,
            comment_reports::note,
            comment_reports::created_at,
        ))
        .load(conn)?)
}

/// An organiser hides or restores a comment with a public reason, logged.
pub fn moderate(
    conn: &mut DbConn,
    community_id: i64,
    c: &CommentRow,
    hide: bool,
    actor: i64,
    reason: &str,
    now: i64,
) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let (from, to, action) = if hide {
            (
                Visibility::Visible,
                Visibility::Hidden,
                ModerationAction::Hide,
            )
        } else {
            (
                Visibility::Hidden,
                Visibility::Visible,
                ModerationAction::Restore,
            )
        };
        let n = diesel::update(
            comments::table
                .filter(comments::id.eq(c.id))
                .filter(comments::status.eq(from.as_str())),
        )
        .set((
            comments::status.eq(to.as_str()),
            comments::hidden_reason.eq(if hide { reason } else { "" }),
        ))
        .execute(conn)?;
        if n == 1 {
            log(
                conn,
                community_id,
                Some(actor),
                action,
                ("comment", c.id),
                reason,
                now,
            )?;
        }
        Ok::<_, DbError>(n == 1)
    })
}

/// The moderation log of a community, newest first, with each actor's display name.
pub fn moderation_log(
    conn: &mut DbConn,
    community_id: i64,
    limit: i64,
) -> DbResult<Vec<(ModerationEntry, Option<String>)>> {
    Ok(moderation_log::table
        .left_join(users::table.on(moderation_log::actor_id.eq(users::id.nullable())))
        .filter(moderation_log::community_id.eq(community_id))
        .order(moderation_log::id.desc())
        .limit(limit)
        .select((ModerationEntry::as_select(), users::display_name.nullable()))
        .load(conn)?)
}

/// Block or unblock a user in a community, logged. False when nothing changed.
pub fn set_block(
    conn: &mut DbConn,
    community_id: i64,
    user_id: i64,
    block: bool,
    actor: i64,
    reason: &str,
    now: i64,
) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let target = user_blocks::table
            .filter(user_blocks::community_id.eq(community_id))
            .filter(user_blocks::user_id.eq(user_id));
        let exists = target.count().get_result::<i64>(conn)? > 0;
        if exists == block {
            return Ok(false);
        }
        if block {
            diesel::insert_into(user_blocks::table)
                .values((
                    user_blocks::community_id.eq(community_id),
                    user_blocks::user_id.eq(user_id),
                    user_blocks::blocked_by.eq(actor),
                    user_blocks::reason.eq(reason),
                    user_blocks::created_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::delete(target).execute(conn)?;
        }
        let action = if block {
            ModerationAction::Block
        } else {
            ModerationAction::Unblock
        };
        log(
            conn,
            community_id,
            Some(actor),
            action,
            ("user", user_id),
            reason,
            now,
        )?;
        Ok::<_, DbError>(true)
    })
}

pub fn is_blocked(conn: &mut DbConn, community_id: i64, user_id: i64) -> DbResult<bool> {
    Ok(user_blocks::table
        .filter(user_blocks::community_id.eq(community_id))
        .filter(user_blocks::user_id.eq(user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// A comment by its path, with its author's display name.
pub fn get_by_path(
    conn: &mut DbConn,
    proposal_id: i64,
    path: &str,
) -> DbResult<Option<CommentView>> {
    Ok(with_authors(
        comments::table
            .inner_join(users::table)
            .filter(comments::proposal_id.eq(proposal_id))
            .filter(comments::path.eq(path))
            .select((CommentRow::as_select(), users::display_name))
            .load(conn)?,
    )
    .pop())
}

/// The users blocked in a community: (user id, display name, reason, when).
pub fn blocked_users(
    conn: &mut DbConn,
    community_id: i64,
) -> DbResult<Vec<(i64, String, String, i64)>> {
    Ok(user_blocks::table
        .inner_join(users::table.on(users::id.eq(user_blocks::user_id)))
        .filter(user_blocks::community_id.eq(community_id))
        .order(user_blocks::created_at.desc())
        .select((
            user_blocks::user_id,
            users::display_name,
            user_blocks::reason,
            user_blocks::created_at,
        ))
        .load(conn)?)
}

/// A comment by id alone (search results check its proposal's community after).
pub fn by_id(conn: &mut DbConn, id: i64) -> DbResult<Option<CommentRow>> {
    Ok(comments::table
        .filter(comments::id.eq(id))
        .select(CommentRow::as_select())
        .load(conn)?
        .pop())
}
