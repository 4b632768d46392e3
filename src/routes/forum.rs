//! The forum's pages (议事亭), without JavaScript: the proposal list, raising and editing a
//! proposal, the proposal with its co-sign meter and comments, comment threads, and the
//! moderation page. The API twins are in [`super::forum_api`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::see_other;
use super::comments_api::{sort_of, CommentsQuery};
use super::forum_api::{self as api, member_community, per_mille, ListQuery};
use crate::app::AppState;
use crate::auth;
use crate::db::communities::Community;
use crate::db::proposals as db_proposals;
use crate::db::roster;
use crate::domain::comment::{CommentInput, ReportReason, Stance};
use crate::domain::proposal::{Category, ProposalInput, Status};
use crate::domain::roles::Action as Role;
use crate::error::{AppError, AppResult};
use crate::forum::{self, comments};
use crate::shell::{markdown, PageCtx};

pub(super) fn base_ctx(c: &Community) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx
}

pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let items = api::list(&state, &c, &who, &q).await?;
    let rows: Vec<serde_json::Value> = items
        .into_iter()
        .map(|i| {
            let v = api::view(&c, i.proposal, i.author);
            serde_json::to_value(&v).unwrap_or_default()
        })
        .collect();
    let mut ctx = base_ctx(&c);
    ctx.insert("more", &(rows.len() as i64 == api::PROPOSALS_PER_PAGE));
    ctx.insert("proposals", &rows);
    ctx.insert("status", q.status.as_deref().unwrap_or(""));
    ctx.insert("page_no", &q.page.unwrap_or(1).max(1));
    ctx.insert(
        "statuses",
        &Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    );
    ctx.insert("organiser", &who.may(Role::ModerateForum, &c));
    page.render(&state.tera, "proposals.html", ctx)
}

/// The proposal form's fields, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ProposalForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub building_id: String,
    /// `publish` or `draft`.
    #[serde(default)]
    pub submit: String,
}

impl ProposalForm {
    fn input(&self) -> ProposalInput {
        ProposalInput {
            title: self.title.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            building_id: self.building_id.trim().parse().ok(),
        }
    }
}

async fn render_form(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    id: Option<i64>,
    form: &ProposalForm,
    errors: &[crate::error::FieldError],
) -> AppResult<HttpResponse> {
    let cid = c.id;
    let buildings = state
        .with_db(move |conn| Ok(roster::buildings(conn, cid)?))
        .await?;
    let mut ctx = base_ctx(c);
    ctx.insert("form", form);
    ctx.insert("proposal_id", &id);
    ctx.insert("buildings", &buildings);
    ctx.insert(
        "categories",
        &Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    );
    page.render_form(&state.tera, "proposal_form.html", ctx, errors)
}

pub async fn new_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (c, _) = member_community(&state, page.user()?, &slug).await?;
    let form = ProposalForm {
        category: Category::Other.as_str().into(),
        ..Default::default()
    };
    render_form(&page, &state, &c, None, &form, &[]).await
}

