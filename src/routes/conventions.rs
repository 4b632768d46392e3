//! Convention pages (no JavaScript): the list and the drafting form, a convention with its
//! published (adopted) version, a version with comments under each article and the amendment
//! forms, the diff between versions, and putting a version to a vote. The API twins are in
//! [`super::conventions_api`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::see_other;
use super::ballots::{field, read_form};
use super::conventions_api::{self as api, DiffQuery};
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth;
use crate::clock;
use crate::db::communities::Community;
use crate::db::conventions as db;
use crate::domain::convention;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError};
use crate::ledger::conventions::{self as service, AmendmentInput};
use crate::shell::PageCtx;

/// Form bodies of the drafting forms may carry a whole convention (200 articles of up to
/// 5,000 characters, percent-encoded).
pub const MAX_FORM_BYTES: usize = 16 * 1024 * 1024;

fn allows(page: &PageCtx, c: &Community, action: Action) -> bool {
    page.user
        .as_ref()
        .is_some_and(|u| u.grants.allows(action, c.id))
}

#[derive(Debug, Default, Serialize)]
struct CreateForm {
    kind: String,
    title: String,
    text: String,
}

async fn render_list(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    form: &CreateForm,
    errors: &[FieldError],
) -> AppResult<HttpResponse> {
    let id = c.id;
    let items = state
        .with_db(move |conn| {
            let mut out = Vec::new();
            for conv in db::list(conn, id)? {
                let versions = db::versions(conn, conv.id)?;
                out.push(api::convention_view(&conv, &versions));
            }
            Ok(out)
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("items", &items);
    ctx.insert("organiser", &allows(page, c, Action::ManageConventions));
    ctx.insert("form", form);
    page.render_form(&state.tera, "conventions.html", ctx, errors)
}

pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = community_by_slug(&state, &slug).await?;
    let form = CreateForm {
        kind: "management".into(),
        ..Default::default()
    };
    render_list(&page, &state, &c, &form, &[]).await
}

pub async fn create_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ManageConventions).await?;
    let form = CreateForm {
        kind: field(&pairs, "kind").into(),
        title: field(&pairs, "title").into(),
        text: field(&pairs, "text").into(),
    };
    let (c2, actor, now) = (c.clone(), user.user.id, state.ledger.clock.now());
    let (kind, title, text) = (form.kind.clone(), form.title.clone(), form.text.clone());
    let result = state
        .with_db(move |conn| service::create(conn, &c2, actor, now, &kind, &title, &text))
        .await;
    match result {
        Ok((conv, _)) => Ok(see_other(&format!(
            "/c/{}/conventions/{}/versions/1",
            c.slug, conv.id
        ))),
        Err(AppError::Validation(errors)) => render_list(&page, &state, &c, &form, &errors).await,
        Err(e) => Err(e),
    }
}

pub async fn convention_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let (conv, versions) = api::convention_data(&state, &c, id).await?;
    let view = api::convention_view(&conv, &versions);
    let adopted = versions.iter().rev().find(|v| v.status == "adopted");
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("convention", &view);
    ctx.insert(
        "articles",
        &adopted.map(|v| v.articles()).unwrap_or_default(),
    );
    ctx.insert(
        "adopted_on",
        &adopted
            .and_then(|v| v.adopted_at)
            .map(clock::format_shanghai)
            .unwrap_or_default(),
    );
    page.render(&state.tera, "convention.html", ctx)
}

/// A version's page, with problems of a form sent from it.
async fn render_version(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    id: i64,
    v: i32,
    errors: &[FieldError],
) -> AppResult<HttpResponse> {
    let d = api::version_data(state, c, id, v).await?;
    let view = api::version_view(&d);
    let newest = d.versions.last().map(|x| x.id) == Some(d.version.id);
    let status = d.version.status();
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("v", &view);
    ctx.insert("organiser", &allows(page, c, Action::ManageConventions));
    ctx.insert("member", &allows(page, c, Action::Participate));
    ctx.insert("newest", &newest);
    ctx.insert(
        "newest_version",
        &d.versions.last().map_or(d.version.version, |x| x.version),
    );
    ctx.insert(
        "open",
        &!matches!(
            status,
            convention::VersionStatus::Superseded | convention::VersionStatus::Rejected
        ),
    );
    ctx.insert(
        "editable",
        &(status == convention::VersionStatus::Draft && d.version.ballot_id.is_none()),
    );
    ctx.insert("text", &convention::editable_text(&d.version.articles()));
    page.render_form(&state.tera, "convention_version.html", ctx, errors)
}

