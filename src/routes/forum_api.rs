//! The forum's API: proposals, co-signatures, comments, reports and moderation. The pages
//! are in [`super::forum`]; both call [`crate::forum`]. Members of the community only.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::roster::community_by_slug;
use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::db::communities::Community;
use crate::db::proposals::{self as db_proposals, ProposalListItem, ProposalRow};
use crate::domain::proposal::{Action, ProposalInput, Status};
use crate::domain::roles::Action as Role;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::forum::{self, Who};

/// The community, for a member (anyone else: 403).
pub async fn member_community(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
) -> AppResult<(Community, Who)> {
    let c = community_by_slug(state, slug).await?;
    user.require(Role::Participate, c.id)?;
    Ok((c, Who::from(user)))
}

/// Shares in tenths of a percent, floored, in integers (for the meter).
pub fn per_mille(part: i64, base: i64) -> i64 {
    if base <= 0 {
        0
    } else {
        i64::try_from(i128::from(part) * 1000 / i128::from(base)).unwrap_or(0)
    }
}

/// A proposal as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub proposal: ProposalRow,
    pub author: String,
    /// The co-signers' shares of the community's area and headcount, in tenths of a percent.
    pub cosign_area_per_mille: i64,
    pub cosign_headcount_per_mille: i64,
    /// The community's co-sign level (`num/den` of the area or of the headcount).
    pub level: String,
}

pub fn view(c: &Community, proposal: ProposalRow, author: String) -> ProposalView {
    ProposalView {
        cosign_area_per_mille: per_mille(proposal.cosign_area_centi, proposal.base_area_centi),
        cosign_headcount_per_mille: per_mille(proposal.cosign_headcount, proposal.base_headcount),
        level: format!("{}/{}", c.cosign_level_num, c.cosign_level_den),
        proposal,
        author,
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub status: Option<String>,
    pub page: Option<i64>,
}

pub const PROPOSALS_PER_PAGE: i64 = 20;

/// A page of proposals, for the list page and the API.
pub async fn list(
    state: &AppState,
    c: &Community,
    who: &Who,
    q: &ListQuery,
) -> AppResult<Vec<ProposalListItem>> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "status",
                Msg::new("proposal-error-status"),
            )])
        })?),
    };
    let (cid, viewer) = (c.id, who.id);
    let offset = (q.page.unwrap_or(1).max(1) - 1) * PROPOSALS_PER_PAGE;
    state
        .with_db(move |conn| {
            Ok(db_proposals::list(
                conn,
                cid,
                status,
                Some(viewer),
                offset,
                PROPOSALS_PER_PAGE,
            )?)
        })
        .await
}

/// The proposals of a community, most recently active first (20 a page).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/proposals", tag = "forum",
    params(("slug" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_list(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let items = list(&state, &c, &who, &q).await?;
    let views: Vec<ProposalView> = items
        .into_iter()
        .map(|i| view(&c, i.proposal, i.author))
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateRequest {
    #[serde(flatten)]
    pub proposal: ProposalInput,
    /// Publish at once (default) or keep as a draft.
    #[serde(default = "yes")]
    pub publish: bool,
}

fn yes() -> bool {
    true
}

/// Raise a proposal (any member).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals", tag = "forum",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = CreateRequest,
    responses((status = 201), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<CreateRequest>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    let (c2, name) = (c.clone(), user.0.user.display_name.clone());
    let row = state
        .with_db(move |conn| forum::create(conn, &c2, &who, &body.proposal, body.publish, now))
        .await?;
    Ok(HttpResponse::Created().json(view(&c, row, name)))
}

/// Everything the proposal page and the API show about one proposal.
#[derive(Debug, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub view: ProposalView,
    pub revisions: Vec<db_proposals::Revision>,
    pub events: Vec<EventView>,
}

#[derive(Debug, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: db_proposals::Event,
    pub actor: Option<String>,
}

pub async fn detail(state: &AppState, c: &Community, who: &Who, id: i64) -> AppResult<Detail> {
    let (c2, who2) = (c.clone(), who.clone());
    let (row, author, revisions, events) = state
        .with_db(move |conn| {
            let row = forum::visible(conn, &c2, id, Some(&who2))?;
            let author = crate::db::accounts::user_by_id(conn, row.author_id)?
                .map(|u| u.display_name)
                .unwrap_or_default();
            let revisions = db_proposals::revisions(conn, row.id)?;
            let events = db_proposals::events(conn, row.id)?;
            Ok((row, author, revisions, events))
        })
        .await?;
    Ok(Detail {
        view: view(c, row, author),
        revisions,
        events: events
            .into_iter()
            .map(|(event, actor)| EventView { event, actor })
            .collect(),
    })
}

/// One proposal with its revisions and lifecycle events.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/proposals/{id}", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_get(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    Ok(HttpResponse::Ok().json(detail(&state, &c, &who, id).await?))
}

