//! Comments, reports and moderation: the operations behind the pages and the API.

use serde::Serialize;

use super::{require_poster, visible, Who};
use crate::db::comments::{self as db_comments, AddError, CommentRow, CommentView, Reported};
use crate::db::communities::Community;
use crate::db::{audit, DbConn};
use crate::domain::comment::{
    self, CommentInput, ReportReason, Sort, Visibility, PAGE_SIZE, REPLIES_SHOWN,
};
use crate::domain::roles::Action as Role;
use crate::error::{AppError, AppResult, FieldError, Msg};

/// Add a comment or a reply to a live proposal.
pub fn add(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    input: &CommentInput,
    now: i64,
) -> AppResult<CommentRow> {
    require_poster(conn, c, who)?;
    let p = visible(conn, c, proposal_id, Some(who))?;
    let (body, stance) = comment::validate(input).map_err(AppError::from)?;
    if !p.status().is_live() {
        return Err(AppError::Conflict(Msg::new("comment-error-closed")));
    }
    let parent = match input.parent_id {
        None => None,
        Some(pid) => {
            let parent = db_comments::get(conn, p.id, pid)?.ok_or_else(|| {
                AppError::Validation(vec![FieldError::new(
                    "parent_id",
                    Msg::new("comment-error-parent"),
                )])
            })?;
            if parent.visibility() != Visibility::Visible {
                return Err(AppError::Conflict(Msg::new("comment-error-parent-hidden")));
            }
            Some(parent)
        }
    };
    match db_comments::insert(conn, p.id, who.id, parent.as_ref(), &body, stance, now) {
        Ok(row) => {
            super::search::index_comment(conn, c.id, row.id, &row.body)?;
            crate::notify::on_reply(conn, c, parent.as_ref(), &row, now);
            Ok(row)
        }
        Err(AddError::TooDeep) => Err(AppError::Validation(vec![FieldError::new(
            "parent_id",
            Msg::new("comment-error-too-deep"),
        )])),
        Err(AddError::Db(e)) => Err(e.into()),
    }
}

fn own_comment(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    id: i64,
) -> AppResult<CommentRow> {
    let p = visible(conn, c, proposal_id, Some(who))?;
    let row = db_comments::get(conn, p.id, id)?.ok_or(AppError::NotFound)?;
    if row.author_id != who.id {
        return Err(AppError::Forbidden);
    }
    if !p.status().is_live() {
        return Err(AppError::Conflict(Msg::new("comment-error-closed")));
    }
    Ok(row)
}

/// The author edits a visible comment; the old text stays in its history.
pub fn edit(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    id: i64,
    body: &str,
    now: i64,
) -> AppResult<CommentRow> {
    require_poster(conn, c, who)?;
    let row = own_comment(conn, c, who, proposal_id, id)?;
    let input = CommentInput {
        body: body.to_owned(),
        ..Default::default()
    };
    let (body, _) = comment::validate(&input).map_err(AppError::from)?;
    if !db_comments::edit(conn, &row, &body, now)? {
        return Err(AppError::Conflict(Msg::new("comment-error-not-editable")));
    }
    super::search::index_comment(conn, c.id, row.id, &body)?;
    db_comments::get(conn, proposal_id, id)?.ok_or(AppError::NotFound)
}

/// The author deletes a comment: its place in the thread stays, its text is no longer shown.
pub fn delete(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    id: i64,
    now: i64,
) -> AppResult<()> {
    let row = own_comment(conn, c, who, proposal_id, id)?;
    if !db_comments::soft_delete(conn, &row, now)? {
        return Err(AppError::Conflict(Msg::new("comment-error-deleted")));
    }
    crate::db::search::remove(conn, "comment", row.id)?;
    Ok(())
}

