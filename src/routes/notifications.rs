//! The signed-in user's notifications: the inbox and the settings, as pages (no JavaScript)
//! and as the API.

use std::collections::{BTreeMap, HashMap};

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::see_other;
use crate::app::AppState;
use crate::auth::{self, Authed};
use crate::db::notifications::{self as db, NotificationRow};
use crate::domain::notification::{Channel, Kind};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::settings::{self, NotificationSettings};
use crate::shell::PageCtx;

/// How many notifications the inbox shows.
pub const INBOX_LIMIT: i64 = 100;

/// A notification as the API and the inbox show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub community_id: i64,
    /// reply, cosign_level, proposal_status, ballot_open, ballot_close or report_status.
    pub kind: String,
    pub title: String,
    /// A local path.
    pub url: String,
    pub created_at: i64,
    pub read: bool,
}

impl From<NotificationRow> for NotificationView {
    fn from(n: NotificationRow) -> Self {
        NotificationView {
            id: n.id,
            community_id: n.community_id,
            kind: n.kind,
            title: n.title,
            url: n.url,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub unread: i64,
    /// Newest first, at most 100.
    pub items: Vec<NotificationView>,
}

async fn inbox(state: &AppState, user_id: i64) -> AppResult<Inbox> {
    state
        .with_db(move |conn| {
            Ok(Inbox {
                unread: db::unread_count(conn, user_id)?,
                items: db::list(conn, user_id, INBOX_LIMIT)?
                    .into_iter()
                    .map(NotificationView::from)
                    .collect(),
            })
        })
        .await
}

async fn mark(state: &AppState, user_id: i64, ids: Option<Vec<i64>>) -> AppResult<usize> {
    let now = state.settings.clock.now();
    state
        .with_db(move |conn| Ok(db::mark_read(conn, user_id, ids.as_deref(), now)?))
        .await
}

pub async fn inbox_page(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let user_id = page.user()?.user.id;
    let inbox = inbox(&state, user_id).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("inbox", &inbox);
    page.render(&state.tera, "inbox.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct ReadForm {
    pub csrf: String,
    /// One notification; without it, all.
    pub id: Option<i64>,
}

pub async fn read_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    form: web::Form<ReadForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user_id = page.user()?.user.id;
    mark(&state, user_id, form.id.map(|id| vec![id])).await?;
    Ok(see_other("/me/inbox"))
}

fn kinds_ctx() -> Vec<serde_json::Value> {
    Kind::ALL
        .iter()
        .map(|k| serde_json::json!({ "kind": k.as_str(), "label": k.message_id() }))
        .collect()
}

fn render_settings(
    page: &PageCtx,
    state: &AppState,
    s: &NotificationSettings,
    errors: &[FieldError],
    saved: bool,
) -> AppResult<HttpResponse> {
    // Every kind has a channel to show, also when a form left some out.
    let mut s = s.clone();
    for k in Kind::ALL {
        s.channels
            .entry(k.as_str().to_owned())
            .or_insert_with(|| Channel::default().as_str().to_owned());
    }
    let mut ctx = tera::Context::new();
    ctx.insert("settings", &s);
    ctx.insert("kinds", &kinds_ctx());
    ctx.insert(
        "channels",
        &Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    );
    ctx.insert("saved", &saved);
    ctx.insert("mail_on", &state.settings.mail.is_some());
    page.render_form(&state.tera, "notification_settings.html", ctx, errors)
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    pub saved: Option<u8>,
}

pub async fn settings_page(
    page: PageCtx,
    state: web::Data<AppState>,
    q: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let user_id = page.user()?.user.id;
    let s = state
        .with_db(move |conn| settings::load(conn, user_id))
        .await?;
    render_settings(&page, &state, &s, &[], q.saved.is_some())
}

/// The form: `csrf`, `email`, `digest` (a checkbox) and `channel_<kind>` for each kind.
pub async fn settings_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    auth::check_csrf(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let user_id = page.user()?.user.id;
    let channels: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("channel_")?.to_owned(), v.clone())))
        .collect();
    let s = NotificationSettings {
        email: form.get("email").cloned().unwrap_or_default(),
        digest: form.contains_key("digest"),
        channels,
    };
    let s2 = s.clone();
    match state
        .with_db(move |conn| settings::save(conn, user_id, &s2))
        .await
    {
        Ok(_) => Ok(see_other("/me/notifications?saved=1")),
        Err(AppError::Validation(errors)) => render_settings(&page, &state, &s, &errors, false),
        Err(e) => Err(e),
    }
}

/// The signed-in user's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = Inbox), (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_list(user: Authed, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(inbox(&state, user.0.user.id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReadRequest {
    /// These notifications (the user's own; others are ignored).
    #[serde(default)]
    pub ids: Vec<i64>,
    /// All of them.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// How many were unread and are now read.
    pub marked: usize,
}

/// Mark notifications read: `{"ids": [...]}` or `{"all": true}`.
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "accounts",
    security(("bearer" = [])), request_body = ReadRequest,
    responses((status = 200, body = Marked), (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_read(
    user: Authed,
    state: web::Data<AppState>,
    body: web::Json<ReadRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let ids = if body.all { None } else { Some(body.ids) };
    let marked = mark(&state, user.0.user.id, ids).await?;
    Ok(HttpResponse::Ok().json(Marked { marked }))
}

/// The signed-in user's notification settings.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings),
        (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_settings(user: Authed, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let id = user.0.user.id;
    let s = state.with_db(move |conn| settings::load(conn, id)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Replace the notification settings; 422 naming each bad field, nothing stored.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "accounts",
    security(("bearer" = [])), request_body = NotificationSettings,
    responses((status = 200, body = NotificationSettings),
        (status = 422, body = crate::shell::errors::Problem),
        (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_put_settings(
    user: Authed,
    state: web::Data<AppState>,
    body: web::Json<NotificationSettings>,
) -> AppResult<HttpResponse> {
    let id = user.0.user.id;
    let s = body.into_inner();
    let saved = state
        .with_db(move |conn| settings::save(conn, id, &s))
        .await?;
    Ok(HttpResponse::Ok().json(saved))
}

/// The pages' routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/inbox").get(inbox_page))
        .service(web::resource("/me/inbox/read").post(read_submit))
        .service(
            web::resource("/me/notifications")
                .get(settings_page)
                .post(settings_submit),
        );
}

/// The API's routes (inside `/api/v1`).
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/me/notifications").get(api_list))
        .service(web::resource("/me/notifications/read").post(api_read))
        .service(
            web::resource("/me/notification-settings")
                .get(api_settings)
                .put(api_put_settings),
        );
}
