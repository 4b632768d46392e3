//! Building reports (楼栋上报) through the API, and the operations the pages share: any member
//! reports a problem for a building of the community; its building lead (楼栋长) or an
//! organiser acknowledges, assigns and closes it; the reporter follows its status.
//! Who sees what: organisers every report, building leads their buildings' (and their own),
//! other members their own; anyone else gets 404 for a report.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::roster::authorise;
use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::db::building_reports::{self as db_reports, ReportRow, Scope, Step};
use crate::db::communities::Community;
use crate::db::roster;
use crate::domain::building_report::{self as domain, Invalid, ReportInput, Status};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};

/// A report as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub building_id: i64,
    /// The building's name, e.g. `1号楼`.
    pub building: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub location: String,
    /// `reported`, `acknowledged`, `assigned` or `closed`.
    pub status: String,
    /// Who will fix it (free text), once assigned.
    pub assignee: Option<String>,
    pub reporter_id: i64,
    pub reporter: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// One step in a report's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// `report`, `acknowledge`, `assign` or `close`.
    pub action: String,
    pub note: String,
    pub actor: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A report with its history, and whether the asker may act on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: ReportView,
    pub events: Vec<EventView>,
    pub can_handle: bool,
}

fn invalid_to_error(problems: Vec<Invalid>) -> AppError {
    AppError::Validation(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field, Msg::new(p.message)))
            .collect(),
    )
}

fn views(
    rows: Vec<ReportRow>,
    buildings: &HashMap<i64, String>,
    names: &HashMap<i64, String>,
) -> Vec<ReportView> {
    rows.into_iter()
        .map(|r| ReportView {
            building: buildings.get(&r.building_id).cloned().unwrap_or_default(),
            reporter: names.get(&r.reporter_id).cloned().unwrap_or_default(),
            id: r.id,
            building_id: r.building_id,
            category: r.category,
            title: r.title,
            description: r.description,
            location: r.location,
            status: r.status,
            assignee: r.assignee,
            reporter_id: r.reporter_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect()
}

/// Views of rows, with building and reporter names from the database.
fn load_views(
    conn: &mut crate::db::DbConn,
    community_id: i64,
    rows: Vec<ReportRow>,
) -> AppResult<Vec<ReportView>> {
    let buildings: HashMap<i64, String> = roster::buildings(conn, community_id)?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.reporter_id).collect();
    let names = db_reports::names(conn, &ids)?;
    Ok(views(rows, &buildings, &names))
}

/// The reports `user` may see in a community: organisers all, building leads their
/// buildings' and their own, other members their own.
pub fn scope_of(user: &CurrentUser, community_id: i64) -> Scope {
    let g = &user.grants;
    if g.is_admin || g.organiser_of.contains(&community_id) {
        return Scope::All;
    }
    let buildings: Vec<i64> = g
        .building_lead_of
        .iter()
        .filter(|(c, _)| *c == community_id)
        .map(|(_, b)| *b)
        .collect();
    if buildings.is_empty() {
        Scope::Reporter(user.user.id)
    } else {
        Scope::Buildings {
            buildings,
            reporter: user.user.id,
        }
    }
}

/// Does `user` handle the reports of at least one building here (a lead or an organiser)?
pub fn handles_any(user: &CurrentUser, community_id: i64) -> bool {
    !matches!(scope_of(user, community_id), Scope::Reporter(_))
}

/// Parse a status filter (`?status=`); empty means all.
pub fn status_filter(s: Option<&str>) -> AppResult<Option<Status>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Status::parse(s).map(Some).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "status",
                Msg::new("report-error-status"),
            )])
        }),
    }
}

/// The reports in a scope of a community.
pub async fn list(
    state: &AppState,
    c: &Community,
    scope: Scope,
    status: Option<Status>,
) -> AppResult<Vec<ReportView>> {
    let cid = c.id;
    state
        .with_db(move |conn| {
            let rows = db_reports::list(conn, cid, &scope, status)?;
            load_views(conn, cid, rows)
        })
        .await
}

/// File a report (any member of the community).
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    input: ReportInput,
) -> AppResult<(Community, i64)> {
    let c = authorise(state, user, slug, Action::Participate).await?;
    let (cid, uid, now) = (c.id, user.user.id, state.ledger.clock.now());
    let id = state
        .with_db(move |conn| {
            let known: Vec<i64> = roster::buildings(conn, cid)?.iter().map(|b| b.id).collect();
            let report = domain::validate_report(&input, &known).map_err(invalid_to_error)?;
            Ok(db_reports::insert(conn, cid, uid, &report, now)?)
        })
        .await?;
    Ok((c, id))
}

