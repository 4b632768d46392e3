//! Invitation codes (issue, print, reissue), roles (appoint, revoke) and the audit trail.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::see_other;
use super::roster::authorise;
use crate::app::AppState;
use crate::auth::{self, Authed, CurrentUser};
use crate::crypto::tokens;
use crate::db::communities::Community;
use crate::db::{self, accounts, audit, roster};
use crate::domain::roles::{Action, GrantedRole, OrganiserBody};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

// ---- invitation codes ---------------------------------------------------------------

/// One printed slip: the code is shown once and only a hash is kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Slip {
    pub owner_id: i64,
    pub owner_ref: String,
    pub owner_name: String,
    /// "building room" of each unit the owner holds.
    pub rooms: Vec<String>,
    pub code: String,
}

/// Issue codes: for the given owners, or for every owner who has neither an account nor an
/// unused code. Reissuing revokes the owner's earlier code and ends the sessions of the
/// owner's account.
async fn issue(
    state: &AppState,
    c: &Community,
    actor: i64,
    only: Option<Vec<i64>>,
) -> AppResult<Vec<Slip>> {
    let community_id = c.id;
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let owners = roster::owners(conn, community_id)?;
                let units = roster::unit_views(conn, community_id, None)?;
                let status = accounts::code_status(conn, community_id)?;
                let mut slips = Vec::new();
                for o in owners {
                    let linked = accounts::users_of_owner(conn, community_id, o.id)?;
                    let chosen = match &only {
                        Some(ids) => ids.contains(&o.id),
                        None => {
                            linked.is_empty()
                                && !status
                                    .iter()
                                    .any(|s| s.owner_id == o.id && s.redeemed_at.is_none())
                        }
                    };
                    if !chosen {
                        continue;
                    }
                    let code = tokens::invitation_code().map_err(AppError::internal)?;
                    accounts::issue_code(
                        conn,
                        community_id,
                        o.id,
                        &tokens::sha256_hex(&code),
                        Some(actor),
                    )?;
                    let mut ended = 0;
                    for u in &linked {
                        ended += accounts::revoke_all_sessions(conn, u.id)?;
                    }
                    audit::append(
                        conn,
                        Some(community_id),
                        Some(actor),
                        if only.is_some() {
                            "code.reissue"
                        } else {
                            "code.issue"
                        },
                        &serde_json::json!({ "owner_ref": o.owner_ref, "sessions_ended": ended }),
                        &serde_json::json!({ "owner_ref": o.owner_ref, "code_issued": true }),
                    )?;
                    slips.push(Slip {
                        owner_id: o.id,
                        rooms: units
                            .iter()
                            .filter(|u| u.owners.iter().any(|x| x.id == o.id))
                            .map(|u| format!("{} {}", u.building, u.room))
                            .collect(),
                        owner_ref: o.owner_ref,
                        owner_name: o.name,
                        code,
                    });
                }
                if let Some(ids) = &only {
                    if slips.len() != ids.len() {
                        return Err(AppError::NotFound);
                    }
                }
                Ok(slips)
            })
        })
        .await
}

#[derive(Debug, Serialize)]
struct OwnerCodeRow {
    owner: roster::Owner,
    rooms: Vec<String>,
    code_issued_at: Option<chrono::NaiveDateTime>,
    redeemed: bool,
    has_account: bool,
}

