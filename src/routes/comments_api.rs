//! The forum's comment, moderation, settings and search API. Proposals and co-signatures
//! are in [`super::forum_api`]; both call [`crate::forum`].

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::forum_api::member_community;
use crate::app::AppState;
use crate::auth::Authed;
use crate::db::comments::{self as db_comments, Reported};
use crate::domain::comment::{CommentInput, Sort};
use crate::domain::roles::Action as Role;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::forum::{self, comments};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CommentsQuery {
    /// oldest (default), newest or most_replied.
    pub sort: Option<String>,
    pub page: Option<i64>,
}

pub fn sort_of(s: Option<&str>) -> AppResult<Sort> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(Sort::Oldest),
        Some(s) => Sort::parse(s).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "sort",
                Msg::new("comment-error-sort"),
            )])
        }),
    }
}

/// A page of root comments (20), each with its first replies in thread order.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/proposals/{id}/comments", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path), CommentsQuery), security(("bearer" = [])),
    responses((status = 200)))]
pub async fn api_comments(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<CommentsQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let sort = sort_of(q.sort.as_deref())?;
    let (page, organiser) = (q.page.unwrap_or(1), who.may(Role::ModerateForum, &c));
    let list = state
        .with_db(move |conn| {
            let p = forum::visible(conn, &c, id, Some(&who))?;
            comments::page(conn, p.id, sort, page, organiser)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Comment on a live proposal, or reply (up to three deep). A root comment may carry a
/// stance (support, oppose, neutral), which is not a vote.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals/{id}/comments", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = CommentInput,
    responses((status = 201), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_add_comment(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<CommentInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    let row = state
        .with_db(move |conn| comments::add(conn, &c, &who, id, &body, now))
        .await?;
    Ok(HttpResponse::Created().json(row))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EditCommentRequest {
    pub body: String,
}

/// Edit one's own comment (its history is kept).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/proposals/{id}/comments/{comment}",
    tag = "forum", params(("slug" = String, Path), ("id" = i64, Path), ("comment" = i64, Path)),
    security(("bearer" = [])), request_body = EditCommentRequest, responses((status = 200)))]
pub async fn api_edit_comment(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<EditCommentRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    let row = state
        .with_db(move |conn| comments::edit(conn, &c, &who, id, cid, &body.body, now))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Delete one's own comment (soft: its place in the thread stays).
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/proposals/{id}/comments/{comment}",
    tag = "forum", params(("slug" = String, Path), ("id" = i64, Path), ("comment" = i64, Path)),
    security(("bearer" = [])), responses((status = 204)))]
pub async fn api_delete_comment(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    state
        .with_db(move |conn| comments::delete(conn, &c, &who, id, cid, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReportRequest {
    /// spam, abusive, off_topic or personal_info.
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

/// Report a comment, once per member; at the community's threshold (default 3) it is hidden
/// pending review.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals/{id}/comments/{comment}/reports",
    tag = "forum", params(("slug" = String, Path), ("id" = i64, Path), ("comment" = i64, Path)),
    security(("bearer" = [])), request_body = ReportRequest, responses((status = 201)))]
pub async fn api_report(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<ReportRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    let r = state
        .with_db(move |conn| {
            comments::report(conn, &c, &who, id, cid, &body.reason, &body.note, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "hidden": r == Reported::Hidden })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ModerateRequest {
    /// hide or restore.
    pub action: String,
    /// Public.
    pub reason: String,
}

pub fn hide_of(action: &str) -> AppResult<bool> {
    match action.trim() {
        "hide" => Ok(true),
        "restore" => Ok(false),
        _ => Err(AppError::Validation(vec![FieldError::new(
            "action",
            Msg::new("moderation-error-action"),
        )])),
    }
}

/// Hide or restore a comment with a public reason (organisers); logged.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals/{id}/comments/{comment}/moderation",
    tag = "forum", params(("slug" = String, Path), ("id" = i64, Path), ("comment" = i64, Path)),
    security(("bearer" = [])), request_body = ModerateRequest, responses((status = 200)))]
pub async fn api_moderate(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<ModerateRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let hide = hide_of(&body.action)?;
    let now = state.ledger.clock.now();
    let row = state
        .with_db(move |conn| comments::moderate(conn, &c, &who, id, cid, hide, &body.reason, now))
        .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// The moderation log (organisers and scrutineers), newest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/moderation-log", tag = "forum",
    params(("slug" = String, Path)), security(("bearer" = [])), responses((status = 200)))]
pub async fn api_moderation_log(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = super::roster::authorise(&state, &user.0, &slug, Role::ReadModerationLog).await?;
    let rows = state
        .with_db(move |conn| Ok(db_comments::moderation_log(conn, c.id, 500)?))
        .await?;
    let out: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|(e, actor)| {
            let mut v = serde_json::to_value(&e).unwrap_or_default();
            v["actor"] = serde_json::json!(actor);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BlockRequest {
    pub reason: String,
}

/// Block a user from posting in the community (organisers), with a reason; logged.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/blocks/{user}", tag = "forum",
    params(("slug" = String, Path), ("user" = i64, Path)), security(("bearer" = [])),
    request_body = BlockRequest, responses((status = 200)))]
pub async fn api_block(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<BlockRequest>,
) -> AppResult<HttpResponse> {
    let (slug, target) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    state
        .with_db(move |conn| comments::block(conn, &c, &who, target, true, &body.reason, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "user": target, "blocked": true })))
}

/// Lift a block (organisers), with a reason; logged.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/blocks/{user}", tag = "forum",
    params(("slug" = String, Path), ("user" = i64, Path)), security(("bearer" = [])),
    request_body = BlockRequest, responses((status = 200)))]
pub async fn api_unblock(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<BlockRequest>,
) -> AppResult<HttpResponse> {
    let (slug, target) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    state
        .with_db(move |conn| comments::block(conn, &c, &who, target, false, &body.reason, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "user": target, "blocked": false })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SettingsRequest {
    /// The co-sign level as a fraction of the area or of the headcount (default 1/5).
    pub cosign_level_num: i32,
    pub cosign_level_den: i32,
    /// Reports that hide a comment pending review (default 3; 0: never).
    pub report_hide_threshold: i32,
}

/// Set the forum's settings (organisers).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/forum-settings", tag = "forum",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = SettingsRequest,
    responses((status = 200), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_settings(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<SettingsRequest>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let level = (body.cosign_level_num, body.cosign_level_den);
    let hide = body.report_hide_threshold;
    state
        .with_db(move |conn| forum::set_settings(conn, &c, &who, level, hide))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "cosign_level_num": level.0, "cosign_level_den": level.1, "report_hide_threshold": hide
    })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Words or Chinese text, at most 50 characters; every part must appear.
    #[serde(default)]
    pub q: String,
}

/// Search proposals and comments (members), Chinese and mixed text alike.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/search", tag = "forum",
    params(("slug" = String, Path), SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::forum::search::Hit>),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_search(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let query = q.into_inner().q;
    let hits = state
        .with_db(move |conn| crate::forum::search::search(conn, &c, &who, &query))
        .await?;
    Ok(HttpResponse::Ok().json(hits))
}
