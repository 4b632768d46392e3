//! The forum's comment-thread, moderation and search pages, without JavaScript. The
//! proposal pages are in [`super::forum`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::see_other;
use super::comments_api::{hide_of, SearchQuery};
use super::forum::base_ctx;
use super::forum_api::member_community;
use crate::app::AppState;
use crate::auth;
use crate::db::comments as db_comments;
use crate::domain::comment::ReportReason;
use crate::domain::roles::Action as Role;
use crate::error::{AppError, AppResult};
use crate::forum::{self, comments, Who};
use crate::shell::PageCtx;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<i64>,
}

pub async fn thread_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let organiser = who.may(Role::ModerateForum, &c);
    let page_no = q.page.unwrap_or(1).max(1);
    let (c2, who2) = (c.clone(), who.clone());
    let (p, thread, history, reports) = state
        .with_db(move |conn| {
            let p = forum::visible(conn, &c2, id, Some(&who2))?;
            let thread = comments::thread(conn, p.id, cid, page_no, organiser)?;
            let mut history = Vec::new();
            for s in std::iter::once(&thread).chain(thread.replies.iter()) {
                if s.view.comment.revision > 1 && s.text.is_some() {
                    history.push((
                        s.view.comment.id,
                        db_comments::revisions(conn, s.view.comment.id)?,
                    ));
                }
            }
            let mut reports = Vec::new();
            if organiser {
                for s in std::iter::once(&thread).chain(thread.replies.iter()) {
                    if s.view.comment.report_count > 0 {
                        reports.push((
                            s.view.comment.id,
                            db_comments::reports_of(conn, s.view.comment.id)?,
                        ));
                    }
                }
            }
            Ok((p, thread, history, reports))
        })
        .await?;
    let mut ctx = base_ctx(&c);
    ctx.insert("p", &p);
    ctx.insert("live", &p.status().is_live());
    let items: Vec<&comments::Shown> = std::iter::once(&thread)
        .chain(thread.replies.iter())
        .collect();
    ctx.insert("items", &items);
    ctx.insert("thread", &thread);
    ctx.insert(
        "history",
        &history
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    ctx.insert(
        "reports",
        &reports
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    ctx.insert("organiser", &organiser);
    ctx.insert("me", &who.id);
    ctx.insert("page_no", &page_no);
    ctx.insert(
        "report_reasons",
        &ReportReason::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    page.render(&state.tera, "comment_thread.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct CommentActionForm {
    pub csrf: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub action: String,
}

/// Edit, delete, report or moderate a comment, by `op`.
pub async fn comment_action_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64, String)>,
    form: web::Form<CommentActionForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, cid, op) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let now = state.ledger.clock.now();
    let hide = match op.as_str() {
        "moderate" => Some(hide_of(&form.action)?),
        "edit" | "delete" | "report" => None,
        _ => return Err(AppError::NotFound),
    };
    let (c2, form) = (c.clone(), form.into_inner());
    state
        .with_db(move |conn| {
            match (op.as_str(), hide) {
                ("edit", _) => {
                    comments::edit(conn, &c2, &who, id, cid, &form.body, now)?;
                }
                ("delete", _) => comments::delete(conn, &c2, &who, id, cid, now)?,
                ("report", _) => {
                    comments::report(conn, &c2, &who, id, cid, &form.reason, &form.note, now)?;
                }
                (_, Some(hide)) => {
                    comments::moderate(conn, &c2, &who, id, cid, hide, &form.reason, now)?;
                }
                _ => return Err(AppError::NotFound),
            }
            Ok(())
        })
        .await?;
    Ok(see_other(&format!(
        "/c/{}/proposals/{id}/comments/{cid}#comment-{cid}",
        c.slug
    )))
}

pub async fn moderation_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = super::roster::authorise(&state, user, &slug, Role::ReadModerationLog).await?;
    let who = Who::from(user);
    let cid = c.id;
    let (log, blocked) = state
        .with_db(move |conn| {
            Ok((
                db_comments::moderation_log(conn, cid, 500)?,
                db_comments::blocked_users(conn, cid)?,
            ))
        })
        .await?;
    let log: Vec<serde_json::Value> = log
        .into_iter()
        .map(|(e, actor)| serde_json::json!({ "entry": e, "actor": actor }))
        .collect();
    let mut ctx = base_ctx(&c);
    ctx.insert("log", &log);
    ctx.insert("blocked", &blocked);
    ctx.insert("organiser", &who.may(Role::ModerateForum, &c));
    page.render(&state.tera, "moderation.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct BlockForm {
    pub csrf: String,
    pub login: String,
    /// `block` or `unblock`.
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn block_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<BlockForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let block = form.action == "block";
    let (c2, now, form) = (c.clone(), state.ledger.clock.now(), form.into_inner());
    state
        .with_db(move |conn| {
            let target = crate::db::accounts::user_by_login(conn, form.login.trim())?
                .ok_or(AppError::NotFound)?;
            comments::block(conn, &c2, &who, target.id, block, &form.reason, now)
        })
        .await?;
    Ok(see_other(&format!("/c/{}/moderation", c.slug)))
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    pub csrf: String,
    pub cosign_level_num: String,
    pub cosign_level_den: String,
    pub report_hide_threshold: String,
}

pub async fn settings_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let n = |s: &str| s.trim().parse::<i32>().unwrap_or(-1);
    let level = (n(&form.cosign_level_num), n(&form.cosign_level_den));
    let hide = n(&form.report_hide_threshold);
    let c2 = c.clone();
    state
        .with_db(move |conn| forum::set_settings(conn, &c2, &who, level, hide))
        .await?;
    Ok(see_other(&format!("/c/{}/moderation", c.slug)))
}

pub async fn search_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let query = q.into_inner().q;
    let mut ctx = base_ctx(&c);
    ctx.insert("q", &query);
    if !query.trim().is_empty() {
        let (c2, q2) = (c.clone(), query.clone());
        let res = state
            .with_db(move |conn| crate::forum::search::search(conn, &c2, &who, &q2))
            .await;
        match res {
            Ok(hits) => ctx.insert("hits", &hits),
            Err(AppError::Validation(_)) => ctx.insert("bad_query", &true),
            Err(e) => return Err(e),
        }
    }
    ctx.insert("organiser", &false);
    page.render(&state.tera, "search.html", ctx)
}
