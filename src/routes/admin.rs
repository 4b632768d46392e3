//! Administrators: communities and their organisers.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::auth::see_other;
use crate::app::AppState;
use crate::auth::{self, Authed, CurrentUser};
use crate::db::communities::{self, Community, NewCommunity};
use crate::db::{self, audit};
use crate::domain::community::{validate_slug, SlugError};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CommunityRequest {
    /// Short name for addresses: lowercase letters, digits and hyphens, e.g. `sanyijing`.
    pub slug: String,
    /// Chinese name, e.g. 三义井社区.
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub district: String,
}

pub async fn create_community(
    state: &AppState,
    actor: &CurrentUser,
    r: CommunityRequest,
) -> AppResult<Community> {
    if !actor.grants.allows(Action::CreateCommunity, 0) {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let slug = r.slug.trim().to_owned();
    if let Err(e) = validate_slug(&slug) {
        let id = match e {
            SlugError::Empty => "community-slug-empty",
            SlugError::TooLong => "community-slug-long",
            SlugError::BadCharacter | SlugError::BadEdge => "community-slug-invalid",
        };
        errors.push(FieldError::new("slug", Msg::new(id)));
    }
    let name = r.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", Msg::new("community-name-invalid")));
    }
    if r.name_en.chars().count() > 100 || r.district.chars().count() > 200 {
        errors.push(FieldError::new("district", Msg::new("field-too-long")));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let actor_id = actor.user.id;
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let c = communities::insert(
                    conn,
                    &NewCommunity {
                        slug: &slug,
                        name: &name,
                        name_en: r.name_en.trim(),
                        district: r.district.trim(),
                        created_at: Utc::now().naive_utc(),
                    },
                )
                .map_err(|e| {
                    if e.is_unique_violation() {
                        AppError::Conflict(Msg::new("community-slug-taken"))
                    } else {
                        e.into()
                    }
                })?;
                audit::append(
                    conn,
                    Some(c.id),
                    Some(actor_id),
                    "community.create",
                    &serde_json::json!({}),
                    &serde_json::json!({ "slug": c.slug, "name": c.name }),
                )?;
                Ok(c)
            })
        })
        .await
}

pub async fn admin_page(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let user = page.user()?;
    if !user.grants.allows(Action::CreateCommunity, 0) {
        return Err(AppError::Forbidden);
    }
    let list = state.with_db(|conn| Ok(communities::list(conn)?)).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("communities", &list);
    page.render(&state.tera, "admin.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct CommunityForm {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub district: String,
    pub csrf: String,
}

pub async fn community_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    form: web::Form<CommunityForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let form = form.into_inner();
    create_community(
        &state,
        page.user()?,
        CommunityRequest {
            slug: form.slug,
            name: form.name,
            name_en: form.name_en,
            district: form.district,
        },
    )
    .await?;
    Ok(see_other("/admin"))
}

/// Create a community (administrators).
#[utoipa::path(post, path = "/api/v1/communities", tag = "communities", security(("bearer" = [])),
    request_body = CommunityRequest,
    responses((status = 201, body = Community), (status = 403, body = crate::shell::errors::Problem), (status = 409, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_create_community(
    user: Authed,
    state: web::Data<AppState>,
    body: web::Json<CommunityRequest>,
) -> AppResult<HttpResponse> {
    let c = create_community(&state, &user.0, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(c))
}
