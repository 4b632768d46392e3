//! The API of proxy authorisations (委托书), proxy casting (委托投票) and ballot papers
//! (书面表决票): docs/verification.md §14. Thin: parse, call `crate::ledger::{proxies,
//! papers}`, answer.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::ballots_api::{cast_error, nonce_hash};
use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::domain::ballot::{self, Answer};
use crate::error::{AppError, AppResult};
use crate::ledger::papers::{self, PaperInput, PendingPaper, Prepared, Sheet};
use crate::ledger::proxies::{self, AuthorisationView, AuthoriseInput};
use crate::ledger::{writer, Receipt};

type Ballot = web::Path<(String, i64)>;

fn community(
    conn: &mut crate::db::DbConn,
    slug: &str,
) -> AppResult<crate::db::communities::Community> {
    crate::db::communities::by_slug(conn, slug)?.ok_or(AppError::NotFound)
}

/// What a service call gets: the connection, the ledger, the community, the user's id and
/// grants.
type Call<T> = dyn FnOnce(
        &mut crate::db::DbConn,
        &crate::ledger::Ledger,
        &crate::db::communities::Community,
        i64,
        &crate::domain::roles::Grants,
    ) -> AppResult<T>
    + Send;

/// Run a service call for `user` in the community `slug`, in one trip to the database pool.
async fn call<T: Send + 'static>(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    f: Box<Call<T>>,
) -> AppResult<T> {
    let (ledger, slug, uid, grants) = (
        state.ledger.clone(),
        slug.to_owned(),
        user.user.id,
        user.grants.clone(),
    );
    state
        .with_db(move |conn| {
            let c = community(conn, &slug)?;
            f(conn, &ledger, &c, uid, &grants)
        })
        .await
}

pub async fn authorise(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    input: AuthoriseInput,
) -> AppResult<AuthorisationView> {
    call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, uid, grants| {
            proxies::authorise(conn, ledger, c, id, uid, grants, &input)
        }),
    )
    .await
}

/// Authorise a proxy (委托书): an owner online for themselves, or an organiser from a paper
/// authorisation (`voter` and `scan_sha256`).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/proxies", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = AuthoriseInput,
    responses((status = 201, body = AuthorisationView), (status = 403, body = crate::shell::errors::Problem),
        (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_authorise(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
    body: web::Json<AuthoriseInput>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let view = authorise(&state, &user.0, &slug, id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(view))
}

pub async fn list(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
) -> AppResult<Vec<AuthorisationView>> {
    call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, uid, grants| {
            proxies::list(conn, ledger, c, id, uid, grants)
        }),
    )
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Authorisations {
    pub authorisations: Vec<AuthorisationView>,
}

/// The authorisations the caller may see: all (organisers), their own voter's (owners), those
/// they hold (proxies).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/proxies", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Authorisations)))]
pub async fn api_list(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let authorisations = list(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Ok().json(Authorisations { authorisations }))
}

pub async fn revoke(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    authorisation: i64,
) -> AppResult<AuthorisationView> {
    call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, uid, grants| {
            proxies::revoke(conn, ledger, c, id, authorisation, uid, grants)
        }),
    )
    .await
}

/// Revoke an authorisation (its owner, or an organiser recording a paper revocation); refused
/// once the proxy has voted for the owner.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/proxies/{aid}/revoke", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path), ("aid" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = AuthorisationView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_revoke(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, aid) = path.into_inner();
    Ok(HttpResponse::Ok().json(revoke(&state, &user.0, &slug, id, aid).await?))
}

/// Queue a prepared cast and wait for its receipt.
async fn submit(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    nonce: Option<&str>,
    prepared: Prepared,
) -> AppResult<Receipt> {
    let nonce_hash = match nonce {
        Some(n) => nonce_hash(n)?,
        None => crate::crypto::tokens::sha256_hex(
            &crate::crypto::random_hex(16).map_err(AppError::internal)?,
        ),
    };
    let (ballot, voter, answers, channel) = prepared;
    state
        .ledger
        .cast(writer::Cast {
            ballot,
            origin: ballot::origin(&state.settings.log_name, slug, id),
            voter,
            user_id: user.user.id,
            nonce_hash,
            answers,
            channel,
        })
        .await
        .map_err(cast_error)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProxyCastRequest {
    /// The owner's voter index (from the caller's authorisations).
    pub voter: i64,
    /// A fresh random string (16 to 128 characters) per cast.
    pub nonce: String,
    pub answers: Vec<Answer>,
}

pub async fn proxy_cast(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    req: ProxyCastRequest,
) -> AppResult<Receipt> {
    nonce_hash(&req.nonce)?;
    let (voter, answers) = (req.voter, req.answers);
    let (b, v, a) = call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, _, _| {
            proxies::prepare_proxy_cast(conn, ledger, c, id, voter, &answers)
        }),
    )
    .await?;
    let prepared = (b, v, a, writer::CastChannel::Proxy);
    submit(state, user, slug, id, Some(&req.nonce), prepared).await
}

