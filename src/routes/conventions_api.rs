//! The conventions API (管理规约 / 居民公约): read by anyone who can see the community;
//! organisers draft, decide amendments and put versions to a vote; members comment and
//! propose amendments. The pages are in [`super::conventions`].

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::ballots_api::{view as ballot_view, BallotView};
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth::Authed;
use crate::db::communities::Community;
use crate::db::conventions::{self as db, AmendmentRow, CommentRow, ConventionRow, VersionRow};
use crate::domain::convention_diff::{self, ArticleDiff};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::ledger::conventions::{self as service, AmendmentInput};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    /// `draft`, `balloting`, `adopted`, `superseded` or `rejected`.
    pub status: String,
    /// SHA-256 of the version's canonical text (src/domain/convention.rs), hex.
    pub text_sha256: String,
    pub ballot_id: Option<i64>,
    pub articles: usize,
    pub created_at: i64,
    pub adopted_at: Option<i64>,
}

pub fn summary(v: &VersionRow) -> VersionSummary {
    VersionSummary {
        version: v.version,
        status: v.status.clone(),
        text_sha256: v.text_sha256.clone(),
        ballot_id: v.ballot_id,
        articles: v.articles().len(),
        created_at: v.created_at,
        adopted_at: v.adopted_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConventionView {
    pub id: i64,
    /// `management` (管理规约) or `residents` (居民公约).
    pub kind: String,
    pub title: String,
    pub created_at: i64,
    pub versions: Vec<VersionSummary>,
    /// The version in force (published convention), if one was adopted.
    pub adopted: Option<VersionSummary>,
}

pub fn convention_view(c: &ConventionRow, versions: &[VersionRow]) -> ConventionView {
    ConventionView {
        id: c.id,
        kind: c.kind.clone(),
        title: c.title.clone(),
        created_at: c.created_at,
        versions: versions.iter().map(summary).collect(),
        adopted: versions
            .iter()
            .rev()
            .find(|v| v.status == "adopted")
            .map(summary),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleView {
    pub number: u32,
    pub heading: String,
    pub body: String,
    pub comments: Vec<CommentView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AmendmentView {
    pub id: i64,
    /// The version it was proposed to.
    pub version: i32,
    pub article: Option<i32>,
    pub kind: String,
    pub heading: String,
    pub body: String,
    pub reason: String,
    pub author: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// The version an accepted amendment produced.
    pub result_version: Option<i32>,
    pub created_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub convention: i64,
    pub kind: String,
    pub title: String,
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub articles: Vec<ArticleView>,
    /// The amendments proposed to this version, oldest first.
    pub amendments: Vec<AmendmentView>,
}

/// Everything a version's page and API show, in one trip to the database.
pub struct VersionData {
    pub convention: ConventionRow,
    pub versions: Vec<VersionRow>,
    pub version: VersionRow,
    pub comments: Vec<CommentRow>,
    pub amendments: Vec<AmendmentRow>,
    pub names: HashMap<i64, String>,
}

pub async fn version_data(
    state: &AppState,
    c: &Community,
    id: i64,
    v: i32,
) -> AppResult<VersionData> {
    let c = c.clone();
    state
        .with_db(move |conn| {
            let (convention, version) = service::version(conn, &c, id, v)?;
            let versions = db::versions(conn, convention.id)?;
            let comments = db::comments(conn, version.id)?;
            let amendments = db::amendments(conn, &[version.id])?;
            let mut ids: Vec<i64> = comments.iter().map(|x| x.author_id).collect();
            ids.extend(amendments.iter().map(|a| a.author_id));
            ids.extend(amendments.iter().filter_map(|a| a.decided_by));
            let names = db::names(conn, &ids)?;
            Ok(VersionData {
                convention,
                versions,
                version,
                comments,
                amendments,
                names,
            })
        })
        .await
}

pub fn version_view(d: &VersionData) -> VersionView {
    let name = |id: i64| d.names.get(&id).cloned().unwrap_or_default();
    let number_of = |vid: Option<i64>| {
        vid.and_then(|vid| d.versions.iter().find(|x| x.id == vid))
            .map(|x| x.version)
    };
    VersionView {
        convention: d.convention.id,
        kind: d.convention.kind.clone(),
        title: d.convention.title.clone(),
        summary: summary(&d.version),
        articles: d
            .version
            .articles()
            .into_iter()
            .map(|a| ArticleView {
                comments: d
                    .comments
                    .iter()
                    .filter(|c| i64::from(c.article_number) == i64::from(a.number))
                    .map(|c| CommentView {
                        id: c.id,
                        author: name(c.author_id),
                        body: c.body.clone(),
                        created_at: c.created_at,
                    })
                    .collect(),
                number: a.number,
                heading: a.heading,
                body: a.body,
            })
            .collect(),
        amendments: d
            .amendments
            .iter()
            .map(|a| AmendmentView {
                id: a.id,
                version: d.version.version,
                article: a.article_number,
                kind: a.kind.clone(),
                heading: a.heading.clone(),
                body: a.body.clone(),
                reason: a.reason.clone(),
                author: name(a.author_id),
                status: a.status.clone(),
                decision_reason: a.decision_reason.clone(),
                decided_by: a.decided_by.map(name),
                decided_at: a.decided_at,
                result_version: number_of(a.result_version_id),
                created_at: a.created_at,
            })
            .collect(),
    }
}

/// A convention and its versions.
pub async fn convention_data(
    state: &AppState,
    c: &Community,
    id: i64,
) -> AppResult<(ConventionRow, Vec<VersionRow>)> {
    let c = c.clone();
    state
        .with_db(move |conn| {
            let conv = service::convention(conn, &c, id)?;
            let versions = db::versions(conn, conv.id)?;
            Ok((conv, versions))
        })
        .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DiffView {
    pub from: VersionSummary,
    pub to: VersionSummary,
    /// Per article: `change` (`unchanged`, `changed`, `added`, `removed`), `old_number`,
    /// `new_number`, `heading` and `segments` (`{tag: equal|insert|delete, text}`).
    #[schema(value_type = Vec<Object>)]
    pub articles: Vec<ArticleDiff>,
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// The diff between two versions (`from` defaults to the one before `to`, `to` to the newest).
pub async fn diff_data(
    state: &AppState,
    c: &Community,
    id: i64,
    q: &DiffQuery,
) -> AppResult<(ConventionRow, DiffView)> {
    let (conv, versions) = convention_data(state, c, id).await?;
    let newest = versions.last().map_or(1, |v| v.version);
    let to = q.to.unwrap_or(newest);
    let from = q.from.unwrap_or(to - 1);
    let find = |n: i32, field: &'static str| {
        versions.iter().find(|v| v.version == n).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                field,
                Msg::new("convention-error-no-such-version"),
            )])
        })
    };
    let (a, b) = (find(from, "from")?, find(to, "to")?);
    let view = DiffView {
        from: summary(a),
        to: summary(b),
        articles: convention_diff::diff(&a.articles(), &b.articles()),
    };
    Ok((conv, view))
}

// ---- Handlers ----

#[utoipa::path(get, path = "/api/v1/communities/{slug}/conventions", tag = "conventions",
    params(("slug" = String, Path)), responses((status = 200, body = [ConventionView])))]