pub async fn version_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    render_version(&page, &state, &c, id, v, &[]).await
}

/// After a form on a version's page: back to the page (at `anchor`), or the page again with
/// the problems.
async fn back(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    id: i64,
    v: i32,
    result: AppResult<String>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(to) => Ok(see_other(&to)),
        Err(AppError::Validation(errors)) => render_version(page, state, c, id, v, &errors).await,
        Err(e) => Err(e),
    }
}

fn version_url(c: &Community, id: i64, v: i32) -> String {
    format!("/c/{}/conventions/{id}/versions/{v}", c.slug)
}

pub async fn edit_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, v) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ManageConventions).await?;
    let (c2, actor, text) = (c.clone(), user.user.id, field(&pairs, "text").to_owned());
    let url = version_url(&c, id, v);
    let result = state
        .with_db(move |conn| service::edit(conn, &c2, actor, id, v, &text))
        .await
        .map(|_| url);
    back(&page, &state, &c, id, v, result).await
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    pub csrf: String,
    pub article: String,
    pub body: String,
}

pub async fn comment_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    form: web::Form<CommentForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, v) = path.into_inner();
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Participate).await?;
    let form = form.into_inner();
    let article: i64 = form.article.trim().parse().unwrap_or(0);
    let (c2, actor, now) = (c.clone(), user.user.id, state.ledger.clock.now());
    let url = format!("{}#article-{article}", version_url(&c, id, v));
    let result = state
        .with_db(move |conn| service::comment(conn, &c2, actor, now, id, v, article, &form.body))
        .await
        .map(|_| url);
    back(&page, &state, &c, id, v, result).await
}

#[derive(Debug, Deserialize)]
pub struct AmendmentForm {
    pub csrf: String,
    pub kind: String,
    #[serde(default)]
    pub article: String,
    #[serde(default)]
    pub heading: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn amend_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    form: web::Form<AmendmentForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, v) = path.into_inner();
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Participate).await?;
    let form = form.into_inner();
    let input = AmendmentInput {
        kind: form.kind,
        article: form.article.trim().parse().ok(),
        heading: form.heading,
        body: form.body,
        reason: form.reason,
    };
    let (c2, actor, now) = (c.clone(), user.user.id, state.ledger.clock.now());
    let base = version_url(&c, id, v);
    let result = state
        .with_db(move |conn| service::propose(conn, &c2, actor, now, id, v, &input))
        .await
        .map(|a| format!("{base}#amendment-{}", a.id));
    back(&page, &state, &c, id, v, result).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    pub csrf: String,
    pub decision: String,
    #[serde(default)]
    pub reason: String,
    /// The version page the form was on, to show problems there.
    pub version: i32,
}

pub async fn decide_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<DecisionForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, aid) = path.into_inner();
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ManageConventions).await?;
    let form = form.into_inner();
    let v = form.version;
    let (c2, actor, now) = (c.clone(), user.user.id, state.ledger.clock.now());
    let (decision, reason) = (form.decision, form.reason);
    let result = state
        .with_db(move |conn| {
            let row = service::decide(conn, &c2, actor, now, id, aid, &decision, &reason)?;
            // An accepted amendment leads to the new version; a rejected one back to its own.
            let to = match row.result_version_id {
                Some(vid) => db::versions(conn, id)?
                    .into_iter()
                    .find(|x| x.id == vid)
                    .map_or(v, |x| x.version),
                None => v,
            };
            Ok((row.id, to))
        })
        .await
        .map(|(aid, to)| {
            if to == v {
                format!("{}#amendment-{aid}", version_url(&c, id, v))
            } else {
                version_url(&c, id, to)
            }
        });
    back(&page, &state, &c, id, v, result).await
}

pub async fn diff_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<DiffQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let (conv, view) = api::diff_data(&state, &c, id, &q).await?;
    let versions = api::convention_data(&state, &c, id).await?.1;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("convention", &api::convention_view(&conv, &versions));
    ctx.insert("diff", &view);
    page.render(&state.tera, "convention_diff.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn vote_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i32)>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, v) = path.into_inner();
    let (c, view) = api::put_to_vote(&state, page.user()?, &slug, id, v).await?;
    Ok(see_other(&format!(
        "/c/{}/ballots/{}",
        c.slug, view.ballot.id
    )))
}
