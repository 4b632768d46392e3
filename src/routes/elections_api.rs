//! Elections of the owners' committee (业委会换届选举) through the API: each step for the role
//! that takes it, checked and recorded by [`crate::elections`]. Organisers (筹备组, 业委会 or
//! 社区 staff: the organisers of the community) form the preparation group, post the
//! announcement, review nominations, publish the list and answer objections; owners nominate
//! themselves; members raise objections and read everything; the event log is public.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth::Authed;
use crate::db::communities::Community;
use crate::db::elections as db_elections;
use crate::db::DbConn;
use crate::domain::election::{AnnouncementInput, ReviewInput, Warning};
use crate::domain::roles::Action;
use crate::elections::{self as service, CreateInput, NominateInput, ObjectionInput};
use crate::error::AppResult;
use crate::forum::Who;
use crate::ledger::election_log;

pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/communities/{slug}/elections")
            .get(api_list)
            .post(api_create),
    )
    .service(
        web::scope("/communities/{slug}/elections/{id}")
            .service(web::resource("").get(api_get))
            .service(web::resource("/announcement").post(api_announce))
            .service(web::resource("/nominations").post(api_nominate))
            .service(web::resource("/nominations/{cid}/review").post(api_review))
            .service(web::resource("/nominations/{cid}/cosignatures").post(api_cosign))
            .service(web::resource("/publication").post(api_publish))
            .service(web::resource("/objections").post(api_object))
            .service(web::resource("/objections/{oid}/answer").post(api_answer))
            .service(web::resource("/cancellation").post(api_cancel))
            .service(web::resource("/voting").post(api_open_voting))
            .service(web::resource("/count").post(api_count))
            .service(web::resource("/certification").post(api_certify))
            .service(web::resource("/first-meeting").post(api_first_meeting))
            .service(web::resource("/filing").post(api_file))
            .service(web::resource("/log").get(api_log)),
    );
}

/// The organisers' action: running elections is part of managing the community's votes.
const ORGANISE: Action = Action::ManageBallots;

/// Run `f` on a database connection with the election service's scope: the ledger, the
/// community and the time now (shared by the API, the forms and the setup pages).
pub(crate) async fn in_scope<T: Send + 'static>(
    state: &AppState,
    c: Community,
    f: impl FnOnce(&mut DbConn, &service::Scope<'_>) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let ledger = state.ledger.clone();
    let now = ledger.clock.now();
    state
        .with_db(move |conn| {
            let cx = service::Scope {
                ledger: &ledger,
                community: &c,
                now,
            };
            f(conn, &cx)
        })
        .await
}

async fn view_of(state: &AppState, c: Community, id: i64) -> AppResult<service::ElectionView> {
    in_scope(state, c, move |conn, cx| {
        service::view(conn, cx.ledger, cx.community, id, cx.now)
    })
    .await
}

