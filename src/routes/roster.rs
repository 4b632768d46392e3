//! The roster: overview with totals and the headcount breakdown, CSV export, CSV import with
//! a preview of what changes, and buildings. Pages and their API twins.

use actix_multipart::form::{text::Text, MultipartForm};
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{self, Authed, CurrentUser};
use crate::crypto::tokens;
use crate::db::communities::{self, Community};
use crate::db::{self, audit, roster, DbConn};
use crate::domain::area::AreaCenti;
use crate::domain::headcount::{self, VoterBasis};
use crate::domain::roles::Action;
use crate::domain::roster_csv::{self, RosterFile};
use crate::domain::roster_diff::{self, RosterDiff};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

/// Largest roster file accepted (a few thousand units fit easily).
pub const MAX_ROSTER_BYTES: usize = 4 * 1024 * 1024;

pub async fn community_by_slug(state: &AppState, slug: &str) -> AppResult<Community> {
    let slug = slug.to_owned();
    state
        .with_db(move |conn| communities::by_slug(conn, &slug)?.ok_or(AppError::NotFound))
        .await
}

/// Load the community and check the user may do `action` there.
pub async fn authorise(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    action: Action,
) -> AppResult<Community> {
    let c = community_by_slug(state, slug).await?;
    user.require(action, c.id)?;
    Ok(c)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Hundredths of m².
    pub area: AreaCenti,
    pub headcount: i64,
    pub units: usize,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuildingTotals {
    pub id: i64,
    pub name: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// One place where the rules made several units or owners count as one person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collapse {
    /// `co_owners`, `same_buyer` or `developer`.
    #[schema(value_type = String)]
    pub basis: VoterBasis,
    pub area: AreaCenti,
    /// "building room" of each unit.
    pub units: Vec<String>,
    pub owners: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RosterOverview {
    pub community: Community,
    pub totals: Totals,
    pub buildings: Vec<BuildingTotals>,
    pub collapses: Vec<Collapse>,
    #[schema(value_type = Vec<Object>)]
    pub units: Vec<roster::UnitView>,
}

fn overview(conn: &mut DbConn, community: Community) -> AppResult<RosterOverview> {
    let views = roster::unit_views(conn, community.id, None)?;
    let buildings = roster::buildings(conn, community.id)?;
    let all = headcount::count(&roster::facts(&views));
    let label = |id: i64| {
        views
            .iter()
            .find(|u| u.id == id)
            .map(|u| format!("{} {}", u.building, u.room))
            .unwrap_or_default()
    };
    let owner_names: std::collections::BTreeMap<i64, String> = views
        .iter()
        .flat_map(|u| {
            u.owners
                .iter()
                .map(|o| (o.id, format!("{} ({})", o.name, o.owner_ref)))
        })
        .collect();
    let collapses = all
        .collapses()
        .map(|v| Collapse {
            basis: v.basis,
            area: v.area,
            units: v.unit_ids.iter().map(|id| label(*id)).collect(),
            owners: v
                .owner_ids
                .iter()
                .filter_map(|id| owner_names.get(id).cloned())
                .collect(),
        })
        .collect();
    let buildings = buildings
        .into_iter()
        .map(|b| {
            let in_b: Vec<_> = views
                .iter()
                .filter(|u| u.building_id == b.id)
                .cloned()
                .collect();
            let e = headcount::count(&roster::facts(&in_b));
            BuildingTotals {
                id: b.id,
                name: b.name,
                totals: Totals {
                    area: e.total_area,
                    headcount: e.total_headcount,
                    units: e.unit_count,
                },
            }
        })
        .collect();
    Ok(RosterOverview {
        community,
        totals: Totals {
            area: all.total_area,
            headcount: all.total_headcount,
            units: all.unit_count,
        },
        buildings,
        collapses,
        units: views,
    })
}

pub async fn roster_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ViewRoster).await?;
    let can_edit = user.grants.allows(Action::EditRoster, c.id);
    let o = state.with_db(move |conn| overview(conn, c)).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("o", &o);
    ctx.insert("can_edit", &can_edit);
    page.render(&state.tera, "roster.html", ctx)
}

/// The roster with totals (area in hundredths of m², headcount by SPC Art. 9) and every collapse.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/roster", tag = "roster",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RosterOverview), (status = 401, body = crate::shell::errors::Problem), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_roster(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewRoster).await?;
    let o = state.with_db(move |conn| overview(conn, c)).await?;
    Ok(HttpResponse::Ok().json(o))
}

async fn export_csv(state: &AppState, c: Community) -> AppResult<HttpResponse> {
    let filename = format!("roster-{}.csv", c.slug);
    let file = state
        .with_db(move |conn| Ok(roster::roster_file(conn, c.id)?))
        .await?;
    // A byte-order mark so that spreadsheet programs read the Chinese correctly.
    let body = format!("\u{feff}{}", roster_csv::to_csv(&file));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body))
}

pub async fn export_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::ViewRoster).await?;
    export_csv(&state, c).await
}

/// The roster as CSV, in the import format.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/roster.csv", tag = "roster",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv")))]
pub async fn api_export(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewRoster).await?;
    export_csv(&state, c).await
}