/// A member reports a comment, once; the report that reaches the community's threshold hides
/// it pending review.
#[allow(clippy::too_many_arguments)]
pub fn report(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    id: i64,
    reason: &str,
    note: &str,
    now: i64,
) -> AppResult<Reported> {
    require_poster(conn, c, who)?;
    let p = visible(conn, c, proposal_id, Some(who))?;
    let row = db_comments::get(conn, p.id, id)?.ok_or(AppError::NotFound)?;
    let mut problems = Vec::new();
    let reason = ReportReason::parse(reason.trim());
    if reason.is_none() {
        problems.push(FieldError::new("reason", Msg::new("report-error-reason")));
    }
    let note = match comment::check_reason("note", note, false) {
        Ok(n) => n,
        Err(v) => {
            if let AppError::Validation(mut v) = AppError::from(v) {
                problems.append(&mut v);
            }
            String::new()
        }
    };
    let (Some(reason), true) = (reason, problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    if row.visibility() == Visibility::Deleted {
        return Err(AppError::Conflict(Msg::new("comment-error-deleted")));
    }
    let r = db_comments::report(
        conn,
        c.id,
        &row,
        who.id,
        reason.as_str(),
        &note,
        c.report_hide_threshold,
        now,
    )?;
    if r == Reported::Already {
        return Err(AppError::Conflict(Msg::new("report-error-twice")));
    }
    Ok(r)
}

/// An organiser hides or restores a comment, with a public reason.
#[allow(clippy::too_many_arguments)]
pub fn moderate(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    proposal_id: i64,
    id: i64,
    hide: bool,
    reason: &str,
    now: i64,
) -> AppResult<CommentRow> {
    if !who.may(Role::ModerateForum, c) {
        return Err(AppError::Forbidden);
    }
    let reason = comment::check_reason("reason", reason, true).map_err(AppError::from)?;
    let p = crate::db::proposals::get(conn, c.id, proposal_id)?.ok_or(AppError::NotFound)?;
    let row = db_comments::get(conn, p.id, id)?.ok_or(AppError::NotFound)?;
    if !db_comments::moderate(conn, c.id, &row, hide, who.id, &reason, now)? {
        return Err(AppError::Conflict(Msg::new(if hide {
            "moderation-error-not-visible"
        } else {
            "moderation-error-not-hidden"
        })));
    }
    db_comments::get(conn, p.id, id)?.ok_or(AppError::NotFound)
}

/// An organiser blocks a user from posting in the community (or lifts the block), with a
/// reason. Co-signing and voting are owners' rights and stay.
pub fn block(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    user_id: i64,
    block: bool,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    if !who.may(Role::ModerateForum, c) {
        return Err(AppError::Forbidden);
    }
    let reason = comment::check_reason("reason", reason, true).map_err(AppError::from)?;
    if user_id == who.id {
        return Err(AppError::Conflict(Msg::new("block-error-self")));
    }
    if crate::db::accounts::user_by_id(conn, user_id)?.is_none() {
        return Err(AppError::NotFound);
    }
    if !db_comments::set_block(conn, c.id, user_id, block, who.id, &reason, now)? {
        return Err(AppError::Conflict(Msg::new(if block {
            "block-error-already"
        } else {
            "block-error-not-blocked"
        })));
    }
    audit::append(
        conn,
        Some(c.id),
        Some(who.id),
        if block {
            "forum.block"
        } else {
            "forum.unblock"
        },
        &serde_json::json!({}),
        &serde_json::json!({ "user": user_id, "reason": reason }),
    )?;
    Ok(())
}

/// A comment as shown: hidden and deleted ones keep their place without their text (the
/// organisers see hidden text, marked).
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub view: CommentView,
    /// The text to show, or `None` when it is withheld.
    pub text: Option<String>,
    pub replies: Vec<Shown>,
    /// Replies not shown on this page (the thread page has them all).
    pub more_replies: i64,
}

fn shown(v: CommentView, organiser: bool) -> Shown {
    let text = match v.comment.visibility() {
        Visibility::Visible => Some(v.comment.body.clone()),
        Visibility::Hidden if organiser => Some(v.comment.body.clone()),
        _ => None,
    };
    let mut v = v;
    if text.is_none() {
        v.comment.body = String::new();
    }
    Shown {
        view: v,
        text,
        replies: Vec::new(),
        more_replies: 0,
    }
}

/// One page of a proposal's comments: root comments in `sort` order, each with its first
/// replies in thread order.
pub fn page(
    conn: &mut DbConn,
    proposal_id: i64,
    sort: Sort,
    page: i64,
    organiser: bool,
) -> AppResult<Vec<Shown>> {
    let offset = (page.max(1) - 1) * PAGE_SIZE;
    let roots = db_comments::roots(conn, proposal_id, sort, offset, PAGE_SIZE)?;
    let mut out = Vec::with_capacity(roots.len());
    for r in roots {
        let total = i64::from(r.comment.reply_count);
        let replies = if total > 0 {
            db_comments::replies(conn, proposal_id, &r.comment.path, 0, REPLIES_SHOWN)?
        } else {
            Vec::new()
        };
        let mut s = shown(r, organiser);
        s.more_replies = total - replies.len() as i64;
        s.replies = replies.into_iter().map(|v| shown(v, organiser)).collect();
        out.push(s);
    }
    Ok(out)
}

/// A whole thread: the root comment and a page of its replies in thread order.
pub fn thread(
    conn: &mut DbConn,
    proposal_id: i64,
    id: i64,
    page: i64,
    organiser: bool,
) -> AppResult<Shown> {
    let row = db_comments::get(conn, proposal_id, id)?.ok_or(AppError::NotFound)?;
    let root_path = row.path.split('.').next().unwrap_or_default().to_owned();
    let root =
        db_comments::get_by_path(conn, proposal_id, &root_path)?.ok_or(AppError::NotFound)?;
    let per_page = PAGE_SIZE * 5;
    let offset = (page.max(1) - 1) * per_page;
    let replies = db_comments::replies(conn, proposal_id, &root_path, offset, per_page)?;
    let total = i64::from(root.comment.reply_count);
    let mut s = shown(root, organiser);
    s.more_replies = (total - offset - replies.len() as i64).max(0);
    s.replies = replies.into_iter().map(|v| shown(v, organiser)).collect();
    Ok(s)
}
