//! Building report pages (楼栋上报), no JavaScript needed: the member's own reports and, for
//! building leads and organisers, the reports to handle; the form to file one; a report with
//! its history and the acknowledge, assign and close forms. The API twins and the shared
//! operations are in [`super::building_reports_api`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::see_other;
use super::building_reports_api::{self as api, ListQuery, ReportDetail, ReportView};
use super::roster::authorise;
use crate::app::AppState;
use crate::auth;
use crate::clock;
use crate::db::building_reports::Scope;
use crate::db::communities::Community;
use crate::db::roster;
use crate::domain::building_report::{Category, ReportInput, Status};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError};
use crate::shell::PageCtx;

/// A report as the templates show it: the view with its times in Beijing time.
fn shown(v: &ReportView) -> AppResult<serde_json::Value> {
    let mut j = serde_json::to_value(v).map_err(AppError::internal)?;
    j["created"] = clock::format_shanghai(v.created_at).into();
    j["updated"] = clock::format_shanghai(v.updated_at).into();
    Ok(j)
}

fn shown_all(rows: &[ReportView]) -> AppResult<Vec<serde_json::Value>> {
    rows.iter().map(shown).collect()
}

/// The member's own reports and, for leads and organisers, the reports to handle.
pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Participate).await?;
    let status = api::status_filter(query.status.as_deref())?;
    let mine = api::list(&state, &c, Scope::Reporter(user.user.id), None).await?;
    let handles = api::handles_any(user, c.id);
    let to_handle: Vec<ReportView> = if handles {
        api::list(&state, &c, api::scope_of(user, c.id), status)
            .await?
            .into_iter()
            .filter(|r| user.grants.handles_building(c.id, r.building_id))
            .collect()
    } else {
        Vec::new()
    };
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("mine", &shown_all(&mine)?);
    ctx.insert("handles", &handles);
    ctx.insert(
        "organiser",
        &user.grants.allows(Action::ManageBallots, c.id),
    );
    ctx.insert("to_handle", &shown_all(&to_handle)?);
    ctx.insert("status", &status.map(Status::as_str));
    ctx.insert(
        "statuses",
        &Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    );
    page.render(&state.tera, "building_reports.html", ctx)
}

/// The new-report form's fields, as submitted, for showing the form again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReportForm {
    #[serde(default, skip_serializing)]
    pub csrf: String,
    #[serde(default)]
    pub building_id: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
}

async fn render_form(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    form: &ReportForm,
    errors: &[FieldError],
) -> AppResult<HttpResponse> {
    let cid = c.id;
    let buildings = state
        .with_db(move |conn| Ok(roster::buildings(conn, cid)?))
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("form", form);
    ctx.insert(
        "selected_building",
        &form.building_id.trim().parse::<i64>().ok(),
    );
    ctx.insert("buildings", &buildings);
    ctx.insert(
        "categories",
        &Category::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
    );
    page.render_form(&state.tera, "building_report_new.html", ctx, errors)
}

pub async fn new_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::Participate).await?;
    render_form(&page, &state, &c, &ReportForm::default(), &[]).await
}

pub async fn create_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<ReportForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let form = form.into_inner();
    let input = ReportInput {
        building_id: form.building_id.trim().parse().unwrap_or(0),
        category: form.category.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        location: form.location.clone(),
    };
    match api::create(&state, user, &slug, input).await {
        Ok((c, id)) => Ok(see_other(&format!("/c/{}/building-reports/{id}", c.slug))),
        Err(AppError::Validation(errors)) => {
            let c = authorise(&state, user, &slug, Action::Participate).await?;
            render_form(&page, &state, &c, &form, &errors).await
        }
        Err(e) => Err(e),
    }
}

/// What a handler typed into a step's form, for showing it again.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EventForm {
    #[serde(default, skip_serializing)]
    pub csrf: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub assignee: String,
}

async fn render_detail(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    d: &ReportDetail,
    form: &EventForm,
    errors: &[FieldError],
) -> AppResult<HttpResponse> {
    let events: Vec<serde_json::Value> = d
        .events
        .iter()
        .map(|e| {
            serde_json::json!({
                "action": e.action, "note": e.note, "actor": e.actor,
                "at": clock::format_shanghai(e.created_at),
            })
        })
        .collect();
    let status = Status::parse(&d.report.status).unwrap_or(Status::Closed);
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("report", &shown(&d.report)?);
    ctx.insert("events", &events);
    ctx.insert("can_handle", &(d.can_handle && status.is_open()));
    ctx.insert("can_acknowledge", &(status == Status::Reported));
    ctx.insert("form", form);
    page.render_form(&state.tera, "building_report.html", ctx, errors)
}

pub async fn detail_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, d) = api::detail(&state, page.user()?, &slug, id).await?;
    render_detail(&page, &state, &c, &d, &EventForm::default(), &[]).await
}

pub async fn event_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<EventForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let user = page.user()?;
    let form = form.into_inner();
    let result = api::act(
        &state,
        user,
        &slug,
        id,
        &form.action,
        &form.note,
        &form.assignee,
    )
    .await;
    match result {
        Ok(c) => Ok(see_other(&format!("/c/{}/building-reports/{id}", c.slug))),
        Err(AppError::Validation(errors)) => {
            let (c, d) = api::detail(&state, user, &slug, id).await?;
            render_detail(&page, &state, &c, &d, &form, &errors).await
        }
        Err(e) => Err(e),
    }
}