// ---- import -------------------------------------------------------------------------

/// File problems as one validation error, each with its line and column.
pub fn problems_to_error(problems: Vec<roster_csv::Problem>) -> AppError {
    AppError::Validation(
        problems
            .into_iter()
            .map(|p| {
                let mut m = Msg::new(p.message_id);
                for (k, v) in p.args {
                    m = m.arg(k, v);
                }
                FieldError {
                    field: p.column.unwrap_or_default(),
                    line: Some(p.line),
                    message: m,
                }
            })
            .collect(),
    )
}

/// A fingerprint of the roster on record, so that a confirmation applies to the roster
/// that was previewed and not to one someone changed in between.
fn fingerprint(file: &RosterFile) -> String {
    tokens::sha256_hex(&roster_csv::to_csv(file))
}

pub struct Preview {
    pub diff: RosterDiff,
    pub current: String,
}

/// Parse an upload against the community's buildings and compare it with the roster on record.
fn preview(conn: &mut DbConn, community_id: i64, bytes: &[u8]) -> AppResult<(RosterFile, Preview)> {
    let known: Vec<String> = roster::buildings(conn, community_id)?
        .into_iter()
        .map(|b| b.name)
        .collect();
    let new = roster_csv::parse(bytes, &known).map_err(problems_to_error)?;
    let old = roster::roster_file(conn, community_id)?;
    let diff = roster_diff::diff(&old, &new);
    Ok((
        new,
        Preview {
            diff,
            current: fingerprint(&old),
        },
    ))
}

/// Apply an upload, if the roster on record is still the one previewed (when `expected` is given).
fn apply(
    conn: &mut DbConn,
    community_id: i64,
    actor: Option<i64>,
    bytes: &[u8],
    expected: Option<&str>,
) -> AppResult<RosterDiff> {
    db::write_tx(conn, |conn| {
        let (new, p) = preview(conn, community_id, bytes)?;
        if expected.is_some_and(|e| e != p.current) {
            return Err(AppError::Conflict(Msg::new("roster-changed-meanwhile")));
        }
        roster::apply(conn, community_id, &new)?;
        let d = &p.diff;
        audit::append(
            conn,
            Some(community_id),
            actor,
            "roster.import",
            &serde_json::json!({ "area": d.before.area, "headcount": d.before.headcount, "units": d.before.units }),
            &serde_json::json!({
                "area": d.after.area, "headcount": d.after.headcount, "units": d.after.units,
                "units_added": d.units_added.len(), "units_removed": d.units_removed.len(),
                "units_changed": d.units_changed.len(), "owners_added": d.owners_added.len(),
                "owners_removed": d.owners_removed.len(), "owners_changed": d.owners_changed.len(),
            }),
        )?;
        Ok(p.diff)
    })
}

/// Import or preview from the command line; prints the diff and applies it when `confirm`.
pub fn import_cli(
    conn: &mut DbConn,
    slug: &str,
    bytes: &[u8],
    confirm: bool,
) -> anyhow::Result<RosterDiff> {
    let c = communities::by_slug(conn, slug)?
        .ok_or_else(|| anyhow::anyhow!("no community with slug {slug}"))?;
    let result = if confirm {
        apply(conn, c.id, None, bytes, None).map(|d| (d, true))
    } else {
        preview(conn, c.id, bytes).map(|(_, p)| (p.diff, false))
    };
    result.map(|(d, _)| d).map_err(|e| describe_for_cli(&e))
}

/// An import error as text for the terminal, every problem in Chinese and English.
pub fn describe_for_cli(e: &AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "line {} {}: {} / {}",
                        e.line.unwrap_or(0),
                        e.field,
                        e.message.render(crate::i18n::Lang::ZhCn),
                        e.message.render(crate::i18n::Lang::En)
                    )
                })
                .collect();
            anyhow::anyhow!(
                "the file has {} problem(s); nothing was changed:\n{}",
                lines.len(),
                lines.join("\n")
            )
        }
        AppError::Conflict(m) | AppError::BadRequest(m) => {
            anyhow::anyhow!("{}", m.render(crate::i18n::Lang::En))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn import_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::EditRoster).await?;
    let buildings = {
        let id = c.id;
        state
            .with_db(move |conn| Ok(roster::buildings(conn, id)?))
            .await?
    };
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("buildings", &buildings);
    page.render(&state.tera, "roster_import.html", ctx)
}

#[derive(MultipartForm)]
pub struct UploadForm {
    #[multipart(limit = "4MiB")]
    pub file: actix_multipart::form::bytes::Bytes,
    pub csrf: Text<String>,
}

#[derive(MultipartForm)]
pub struct ConfirmForm {
    #[multipart(limit = "8MiB")]
    pub content: Text<String>,
    pub expected: Text<String>,
    pub csrf: Text<String>,
}

fn render_import(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    extra: tera::Context,
    status: actix_web::http::StatusCode,
) -> AppResult<HttpResponse> {
    let mut ctx = extra;
    ctx.insert("community", c);
    page.render_status(&state.tera, "roster_import.html", ctx, status)
}