/// Edit a proposal's text (its author, while it is a draft or under discussion).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/proposals/{id}", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = ProposalInput,
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_update(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<ProposalInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let now = state.ledger.clock.now();
    let (c2, name) = (c.clone(), user.0.user.display_name.clone());
    let row = state
        .with_db(move |conn| forum::edit(conn, &c2, &who, id, &body, now))
        .await?;
    Ok(HttpResponse::Ok().json(view(&c, row, name)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TransitionRequest {
    /// publish, review, answer, put_to_vote, close or withdraw.
    pub action: String,
    /// Required to answer (the official response), close and withdraw.
    #[serde(default)]
    pub reason: String,
}

pub async fn do_transition(
    state: &AppState,
    c: &Community,
    who: &Who,
    id: i64,
    action: &str,
    reason: &str,
) -> AppResult<ProposalRow> {
    let action = Action::parse(action.trim()).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "action",
            Msg::new("proposal-error-action"),
        )])
    })?;
    let (c2, who2, reason, ledger) = (
        c.clone(),
        who.clone(),
        reason.to_owned(),
        state.ledger.clone(),
    );
    state
        .with_db(move |conn| forum::transition(conn, &ledger, &c2, &who2, id, action, &reason))
        .await
}

/// A lifecycle step: the author publishes or withdraws (with a reason); organisers review,
/// answer, put to a vote (a linked draft ballot) or close.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals/{id}/transitions", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = TransitionRequest,
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_transition(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<TransitionRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    let row = do_transition(&state, &c, &who, id, &body.action, &body.reason).await?;
    Ok(HttpResponse::Ok().json(view(&c, row, String::new())))
}

pub async fn do_cosign(
    state: &AppState,
    c: &Community,
    who: &Who,
    id: i64,
) -> AppResult<forum::Cosigned> {
    let (c2, who2, now) = (c.clone(), who.clone(), state.ledger.clock.now());
    state
        .with_db(move |conn| forum::cosign(conn, &c2, &who2, id, now))
        .await
}

/// Co-sign (附议) a proposal: owners, once each. Not a vote.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/proposals/{id}/cosignatures", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 201), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_cosign(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, &user.0, &slug).await?;
    Ok(HttpResponse::Created().json(do_cosign(&state, &c, &who, id).await?))
}

/// The forum's API routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::comments_api as c;
    cfg.service(
        web::resource("/communities/{slug}/proposals")
            .get(api_list)
            .post(api_create),
    )
    .service(
        web::scope("/communities/{slug}/proposals/{id}")
            .service(web::resource("").get(api_get).put(api_update))
            .service(web::resource("/transitions").post(api_transition))
            .service(web::resource("/cosignatures").post(api_cosign))
            .service(
                web::resource("/comments")
                    .get(c::api_comments)
                    .post(c::api_add_comment),
            )
            .service(
                web::resource("/comments/{comment}")
                    .put(c::api_edit_comment)
                    .delete(c::api_delete_comment),
            )
            .service(web::resource("/comments/{comment}/reports").post(c::api_report))
            .service(web::resource("/comments/{comment}/moderation").post(c::api_moderate)),
    )
    .service(web::resource("/communities/{slug}/moderation-log").get(c::api_moderation_log))
    .service(web::resource("/communities/{slug}/forum-settings").put(c::api_settings))
    .service(web::resource("/communities/{slug}/search").get(c::api_search))
    .service(
        web::resource("/communities/{slug}/blocks/{user}")
            .put(c::api_block)
            .delete(c::api_unblock),
    );
}