pub async fn create_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<ProposalForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let (input, publish) = (form.input(), form.submit != "draft");
    let (c2, now) = (c.clone(), state.ledger.clock.now());
    let res = state
        .with_db(move |conn| forum::create(conn, &c2, &who, &input, publish, now))
        .await;
    match res {
        Ok(row) => Ok(see_other(&format!("/c/{}/proposals/{}", c.slug, row.id))),
        Err(AppError::Validation(errors)) => {
            render_form(&page, &state, &c, None, &form, &errors).await
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let d = api::detail(&state, &c, &who, id).await?;
    if d.view.proposal.author_id != who.id {
        return Err(AppError::Forbidden);
    }
    let p = &d.view.proposal;
    let form = ProposalForm {
        title: p.title.clone(),
        body: p.body.clone(),
        category: p.category.clone(),
        building_id: p.building_id.map(|b| b.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    render_form(&page, &state, &c, Some(id), &form, &[]).await
}

pub async fn edit_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ProposalForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let input = form.input();
    let (c2, now) = (c.clone(), state.ledger.clock.now());
    let res = state
        .with_db(move |conn| forum::edit(conn, &c2, &who, id, &input, now))
        .await;
    match res {
        Ok(_) => Ok(see_other(&format!("/c/{}/proposals/{id}", c.slug))),
        Err(AppError::Validation(errors)) => {
            render_form(&page, &state, &c, Some(id), &form, &errors).await
        }
        Err(e) => Err(e),
    }
}

pub async fn proposal_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<CommentsQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let sort = sort_of(q.sort.as_deref())?;
    let page_no = q.page.unwrap_or(1).max(1);
    let d = api::detail(&state, &c, &who, id).await?;
    let organiser = who.may(Role::ModerateForum, &c);
    let owner = who.grants.owner_in(c.id);
    // The proposal is loaded (and its visibility checked) by `detail`; only what it links to
    // is read here.
    let (pid, cid) = (d.view.proposal.id, c.id);
    let (building_id, ballot_id) = (d.view.proposal.building_id, d.view.proposal.ballot_id);
    let (list, cosigned, building, ballot_title) = state
        .with_db(move |conn| {
            let list = comments::page(conn, pid, sort, page_no, organiser)?;
            let cosigned = match owner {
                Some(o) => db_proposals::has_cosigned(conn, pid, o)?,
                None => false,
            };
            let building = match building_id {
                Some(b) => roster::buildings(conn, cid)?
                    .into_iter()
                    .find(|x| x.id == b)
                    .map(|x| x.name),
                None => None,
            };
            let ballot_title = match ballot_id {
                Some(b) => crate::db::ballots::get(conn, cid, b)?.map(|b| b.title),
                None => None,
            };
            Ok((list, cosigned, building, ballot_title))
        })
        .await?;
    let p = &d.view.proposal;
    let mut ctx = base_ctx(&c);
    ctx.insert("body_html", &markdown::render(&p.body));
    ctx.insert("p", &d);
    ctx.insert("building", &building);
    ctx.insert("ballot_title", &ballot_title);
    ctx.insert("is_author", &(p.author_id == who.id));
    ctx.insert("organiser", &organiser);
    ctx.insert("is_owner", &owner.is_some());
    ctx.insert("cosigned", &cosigned);
    ctx.insert("live", &p.status().is_live());
    ctx.insert("level_reached", &p.level_reached_at.is_some());
    ctx.insert(
        "cosign_area_pct",
        &pct(per_mille(p.cosign_area_centi, p.base_area_centi)),
    );
    ctx.insert(
        "cosign_headcount_pct",
        &pct(per_mille(p.cosign_headcount, p.base_headcount)),
    );
    ctx.insert(
        "level_pct",
        &pct(per_mille(
            i64::from(c.cosign_level_num),
            i64::from(c.cosign_level_den),
        )),
    );
    ctx.insert("comments", &list);
    ctx.insert("sort", sort.as_str());
    ctx.insert("page_no", &page_no);
    ctx.insert(
        "more",
        &(list.len() as i64 == crate::domain::comment::PAGE_SIZE),
    );
    ctx.insert(
        "stances",
        &Stance::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "report_reasons",
        &ReportReason::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    page.render(&state.tera, "proposal.html", ctx)
}

/// Tenths of a percent as text: `123` → `12.3`.
fn pct(per_mille: i64) -> String {
    format!("{}.{}", per_mille / 10, per_mille % 10)
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn transition_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<TransitionForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let row = api::do_transition(&state, &c, &who, id, &form.action, &form.reason).await?;
    match (row.status(), row.ballot_id) {
        (Status::PutToVote, Some(b)) => Ok(see_other(&format!("/c/{}/ballots/{b}/edit", c.slug))),
        _ => Ok(see_other(&format!("/c/{}/proposals/{id}", c.slug))),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn cosign_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    api::do_cosign(&state, &c, &who, id).await?;
    Ok(see_other(&format!("/c/{}/proposals/{id}#cosign", c.slug)))
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    pub csrf: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub stance: String,
}

pub async fn comment_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<CommentForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, who) = member_community(&state, page.user()?, &slug).await?;
    let input = CommentInput {
        body: form.body.clone(),
        parent_id: form.parent_id.trim().parse().ok(),
        stance: Some(form.stance.clone()),
    };
    let (c2, now) = (c.clone(), state.ledger.clock.now());
    let row = state
        .with_db(move |conn| comments::add(conn, &c2, &who, id, &input, now))
        .await?;
    Ok(see_other(&format!(
        "/c/{}/proposals/{id}/comments/{}#comment-{}",
        c.slug, row.id, row.id
    )))
}

/// The forum's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::forum_comments as p;
    cfg.service(
        web::resource("/c/{slug}/proposals")
            .get(list_page)
            .post(create_submit),
    )
    .service(web::resource("/c/{slug}/proposals/new").get(new_page))
    .service(web::resource("/c/{slug}/proposals/{id}").get(proposal_page))
    .service(
        web::resource("/c/{slug}/proposals/{id}/edit")
            .get(edit_page)
            .post(edit_submit),
    )
    .service(web::resource("/c/{slug}/proposals/{id}/transition").post(transition_submit))
    .service(web::resource("/c/{slug}/proposals/{id}/cosign").post(cosign_submit))
    .service(web::resource("/c/{slug}/proposals/{id}/comments").post(comment_submit))
    .service(web::resource("/c/{slug}/proposals/{id}/comments/{cid}").get(p::thread_page))
    .service(
        web::resource("/c/{slug}/proposals/{id}/comments/{cid}/{op}")
            .post(p::comment_action_submit),
    )
    .service(web::resource("/c/{slug}/search").get(p::search_page))
    .service(web::resource("/c/{slug}/moderation").get(p::moderation_page))
    .service(web::resource("/c/{slug}/blocks").post(p::block_submit))
    .service(web::resource("/c/{slug}/forum-settings").post(p::settings_submit));
}