pub async fn codes_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::IssueCodes).await?;
    let id = c.id;
    let rows = state
        .with_db(move |conn| {
            let units = roster::unit_views(conn, id, None)?;
            let status = accounts::code_status(conn, id)?;
            let mut rows = Vec::new();
            for o in roster::owners(conn, id)? {
                let latest = status.iter().rev().find(|s| s.owner_id == o.id);
                rows.push(OwnerCodeRow {
                    rooms: units
                        .iter()
                        .filter(|u| u.owners.iter().any(|x| x.id == o.id))
                        .map(|u| format!("{} {}", u.building, u.room))
                        .collect(),
                    code_issued_at: latest.map(|s| s.issued_at),
                    redeemed: latest.is_some_and(|s| s.redeemed_at.is_some()),
                    has_account: !accounts::users_of_owner(conn, id, o.id)?.is_empty(),
                    owner: o,
                });
            }
            Ok(rows)
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("rows", &rows);
    page.render(&state.tera, "codes.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

fn render_slips(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    slips: &[Slip],
) -> AppResult<HttpResponse> {
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("slips", slips);
    let mut res = page.render(&state.tera, "codes_print.html", ctx)?;
    // The codes are on this page only: keep it out of caches.
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn codes_issue(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::IssueCodes).await?;
    let slips = issue(&state, &c, user.user.id, None).await?;
    render_slips(&page, &state, &c, &slips)
}

pub async fn code_reissue(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let (slug, owner_id) = path.into_inner();
    let c = authorise(&state, user, &slug, Action::IssueCodes).await?;
    let slips = issue(&state, &c, user.user.id, Some(vec![owner_id])).await?;
    render_slips(&page, &state, &c, &slips)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IssueRequest {
    /// Reissue for these owners; when absent, issue for every owner with neither an account
    /// nor an unused code.
    pub owner_ids: Option<Vec<i64>>,
}

/// Issue or reissue invitation codes. The codes appear in this answer only.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/codes", tag = "accounts",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = IssueRequest,
    responses((status = 200, body = [Slip]), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_codes(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<IssueRequest>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::IssueCodes).await?;
    let slips = issue(&state, &c, user.0.user.id, body.into_inner().owner_ids).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(slips))
}

// ---- roles --------------------------------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct GrantRequest {
    /// The login of an existing account.
    pub login: String,
    /// `organiser` (administrators only), `scrutineer` or `building_lead`.
    pub role: String,
    /// For building leads: the building's name.
    pub building: Option<String>,
    /// For organisers: `preparation_group`, `owners_committee` or `community_staff`.
    pub body: Option<String>,
}

async fn grant(
    state: &AppState,
    actor: &CurrentUser,
    c: &Community,
    r: GrantRequest,
) -> AppResult<accounts::RoleGrant> {
    // Authorise before looking at the request, so that nobody learns anything from errors.
    actor.require(Action::AppointHelpers, c.id)?;
    let role = GrantedRole::parse(&r.role).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new("role", Msg::new("role-invalid"))])
    })?;
    if role == GrantedRole::Organiser {
        actor.require(Action::AppointOrganiser, c.id)?;
    }
    let body = match (role, r.body.as_deref().filter(|b| !b.is_empty())) {
        (GrantedRole::Organiser, Some(b)) => Some(
            OrganiserBody::parse(b)
                .ok_or_else(|| {
                    AppError::Validation(vec![FieldError::new(
                        "body",
                        Msg::new("role-body-invalid"),
                    )])
                })?
                .as_str(),
        ),
        (GrantedRole::Organiser, None) => Some(OrganiserBody::CommunityStaff.as_str()),
        _ => None,
    };
    let (community_id, actor_id) = (c.id, actor.user.id);
    let login = crate::domain::accounts::normalise_login(&r.login);
    let building = r
        .building
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty());
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let user = accounts::user_by_login(conn, &login)?
                    .ok_or_else(|| AppError::Validation(vec![FieldError::new("login", Msg::new("role-no-such-user"))]))?;
                let building_id = match role {
                    GrantedRole::BuildingLead => {
                        let name = building.as_deref().unwrap_or_default();
                        Some(
                            roster::buildings(conn, community_id)?
                                .into_iter()
                                .find(|b| b.name == name)
                                .ok_or_else(|| AppError::Validation(vec![FieldError::new("building", Msg::new("role-no-such-building"))]))?
                                .id,
                        )
                    }
                    _ => None,
                };
                let g = accounts::grant_role(conn, community_id, user.id, role, building_id, body, Some(actor_id))?;
                audit::append(
                    conn,
                    Some(community_id),
                    Some(actor_id),
                    "role.grant",
                    &serde_json::json!({}),
                    &serde_json::json!({ "login": user.login, "role": role.as_str(), "building_id": building_id, "body": body }),
                )?;
                Ok(g)
            })
        })
        .await
}

async fn revoke(
    state: &AppState,
    actor: &CurrentUser,
    c: &Community,
    grant_id: i64,
) -> AppResult<()> {
    actor.require(Action::AppointHelpers, c.id)?;
    let (community_id, actor_id) = (c.id, actor.user.id);
    let grants = actor.grants.clone();
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let current = accounts::community_grants(conn, community_id)?
                    .into_iter()
                    .find(|(g, _, _)| g.id == grant_id)
                    .ok_or(AppError::NotFound)?;
                let needed = if current.0.role == GrantedRole::Organiser.as_str() { Action::AppointOrganiser } else { Action::AppointHelpers };
                if !grants.allows(needed, community_id) {
                    return Err(AppError::Forbidden);
                }
                accounts::revoke_role(conn, community_id, grant_id)?.ok_or(AppError::NotFound)?;
                audit::append(
                    conn,
                    Some(community_id),
                    Some(actor_id),
                    "role.revoke",
                    &serde_json::json!({ "login": current.1, "role": current.0.role, "building_id": current.0.building_id }),
                    &serde_json::json!({}),
                )?;
                Ok(())
            })
        })
        .await
}