/// (line, column, message) of each problem, for a page.
pub fn problem_lines(e: &AppError, page: &PageCtx) -> Vec<(Option<u64>, String, String)> {
    let mut out: Vec<_> = e
        .field_errors()
        .iter()
        .map(|f| (f.line, f.field.clone(), f.message.render(page.lang)))
        .collect();
    if let Some(d) = e.detail() {
        out.push((None, String::new(), d.render(page.lang)));
    }
    out
}

pub async fn import_upload(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: MultipartForm<UploadForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let c = authorise(&state, page.user()?, &slug, Action::EditRoster).await?;
    let bytes = form.file.data.to_vec();
    let id = c.id;
    let content = String::from_utf8_lossy(&bytes).into_owned();
    let result = state
        .with_db(move |conn| preview(conn, id, &bytes).map(|(_, p)| p))
        .await;
    let mut ctx = tera::Context::new();
    match result {
        Ok(p) => {
            ctx.insert("diff", &p.diff);
            ctx.insert("expected", &p.current);
            ctx.insert("content", &content);
            render_import(&page, &state, &c, ctx, actix_web::http::StatusCode::OK)
        }
        Err(e @ AppError::Validation(_)) => {
            ctx.insert("problems", &problem_lines(&e, &page));
            render_import(
                &page,
                &state,
                &c,
                ctx,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e),
    }
}

pub async fn import_confirm(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: MultipartForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::EditRoster).await?;
    let (id, actor) = (c.id, user.user.id);
    let bytes = form.content.as_bytes().to_vec();
    let expected = form.expected.to_string();
    let result = state
        .with_db(move |conn| apply(conn, id, Some(actor), &bytes, Some(&expected)))
        .await;
    match result {
        Ok(_) => Ok(crate::routes::auth::see_other(&format!(
            "/c/{}/roster?imported=1",
            c.slug
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let mut ctx = tera::Context::new();
            ctx.insert("problems", &problem_lines(&e, &page));
            render_import(
                &page,
                &state,
                &c,
                ctx,
                actix_web::http::StatusCode::CONFLICT,
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Apply the file; without it the answer is only the preview.
    #[serde(default)]
    pub confirm: bool,
    /// The `current` fingerprint from a preview: refuse if the roster changed since.
    pub expected: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResponse {
    pub applied: bool,
    /// Fingerprint of the roster on record before this import.
    pub current: Option<String>,
    #[schema(value_type = Object)]
    pub diff: RosterDiff,
}

/// Preview (default) or apply (`?confirm=true`) a roster CSV sent as the request body.
/// A file with any problem changes nothing and lists every problem with line and column.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/roster/import", tag = "roster",
    params(("slug" = String, Path), ImportQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResponse), (status = 422, body = crate::shell::errors::Problem), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_import(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    q: web::Query<ImportQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::EditRoster).await?;
    if body.len() > MAX_ROSTER_BYTES {
        return Err(AppError::BadRequest(Msg::new("roster-too-large")));
    }
    let (id, actor) = (c.id, user.0.user.id);
    let q = q.into_inner();
    let bytes = body.to_vec();
    let response = state
        .with_db(move |conn| {
            if q.confirm {
                let diff = apply(conn, id, Some(actor), &bytes, q.expected.as_deref())?;
                Ok(ImportResponse {
                    applied: true,
                    current: None,
                    diff,
                })
            } else {
                let (_, p) = preview(conn, id, &bytes)?;
                Ok(ImportResponse {
                    applied: false,
                    current: Some(p.current),
                    diff: p.diff,
                })
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(response))
}

// ---- buildings ----------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewBuilding {
    pub name: String,
}

async fn add_building(
    state: &AppState,
    c: &Community,
    actor: i64,
    name: &str,
) -> AppResult<roster::Building> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > roster_csv::MAX_BUILDING_LEN {
        return Err(AppError::Validation(vec![FieldError::new(
            "name",
            Msg::new("building-name-invalid"),
        )]));
    }
    let id = c.id;
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let b = roster::add_building(conn, id, &name).map_err(|e| {
                    if e.is_unique_violation() {
                        AppError::Conflict(Msg::new("building-exists"))
                    } else {
                        e.into()
                    }
                })?;
                audit::append(
                    conn,
                    Some(id),
                    Some(actor),
                    "building.add",
                    &serde_json::json!({}),
                    &serde_json::json!({ "building": b.name }),
                )?;
                Ok(b)
            })
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct BuildingForm {
    pub name: String,
    pub csrf: String,
}

pub async fn building_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<BuildingForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::EditRoster).await?;
    add_building(&state, &c, user.user.id, &form.name).await?;
    Ok(crate::routes::auth::see_other(&format!(
        "/c/{}/roster/import",
        c.slug
    )))
}

/// Add a building (楼栋) to a community; units in a roster file must name a known building.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/buildings", tag = "roster",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = NewBuilding,
    responses((status = 201), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_add_building(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<NewBuilding>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::EditRoster).await?;
    let b = add_building(&state, &c, user.0.user.id, &body.name).await?;
    Ok(HttpResponse::Created().json(b))
}
