//! The ballot API: drafting and lifecycle (organisers) and casting (owners). The public
//! bulletin board's API is in [`super::board_api`].

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::residents::current_year;
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::db::ballots::{self as db_ballots, BallotRow};
use crate::db::communities::Community;
use crate::domain::ballot::{self, Answer, DefinitionInput};
use crate::domain::lifecycle::Action as LifecycleAction;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::ledger::{service, writer, Receipt};

/// A ballot as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BallotView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub scope_buildings: Vec<i64>,
    pub privacy: String,
    pub counting_rule: String,
    /// The rule's thresholds and citation (the preset's, or a custom rule's parts).
    #[schema(value_type = Object)]
    pub rule: crate::domain::tally::Rule,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<ballot::Question>,
    /// Unix seconds, UTC.
    pub opens_at: i64,
    pub closes_at: i64,
    pub status: String,
    pub status_reason: String,
    pub notice_days: i32,
    pub announced_at: Option<i64>,
    pub log_size: i64,
    pub origin: String,
}

pub fn view(state: &AppState, c: &Community, b: &BallotRow) -> BallotView {
    BallotView {
        id: b.id,
        title: b.title.clone(),
        description: b.description.clone(),
        kind: b.kind.clone(),
        scope_buildings: b.scope(),
        privacy: b.privacy.clone(),
        counting_rule: b.counting_rule.clone(),
        rule: b.rule(),
        questions: b.questions(),
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        status: b.status.clone(),
        status_reason: b.status_reason.clone(),
        notice_days: b.notice_days,
        announced_at: b.announced_at,
        log_size: b.log_size,
        origin: ballot::origin(&state.settings.log_name, &c.slug, b.id),
    }
}

fn is_organiser(user: Option<&CurrentUser>, c: &Community) -> bool {
    user.is_some_and(|u| u.grants.allows(Action::ManageBallots, c.id))
}

/// Load a ballot (schedule applied); drafts exist only for organisers.
pub async fn load(
    state: &web::Data<AppState>,
    c: &Community,
    id: i64,
    user: Option<&CurrentUser>,
) -> AppResult<BallotRow> {
    let (ledger, c2) = (state.ledger.clone(), c.clone());
    let b = state
        .with_db(move |conn| service::load_current(conn, &ledger, &c2, id))
        .await?;
    if !b.status().is_public() && !is_organiser(user, c) {
        return Err(AppError::NotFound);
    }
    Ok(b)
}

/// List a community's ballots (drafts only for organisers).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots", tag = "ballots",
    params(("slug" = String, Path)), responses((status = 200, body = [BallotView])))]
pub async fn api_list(
    user: crate::auth::MaybeUser,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = community_by_slug(&state, &slug).await?;
    let drafts = is_organiser(user.0.as_ref(), &c);
    let id = c.id;
    let rows = state
        .with_db(move |conn| Ok(db_ballots::list(conn, id, drafts)?))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(|b| view(&state, &c, b)).collect::<Vec<_>>()))
}

/// Create a draft ballot.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots", tag = "ballots",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = DefinitionInput,
    responses((status = 201, body = BallotView), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<DefinitionInput>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ManageBallots).await?;
    let (ledger, c2, actor) = (state.ledger.clone(), c.clone(), user.0.user.id);
    let row = state
        .with_db(move |conn| service::create(conn, &ledger, &c2, actor, &body))
        .await?;
    Ok(HttpResponse::Created().json(view(&state, &c, &row)))
}

/// One ballot.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200, body = BallotView)))]
pub async fn api_get(
    user: crate::auth::MaybeUser,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, user.0.as_ref()).await?;
    Ok(HttpResponse::Ok().json(view(&state, &c, &b)))
}

/// Replace a draft's definition.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/ballots/{id}", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = DefinitionInput,
    responses((status = 200, body = BallotView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_update(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<DefinitionInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::ManageBallots).await?;
    let (ledger, c2, actor) = (state.ledger.clone(), c.clone(), user.0.user.id);
    let row = state
        .with_db(move |conn| service::update(conn, &ledger, &c2, actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, &c, &row)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TransitionRequest {
    /// `announce`, `open`, `close`, `tally`, `certify` or `cancel`.
    pub action: String,
    /// Required to cancel.
    #[serde(default)]
    pub reason: String,
}

pub async fn transition(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    action: &str,
    reason: String,
) -> AppResult<(Community, BallotRow)> {
    let c = authorise(state, user, slug, Action::ManageBallots).await?;
    let action = LifecycleAction::parse(action.trim()).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "action",
            Msg::new("lifecycle-unknown-action"),
        )])
    })?;
    let (ledger, c2, actor, year) = (
        state.ledger.clone(),
        c.clone(),
        user.user.id,
        current_year(),
    );
    let row = state
        .with_db(move |conn| service::act(conn, &ledger, &c2, actor, id, action, &reason, year))
        .await?;
    Ok((c, row))
}