/// Cast as a proxy for an owner who authorised the caller. Marked as a proxy ballot in the
/// log; an owner's own ballot always overrides it.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/proxy-casts", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = ProxyCastRequest,
    responses((status = 201, body = Receipt), (status = 409, body = crate::shell::errors::Problem),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_proxy_cast(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
    body: web::Json<ProxyCastRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let receipt = proxy_cast(&state, &user.0, &slug, id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(receipt))
}

pub async fn sheets(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
) -> AppResult<(crate::db::ballots::BallotRow, Vec<Sheet>)> {
    call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, _, grants| papers::sheets(conn, ledger, c, id, grants)),
    )
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sheets {
    pub papers: Vec<Sheet>,
}

/// Every voter's ballot paper with its one-time code (organisers; printable at
/// `/c/{slug}/ballots/{id}/papers/print`).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/papers", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Sheets), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_sheets(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, papers) = sheets(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Sheets { papers }))
}

pub async fn enter_paper(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    input: PaperInput,
    nonce: Option<String>,
) -> AppResult<Receipt> {
    if let Some(n) = &nonce {
        nonce_hash(n)?;
    }
    let prepared = call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, _, grants| {
            papers::prepare_entry(conn, ledger, c, id, grants, &input)
        }),
    )
    .await?;
    submit(state, user, slug, id, nonce.as_deref(), prepared).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PaperRequest {
    #[serde(flatten)]
    pub paper: PaperInput,
    /// Optional: a fresh random string per entry, so that a resent request is refused as a
    /// replay.
    #[serde(default)]
    pub nonce: Option<String>,
}

/// Enter a returned ballot paper (by its one-time `code`) or correct an entry (`corrects`),
/// with the SHA-256 of the scan (organisers). It counts only once a scrutineer confirms it.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/papers", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = PaperRequest,
    responses((status = 201, body = Receipt), (status = 409, body = crate::shell::errors::Problem),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_enter_paper(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
    body: web::Json<PaperRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let body = body.into_inner();
    let receipt = enter_paper(&state, &user.0, &slug, id, body.paper, body.nonce).await?;
    Ok(HttpResponse::Created().json(receipt))
}

pub async fn confirm_paper(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    seen: i64,
) -> AppResult<Receipt> {
    let prepared = call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, uid, _| {
            papers::prepare_confirm(conn, ledger, c, id, uid, seen)
        }),
    )
    .await?;
    submit(state, user, slug, id, None, prepared).await
}

/// Confirm a paper entry (the ballot's scrutineers, not the person who entered it): a second
/// leaf repeating the entry's answers and scan, after which it counts.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/papers/{leaf}/confirm", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path), ("leaf" = i64, Path)), security(("bearer" = [])),
    responses((status = 201, body = Receipt), (status = 403, body = crate::shell::errors::Problem),
        (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_confirm(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, leaf) = path.into_inner();
    let receipt = confirm_paper(&state, &user.0, &slug, id, leaf).await?;
    Ok(HttpResponse::Created().json(receipt))
}

pub async fn pending(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
) -> AppResult<Vec<PendingPaper>> {
    call(
        state,
        user,
        slug,
        Box::new(move |conn, ledger, c, uid, grants| {
            papers::pending(conn, ledger, c, id, uid, grants)
        }),
    )
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pending {
    pub pending: Vec<PendingPaper>,
}

/// Paper entries waiting for a scrutineer's confirmation (organisers and scrutineers).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/papers/pending", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Pending)))]
pub async fn api_pending(
    user: Authed,
    state: web::Data<AppState>,
    path: Ballot,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pending = pending(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Ok().json(Pending { pending }))
}
