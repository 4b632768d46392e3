//! The residents' register (households and residents): the electorate of residents'
//! conventions. Overview, CSV import with a preview, export; pages and API twins.

use actix_multipart::form::{text::Text, MultipartForm};
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::roster::{authorise, problem_lines, problems_to_error, MAX_ROSTER_BYTES};
use crate::app::AppState;
use crate::auth::{self, Authed};
use crate::crypto::tokens;
use crate::db::communities::Community;
use crate::db::{self, audit, residents, roster, DbConn};
use crate::domain::residents::{self as rules, AssemblyMode, ResidentsFile};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

/// The year in China (UTC+8), for the age of majority.
pub fn current_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year()
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ResidentTotals {
    pub households: usize,
    pub residents: usize,
    /// Aged 18 or over this year: the residents' assembly when all adults take part.
    pub adults: usize,
    /// Households with a representative: the assembly when households send representatives.
    pub representatives: usize,
}

fn totals(file: &ResidentsFile, year: i32) -> ResidentTotals {
    ResidentTotals {
        households: file.households.len(),
        residents: file.households.iter().map(|h| h.residents.len()).sum(),
        adults: rules::electorate(file, AssemblyMode::AllAdults, year)
            .voters
            .len(),
        representatives: rules::electorate(file, AssemblyMode::HouseholdRepresentatives, year)
            .voters
            .len(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResidentsOverview {
    pub community: Community,
    pub year: i32,
    pub totals: ResidentTotals,
    /// Households without a representative (they send nobody in representative mode).
    pub households_without_representative: Vec<String>,
    #[schema(value_type = Object)]
    pub register: ResidentsFile,
}

fn overview(conn: &mut DbConn, community: Community) -> AppResult<ResidentsOverview> {
    let register = residents::residents_file(conn, community.id)?;
    let year = current_year();
    let reps = rules::electorate(&register, AssemblyMode::HouseholdRepresentatives, year);
    Ok(ResidentsOverview {
        totals: totals(&register, year),
        households_without_representative: reps.households_without_representative,
        community,
        year,
        register,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResidentsPreview {
    pub applied: bool,
    pub before: ResidentTotals,
    pub after: ResidentTotals,
    /// Fingerprint of the register on record, to confirm exactly this preview.
    pub current: String,
}

/// Parse an upload and check every address against the roster.
fn check(
    conn: &mut DbConn,
    community_id: i64,
    bytes: &[u8],
) -> AppResult<(ResidentsFile, ResidentsPreview)> {
    let known: Vec<String> = roster::buildings(conn, community_id)?
        .into_iter()
        .map(|b| b.name)
        .collect();
    let year = current_year();
    let new = rules::parse(bytes, &known, year).map_err(problems_to_error)?;
    let units = residents::unit_index(conn, community_id)?;
    let missing: Vec<FieldError> = new
        .households
        .iter()
        .filter_map(|h| match (&h.building, &h.room) {
            (Some(b), Some(r)) if !units.contains_key(&(b.clone(), r.clone())) => {
                Some(FieldError::new(
                    "room",
                    Msg::new("residents-error-unknown-room")
                        .arg("household_ref", &h.household_ref)
                        .arg("building", b)
                        .arg("room", r),
                ))
            }
            _ => None,
        })
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Validation(missing));
    }
    let old = residents::residents_file(conn, community_id)?;
    Ok((
        new.clone(),
        ResidentsPreview {
            applied: false,
            before: totals(&old, year),
            after: totals(&new, year),
            current: tokens::sha256_hex(&rules::to_csv(&old)),
        },
    ))
}

fn apply(
    conn: &mut DbConn,
    community_id: i64,
    actor: Option<i64>,
    bytes: &[u8],
    expected: Option<&str>,
) -> AppResult<ResidentsPreview> {
    db::write_tx(conn, |conn| {
        let (file, mut p) = check(conn, community_id, bytes)?;
        if expected.is_some_and(|e| e != p.current) {
            return Err(AppError::Conflict(Msg::new("roster-changed-meanwhile")));
        }
        let units = residents::unit_index(conn, community_id)?;
        residents::apply(conn, community_id, &file, &units)?;
        audit::append(
            conn,
            Some(community_id),
            actor,
            "residents.import",
            &serde_json::to_value(p.before).unwrap_or_default(),
            &serde_json::to_value(p.after).unwrap_or_default(),
        )?;
        p.applied = true;
        Ok(p)
    })
}

pub async fn residents_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ViewRoster).await?;
    let can_edit = user.grants.allows(Action::EditRoster, c.id);
    let can_issue = user.grants.allows(Action::IssueCodes, c.id);
    let (o, status) = state
        .with_db(move |conn| {
            let status = super::resident_codes::account_status(conn, c.id)?;
            Ok((overview(conn, c)?, status))
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("status", &status);
    ctx.insert("can_issue", &can_issue);
    ctx.insert("account_age", &super::resident_codes::ACCOUNT_AGE);
    ctx.insert("o", &o);
    ctx.insert("community", &o.community);
    ctx.insert("can_edit", &can_edit);
    page.render(&state.tera, "residents.html", ctx)
}

/// The residents' register with the electorate of a residents' assembly in both forms.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/residents", tag = "residents",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ResidentsOverview), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_residents(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewRoster).await?;
    let o = state.with_db(move |conn| overview(conn, c)).await?;
    Ok(HttpResponse::Ok().json(o))
}

async fn export(state: &AppState, c: Community) -> AppResult<HttpResponse> {
    let filename = format!("residents-{}.csv", c.slug);
    let file = state
        .with_db(move |conn| Ok(residents::residents_file(conn, c.id)?))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(format!("\u{feff}{}", rules::to_csv(&file))))
}

pub async fn export_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::ViewRoster).await?;
    export(&state, c).await
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

fn render(
    page: &PageCtx,
    state: &AppState,
    c: Community,
    extra: tera::Context,
    status: actix_web::http::StatusCode,
) -> AppResult<HttpResponse> {
    let mut ctx = extra;
    ctx.insert("community", &c);
    ctx.insert("can_edit", &true);
    page.render_status(&state.tera, "residents.html", ctx, status)
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
    let content = String::from_utf8_lossy(&bytes).into_owned();
    let id = c.id;
    let result = state
        .with_db(move |conn| check(conn, id, &bytes).map(|(_, p)| p))
        .await;
    let mut ctx = tera::Context::new();
    match result {
        Ok(p) => {
            ctx.insert("preview", &p);
            ctx.insert("content", &content);
            render(&page, &state, c, ctx, actix_web::http::StatusCode::OK)
        }
        Err(e @ AppError::Validation(_)) => {
            ctx.insert("problems", &problem_lines(&e, &page));
            render(
                &page,
                &state,
                c,
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
        Ok(_) => Ok(super::auth::see_other(&format!("/c/{}/residents", c.slug))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let mut ctx = tera::Context::new();
            ctx.insert("problems", &problem_lines(&e, &page));
            render(&page, &state, c, ctx, actix_web::http::StatusCode::CONFLICT)
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Apply the file; without it the answer is only the preview.
    #[serde(default)]
    pub confirm: bool,
    /// The `current` fingerprint from a preview: refuse if the register changed since.
    pub expected: Option<String>,
}

/// Preview (default) or apply (`?confirm=true`) a residents' register CSV sent as the body.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/residents/import", tag = "residents",
    params(("slug" = String, Path), ImportQuery), security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ResidentsPreview), (status = 422, body = crate::shell::errors::Problem), (status = 409, body = crate::shell::errors::Problem)))]
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
    let p = state
        .with_db(move |conn| {
            if q.confirm {
                apply(conn, id, Some(actor), &bytes, q.expected.as_deref())
            } else {
                check(conn, id, &bytes).map(|(_, p)| p)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Import from the command line: returns the preview, applied when `confirm`.
pub fn import_cli(
    conn: &mut DbConn,
    slug: &str,
    bytes: &[u8],
    confirm: bool,
) -> anyhow::Result<ResidentsPreview> {
    let c = crate::db::communities::by_slug(conn, slug)?
        .ok_or_else(|| anyhow::anyhow!("no community with slug {slug}"))?;
    let result = if confirm {
        apply(conn, c.id, None, bytes, None)
    } else {
        check(conn, c.id, bytes).map(|(_, p)| p)
    };
    result.map_err(|e| super::roster::describe_for_cli(&e))
}

/// The residents' register as CSV, in the import format.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/residents.csv", tag = "residents",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv")))]
pub async fn api_export(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewRoster).await?;
    export(&state, c).await
}