pub async fn api_list(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = community_by_slug(&state, &slug).await?;
    let id = c.id;
    let list = state
        .with_db(move |conn| {
            let mut out = Vec::new();
            for conv in db::list(conn, id)? {
                let versions = db::versions(conn, conv.id)?;
                out.push(convention_view(&conv, &versions));
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateRequest {
    /// `management` or `residents`.
    pub kind: String,
    pub title: String,
    /// The articles, each starting with a line `第…条 heading`.
    pub text: String,
}

/// Draft a convention from text: version 1, a draft (organisers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/conventions", tag = "conventions",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = CreateRequest,
    responses((status = 201, body = ConventionView), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<CreateRequest>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ManageConventions).await?;
    let (c2, actor, now, body) = (
        c.clone(),
        user.0.user.id,
        state.ledger.clock.now(),
        body.into_inner(),
    );
    let (conv, ver) = state
        .with_db(move |conn| {
            service::create(conn, &c2, actor, now, &body.kind, &body.title, &body.text)
        })
        .await?;
    Ok(HttpResponse::Created().json(convention_view(&conv, &[ver])))
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/conventions/{id}", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200, body = ConventionView)))]
pub async fn api_get(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let (conv, versions) = convention_data(&state, &c, id).await?;
    Ok(HttpResponse::Ok().json(convention_view(&conv, &versions)))
}

#[utoipa::path(get, path = "/api/v1/communities/{slug}/conventions/{id}/versions/{v}", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("v" = i32, Path)), responses((status = 200, body = VersionView)))]
pub async fn api_version(
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let d = version_data(&state, &c, id, v).await?;
    Ok(HttpResponse::Ok().json(version_view(&d)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EditRequest {
    pub text: String,
}

/// Replace a draft version's articles (organisers; only before it is put to a vote).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/conventions/{id}/versions/{v}", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("v" = i32, Path)), security(("bearer" = [])), request_body = EditRequest,
    responses((status = 200, body = VersionView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_edit(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    body: web::Json<EditRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::ManageConventions).await?;
    let (c2, actor) = (c.clone(), user.0.user.id);
    state
        .with_db(move |conn| service::edit(conn, &c2, actor, id, v, &body.text))
        .await?;
    let d = version_data(&state, &c, id, v).await?;
    Ok(HttpResponse::Ok().json(version_view(&d)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CommentRequest {
    pub article: i64,
    pub body: String,
}

/// Comment on an article (members).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/comments", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("v" = i32, Path)), security(("bearer" = [])), request_body = CommentRequest,
    responses((status = 201, body = CommentView), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_comment(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    body: web::Json<CommentRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let (actor, now, name) = (
        user.0.user.id,
        state.ledger.clock.now(),
        user.0.user.display_name.clone(),
    );
    let row = state
        .with_db(move |conn| {
            service::comment(conn, &c, actor, now, id, v, body.article, &body.body)
        })
        .await?;
    Ok(HttpResponse::Created().json(CommentView {
        id: row.id,
        author: name,
        body: row.body,
        created_at: row.created_at,
    }))
}

/// Propose an amendment to the newest version (members).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/amendments", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("v" = i32, Path)), security(("bearer" = [])), request_body = AmendmentInput,
    responses((status = 201, body = AmendmentView), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_propose(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    body: web::Json<AmendmentInput>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let (c2, actor, now) = (c.clone(), user.0.user.id, state.ledger.clock.now());
    let row = state
        .with_db(move |conn| service::propose(conn, &c2, actor, now, id, v, &body))
        .await?;
    amendment_response(&state, &c, id, row, true).await
}

async fn amendment_response(
    state: &AppState,
    c: &Community,
    id: i64,
    row: AmendmentRow,
    created: bool,
) -> AppResult<HttpResponse> {
    let (conv, versions) = convention_data(state, c, id).await?;
    let version = versions
        .iter()
        .find(|v| v.id == row.version_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let mut ids = vec![row.author_id];
    ids.extend(row.decided_by);
    let names = state
        .with_db(move |conn| Ok(db::names(conn, &ids)?))
        .await?;
    let d = VersionData {
        convention: conv,
        versions,
        version,
        comments: Vec::new(),
        amendments: vec![row],
        names,
    };
    let mut view = version_view(&d);
    let a = view.amendments.pop().ok_or(AppError::NotFound)?;
    Ok(if created {
        HttpResponse::Created().json(a)
    } else {
        HttpResponse::Ok().json(a)
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionRequest {
    /// `accept` or `reject`.
    pub decision: String,
    pub reason: String,
}

/// Accept (a new draft version) or reject an amendment, with a reason (organisers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/conventions/{id}/amendments/{aid}/decision", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("aid" = i64, Path)), security(("bearer" = [])), request_body = DecisionRequest,
    responses((status = 200, body = AmendmentView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_decide(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<DecisionRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, aid) = path.into_inner();
    let c = authorise(&state, &user.0, &slug, Action::ManageConventions).await?;
    let (c2, actor, now) = (c.clone(), user.0.user.id, state.ledger.clock.now());
    let row = state
        .with_db(move |conn| {
            service::decide(conn, &c2, actor, now, id, aid, &body.decision, &body.reason)
        })
        .await?;
    amendment_response(&state, &c, id, row, false).await
}

/// The diff between two versions.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/conventions/{id}/diff", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("from" = Option<i32>, Query), ("to" = Option<i32>, Query)),
    responses((status = 200, body = DiffView)))]
pub async fn api_diff(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<DiffQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let (_, view) = diff_data(&state, &c, id, &q).await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    pub version: VersionSummary,
    pub ballot: BallotView,
}

/// Put a version to a vote (organisers): creates the draft ballot and links it.
pub async fn put_to_vote(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    slug: &str,
    id: i64,
    v: i32,
) -> AppResult<(Community, VoteView)> {
    let c = authorise(state, user, slug, Action::ManageConventions).await?;
    let (ledger, c2, actor) = (state.ledger.clone(), c.clone(), user.user.id);
    let (ver, b) = state
        .with_db(move |conn| service::put_to_vote(conn, &ledger, &c2, actor, id, v))
        .await?;
    let view = VoteView {
        version: summary(&ver),
        ballot: ballot_view(state, &c, &b),
    };
    Ok((c, view))
}

/// Put a draft version to a vote (organisers): the draft ballot, linked.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/conventions/{id}/versions/{v}/ballot", tag = "conventions",
    params(("slug" = String, Path), ("id" = i64, Path), ("v" = i32, Path)), security(("bearer" = [])),
    responses((status = 201, body = VoteView), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_vote(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let (_, view) = put_to_vote(&state, &user.0, &slug, id, v).await?;
    Ok(HttpResponse::Created().json(view))
}