/// A report the user may see: its reporter, its building's lead, an organiser. 404 otherwise.
async fn load_visible(
    state: &AppState,
    user: &CurrentUser,
    c: &Community,
    id: i64,
) -> AppResult<ReportRow> {
    let cid = c.id;
    let row = state
        .with_db(move |conn| Ok(db_reports::get(conn, cid, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if row.reporter_id == user.user.id || user.grants.handles_building(c.id, row.building_id) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// A report with its history (its reporter, its building's lead, organisers).
pub async fn detail(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: i64,
) -> AppResult<(Community, ReportDetail)> {
    let c = authorise(state, user, slug, Action::Participate).await?;
    let row = load_visible(state, user, &c, id).await?;
    let can_handle = user.grants.handles_building(c.id, row.building_id);
    let cid = c.id;
    let (report, events) = state
        .with_db(move |conn| {
            let events = db_reports::events(conn, row.id)?;
            let actors: Vec<i64> = events.iter().map(|e| e.actor_id).collect();
            let names = db_reports::names(conn, &actors)?;
            let events = events
                .into_iter()
                .map(|e| EventView {
                    actor: names.get(&e.actor_id).cloned().unwrap_or_default(),
                    action: e.action,
                    note: e.note,
                    created_at: e.created_at,
                })
                .collect::<Vec<_>>();
            let report = load_views(conn, cid, vec![row])?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound)?;
            Ok((report, events))
        })
        .await?;
    Ok((
        c,
        ReportDetail {
            report,
            events,
            can_handle,
        },
    ))
}

/// Act on a report (its building's lead or an organiser): `acknowledge` (note optional),
/// `assign` (an assignee required), `close` (a note required).
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    action: &str,
    note: &str,
    assignee: &str,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, Action::Participate).await?;
    let row = load_visible(state, user, &c, id).await?;
    if !user.grants.handles_building(c.id, row.building_id) {
        return Err(AppError::Forbidden);
    }
    let action = domain::Action::parse(action.trim()).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new(
            "action",
            Msg::new("report-error-action"),
        )])
    })?;
    let (note, assignee) = domain::validate_step_text(note, assignee).map_err(invalid_to_error)?;
    let from = row.status();
    let to = domain::transition(from, action, &note, &assignee).map_err(|r| match r.field() {
        Some(field) => AppError::Validation(vec![FieldError::new(field, Msg::new(r.message_id()))]),
        None => AppError::Conflict(Msg::new(r.message_id())),
    })?;
    let (cid, uid, now) = (c.id, user.user.id, state.ledger.clock.now());
    let (c2, title, reporter) = (c.clone(), row.title.clone(), row.reporter_id);
    let moved = state
        .with_db(move |conn| {
            let moved = db_reports::apply(
                conn,
                &Step {
                    report_id: row.id,
                    community_id: cid,
                    from,
                    to,
                    action,
                    actor_id: uid,
                    note: &note,
                    assignee: (action == domain::Action::Assign).then_some(assignee.as_str()),
                    now,
                },
            )?;
            if moved {
                crate::notify::on_report_status(conn, &c2, (row.id, &title), reporter, uid, now);
            }
            Ok(moved)
        })
        .await?;
    if !moved {
        return Err(AppError::Conflict(Msg::new(
            domain::Refusal::Illegal.message_id(),
        )));
    }
    Ok(c)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only reports in this status.
    pub status: Option<String>,
}

/// The building reports the signed-in member may see, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/building-reports", tag = "forum",
    params(("slug" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, body = [ReportView]), (status = 403)))]
pub async fn api_list(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::Participate).await?;
    let status = status_filter(query.status.as_deref())?;
    let rows = list(&state, &c, scope_of(&user.0, c.id), status).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Report a problem for a building of the community (any member).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/building-reports", tag = "forum",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = ReportInput,
    responses((status = 201, body = ReportDetail), (status = 403),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<ReportInput>,
) -> AppResult<HttpResponse> {
    let (_, id) = create(&state, &user.0, &slug, body.into_inner()).await?;
    let (_, d) = detail(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Created().json(d))
}

/// A report with its history (its reporter, its building's lead, organisers).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/building-reports/{id}", tag = "forum",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = ReportDetail), (status = 404)))]
pub async fn api_get(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, d) = detail(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EventRequest {
    /// `acknowledge`, `assign` or `close`.
    pub action: String,
    /// Optional when acknowledging or assigning; required to close.
    #[serde(default)]
    pub note: String,
    /// Who will fix it; required to assign.
    #[serde(default)]
    pub assignee: String,
}

/// Acknowledge, assign or close a report (its building's lead or an organiser).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/building-reports/{id}/events",
    tag = "forum", params(("slug" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), request_body = EventRequest,
    responses((status = 200, body = ReportDetail), (status = 403), (status = 404),
        (status = 409, body = crate::shell::errors::Problem),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_event(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<EventRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let b = body.into_inner();
    act(&state, &user.0, &slug, id, &b.action, &b.note, &b.assignee).await?;
    let (_, d) = detail(&state, &user.0, &slug, id).await?;
    Ok(HttpResponse::Ok().json(d))
}