#[derive(Debug, Serialize)]
struct GrantRow {
    id: i64,
    login: String,
    display_name: String,
    role: String,
    building: Option<String>,
    body: Option<String>,
}

pub async fn users_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ViewUsers).await?;
    let can_appoint_organiser = user.grants.allows(Action::AppointOrganiser, c.id);
    let id = c.id;
    let (rows, buildings) = state
        .with_db(move |conn| {
            let buildings = roster::buildings(conn, id)?;
            let rows: Vec<GrantRow> = accounts::community_grants(conn, id)?
                .into_iter()
                .map(|(g, login, display_name)| GrantRow {
                    id: g.id,
                    login,
                    display_name,
                    building: g
                        .building_id
                        .and_then(|b| buildings.iter().find(|x| x.id == b).map(|x| x.name.clone())),
                    role: g.role,
                    body: g.body,
                })
                .collect();
            Ok((rows, buildings))
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("grants", &rows);
    ctx.insert("buildings", &buildings);
    ctx.insert("can_appoint_organiser", &can_appoint_organiser);
    page.render(&state.tera, "users.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    pub login: String,
    pub role: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub body: String,
    pub csrf: String,
}

pub async fn grant_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<GrantForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let c = super::roster::community_by_slug(&state, &slug).await?;
    let form = form.into_inner();
    grant(
        &state,
        user,
        &c,
        GrantRequest {
            login: form.login,
            role: form.role,
            building: Some(form.building),
            body: Some(form.body),
        },
    )
    .await?;
    let back = if user.grants.allows(Action::ViewUsers, c.id) {
        format!("/c/{}/users", c.slug)
    } else {
        "/admin".to_owned()
    };
    Ok(see_other(&back))
}

pub async fn revoke_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, grant_id) = path.into_inner();
    let c = super::roster::community_by_slug(&state, &slug).await?;
    revoke(&state, page.user()?, &c, grant_id).await?;
    Ok(see_other(&format!("/c/{}/users", c.slug)))
}

/// Appoint an organiser (administrators), a scrutineer or a building lead (organisers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/roles", tag = "accounts",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = GrantRequest,
    responses((status = 201), (status = 403, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_grant(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<GrantRequest>,
) -> AppResult<HttpResponse> {
    let c = super::roster::community_by_slug(&state, &slug).await?;
    let g = grant(&state, &user.0, &c, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(g))
}

/// Revoke a role.
#[utoipa::path(delete, path = "/api/v1/communities/{slug}/roles/{id}", tag = "accounts",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::shell::errors::Problem), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_revoke(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, grant_id) = path.into_inner();
    let c = super::roster::community_by_slug(&state, &slug).await?;
    revoke(&state, &user.0, &c, grant_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The community's roles.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/roles", tag = "accounts",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_roles(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewUsers).await?;
    let id = c.id;
    let rows = state
        .with_db(move |conn| Ok(accounts::community_grants(conn, id)?))
        .await?;
    let out: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|(g, login, name)| serde_json::json!({ "id": g.id, "login": login, "display_name": name, "role": g.role, "building_id": g.building_id, "body": g.body }))
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

// ---- audit --------------------------------------------------------------------------

pub async fn audit_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::ViewAudit).await?;
    let id = c.id;
    let entries = state
        .with_db(move |conn| Ok(audit::list(conn, id, 500)?))
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("entries", &entries);
    page.render(&state.tera, "audit.html", ctx)
}

/// The community's audit trail, newest first (append-only).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/audit", tag = "accounts",
    params(("slug" = String, Path)), security(("bearer" = [])),
    responses((status = 200), (status = 403, body = crate::shell::errors::Problem)))]
pub async fn api_audit(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::ViewAudit).await?;
    let id = c.id;
    let entries = state
        .with_db(move |conn| Ok(audit::list(conn, id, 500)?))
        .await?;
    Ok(HttpResponse::Ok().json(entries))
}