/// The community's elections, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/elections", tag = "elections",
    params(("slug" = String, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_list(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let rows = state
        .with_db(move |conn| Ok(db_elections::list(conn, c.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Form the preparation group and start an election.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections", tag = "elections",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = CreateInput, 
    responses((status = 201), (status = 403, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<CreateInput>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    let actor = user.0.user.id;
    let row = in_scope(&state, c.clone(), move |conn, cx| {
        service::create(conn, cx, actor, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(view_of(&state, c, row.id).await?))
}

/// One election: its step, announcement, candidates, objections and progress.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/elections/{id}", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_get(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    Ok(HttpResponse::Ok().json(view_of(&state, c, id).await?))
}

#[derive(Debug, Serialize)]
struct Announced {
    warnings: Vec<Warning>,
    election: service::ElectionView,
}

/// Post the announcement (公告): seats, alternates, term, requirements, timetable.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/announcement", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = AnnouncementInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_announce(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<AnnouncementInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    let warnings = in_scope(&state, c.clone(), move |conn, cx| {
        service::announce(conn, cx, id, &body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Announced {
        warnings,
        election: view_of(&state, c, id).await?,
    }))
}

/// Nominate: an owner nominates themself (`self`), or an organiser enters a paper nomination
/// co-signed by owners (`co_signed`).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/nominations", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = NominateInput, 
    responses((status = 201), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_nominate(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<NominateInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let who = Who::from(&user.0);
    let row = in_scope(&state, c, move |conn, cx| {
        service::nominate(conn, cx, id, &who, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

/// The qualification review (资格审查) of one nomination: accepted or rejected, with a reason.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/nominations/{cid}/review", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path), ("cid" = i64, Path)), security(("bearer" = [])), request_body = ReviewInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_review(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<ReviewInput>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    let actor = user.0.user.id;
    let row = in_scope(&state, c, move |conn, cx| {
        service::review(conn, cx, id, cid, actor, &body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Publish the candidate list (公示); the election's ballot is made from it and announced.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/publication", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = service::PublishInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_publish(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: Option<web::Json<service::PublishInput>>,
) -> AppResult<HttpResponse> {
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    in_scope(&state, c.clone(), move |conn, cx| {
        service::publish(conn, cx, id, &body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view_of(&state, c, id).await?))
}

/// Raise an objection to the published list (any member, during the publication period).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/objections", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = ObjectionInput, 
    responses((status = 201), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_object(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<ObjectionInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let who = Who::from(&user.0);
    let row = in_scope(&state, c, move |conn, cx| {
        service::object(conn, cx, id, &who, &body)
    })
    .await?;
    Ok(HttpResponse::Created().json(row))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub answer: String,
}

/// Answer an objection (organisers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/objections/{oid}/answer", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path), ("oid" = i64, Path)), security(("bearer" = [])), request_body = AnswerInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_answer(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<AnswerInput>,
) -> AppResult<HttpResponse> {
    let (slug, id, oid) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    let actor = user.0.user.id;
    let row = in_scope(&state, c, move |conn, cx| {
        service::answer(conn, cx, id, oid, actor, &body.answer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CancelInput {
    pub reason: String,
}

/// Call the election off, with a reason (until the result is certified).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/cancellation", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = CancelInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_cancel(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<CancelInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, ORGANISE).await?;
    in_scope(&state, c.clone(), move |conn, cx| {
        service::cancel(conn, cx, id, &body.reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view_of(&state, c, id).await?))
}

/// The election's event log, public: every leaf, the latest signed checkpoint and the key
/// that verifies it.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/elections/{id}/log", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), 
    responses((status = 200, body = election_log::PublicLog), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_log(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let ledger = state.ledger.clone();
    let log = state
        .with_db(move |conn| {
            let e = db_elections::by_id(conn, c.id, id)?.ok_or(crate::error::AppError::NotFound)?;
            let origin = service::origin(&ledger, &c, e.id);
            election_log::public_log(conn, &ledger, &e, &origin)
        })
        .await?;
    Ok(HttpResponse::Ok().json(log))
}

/// Run one of the later steps for an organiser and answer with the election as it now is.
async fn organiser_step<T: Send + 'static>(
    user: &Authed,
    state: &AppState,
    slug: &str,
    id: i64,
    step: impl FnOnce(&mut DbConn, &service::Scope<'_>) -> AppResult<T> + Send + 'static,
) -> AppResult<HttpResponse> {
    let c = authorise(state, &user.0, slug, ORGANISE).await?;
    in_scope(state, c.clone(), step).await?;
    Ok(HttpResponse::Ok().json(view_of(state, c, id).await?))
}

/// Record that voting has opened (the ballot opens by its schedule at the announced hour).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/voting", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_open_voting(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    organiser_step(&user, &state, &slug, id, move |conn, cx| {
        service::open_voting(conn, cx, id)
    })
    .await
}

/// Record the preliminary result from the ballot's preliminary tally record.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/count", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_count(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    organiser_step(&user, &state, &slug, id, move |conn, cx| {
        service::count(conn, cx, id)
    })
    .await
}

/// Announce the final result from the ballot's certified final record.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/certification", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_certify(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    organiser_step(&user, &state, &slug, id, move |conn, cx| {
        service::certify(conn, cx, id)
    })
    .await
}

/// Record the new committee's first meeting: when, the chair and the vice-chair (candidate
/// ids of the published list, `o1`, `o2`, …).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/first-meeting", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), request_body = crate::domain::election::FirstMeetingInput, 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_first_meeting(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<crate::domain::election::FirstMeetingInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let body = body.into_inner();
    organiser_step(&user, &state, &slug, id, move |conn, cx| {
        service::first_meeting(conn, cx, id, &body)
    })
    .await
}

/// Record the filing (备案).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/filing", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])), 
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_file(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    organiser_step(&user, &state, &slug, id, move |conn, cx| {
        service::file(conn, cx, id)
    })
    .await
}

/// Co-sign a nomination that is collecting co-signers (owners); the co-signature that reaches
/// the announcement's number makes it a nomination.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/elections/{id}/nominations/{cid}/cosignatures", tag = "elections",
    params(("slug" = String, Path), ("id" = i64, Path), ("cid" = i64, Path)), security(("bearer" = [])), 
    responses((status = 201, body = service::CosignState), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_cosign(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let who = Who::from(&user.0);
    let done = in_scope(&state, c, move |conn, cx| {
        service::cosign_nomination(conn, cx, id, cid, &who)
    })
    .await?;
    Ok(HttpResponse::Created().json(done))
}