/// Move a ballot through its lifecycle.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/transitions", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = TransitionRequest,
    responses((status = 200, body = BallotView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_transition(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<TransitionRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let body = body.into_inner();
    let (c, row) = transition(&state, &user.0, &slug, id, &body.action, body.reason).await?;
    Ok(HttpResponse::Ok().json(view(&state, &c, &row)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NoticeRequest {
    /// Days between announcement and opening (0 to 90).
    pub days: i32,
    /// Required when the period differs from 15 days.
    #[serde(default)]
    pub reason: String,
}

pub async fn set_notice(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    days: i32,
    reason: String,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, Action::ManageBallots).await?;
    let reason = reason.trim().to_owned();
    let mut problems = Vec::new();
    if !(0..=ballot::MAX_NOTICE_DAYS).contains(&days) {
        problems.push(FieldError::new("days", Msg::new("notice-error-days")));
    }
    if days != ballot::DEFAULT_NOTICE_DAYS && reason.is_empty() {
        problems.push(FieldError::new("reason", Msg::new("notice-error-reason")));
    }
    if reason.chars().count() > ballot::MAX_TEXT_CHARS {
        problems.push(FieldError::new("reason", Msg::new("ballot-error-too-long")));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let (id, actor, before) = (c.id, user.user.id, c.notice_days);
    state
        .with_db(move |conn| {
            crate::db::write_tx(conn, |conn| {
                db_ballots::set_notice(conn, id, days, &reason)?;
                crate::db::audit::append(
                    conn,
                    Some(id),
                    Some(actor),
                    "community.notice",
                    &serde_json::json!({ "days": before }),
                    &serde_json::json!({ "days": days, "reason": reason }),
                )?;
                Ok(())
            })
        })
        .await?;
    community_by_slug(state, slug).await
}

/// Set the community's notice period (15 days by default), with the reason for a change.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/notice", tag = "ballots",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = NoticeRequest,
    responses((status = 200), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_set_notice(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<NoticeRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let c = set_notice(&state, &user.0, &slug, body.days, body.reason).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "days": c.notice_days, "reason": c.notice_reason
    })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CastRequest {
    /// A fresh random string (16 to 128 characters) per cast; a request sent again with the
    /// same nonce is refused as a replay.
    pub nonce: String,
    pub answers: Vec<Answer>,
}

/// Check a nonce's shape and hash it.
pub fn nonce_hash(nonce: &str) -> AppResult<String> {
    let n = nonce.trim();
    if !(16..=128).contains(&n.len()) || !n.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::Validation(vec![FieldError::new(
            "nonce",
            Msg::new("cast-error-nonce"),
        )]));
    }
    Ok(crate::crypto::tokens::sha256_hex(n))
}

pub async fn cast(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    nonce: &str,
    answers: Vec<Answer>,
) -> AppResult<Receipt> {
    let nonce_hash = nonce_hash(nonce)?;
    // One trip to the database thread pool: the community, the ballot (schedule applied), the
    // voter and the answers.
    let (ledger, slug2, grants) = (state.ledger.clone(), slug.to_owned(), user.grants.clone());
    let (ballot, voter, answers) = state
        .with_db(move |conn| {
            let c = crate::db::communities::by_slug(conn, &slug2)?.ok_or(AppError::NotFound)?;
            service::prepare_cast(conn, &ledger, &c, id, &grants, &answers)
        })
        .await?;
    let origin = ballot::origin(&state.settings.log_name, slug, id);
    state
        .ledger
        .cast(writer::Cast {
            ballot,
            origin,
            voter,
            user_id: user.user.id,
            nonce_hash,
            answers,
            channel: writer::CastChannel::Online,
        })
        .await
        .map_err(cast_error)
}

/// What a refused cast tells the client.
pub fn cast_error(e: writer::CastError) -> AppError {
    match e {
        writer::CastError::NotOpen => AppError::Conflict(Msg::new("cast-error-not-open")),
        writer::CastError::Replay => AppError::Conflict(Msg::new("cast-error-replay")),
        writer::CastError::Refused(r) => crate::ledger::proxies::refusal(r),
        writer::CastError::Unavailable => AppError::Unavailable("ballot writer".into()),
        writer::CastError::Internal => AppError::internal(anyhow::anyhow!("ballot writer failed")),
    }
}

/// Cast (or replace) the signed-in owner's ballot. The receipt is sent after the commit.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/casts", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = CastRequest,
    responses((status = 201, body = Receipt), (status = 403, body = crate::shell::errors::Problem),
        (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_cast(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<CastRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let body = body.into_inner();
    let receipt = cast(&state, &user.0, &slug, id, &body.nonce, body.answers).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(receipt))
}
