//! The signed-in user's own page: their units and roles.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::db::communities::{self, Community};
use crate::db::roster::{self, UnitView};
use crate::error::AppResult;
use crate::shell::PageCtx;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub is_admin: bool,
    /// The community whose roster this account's owner is on.
    pub community: Option<Community>,
    #[schema(value_type = Vec<Object>)]
    pub units: Vec<UnitView>,
    /// (community slug, role) pairs.
    pub roles: Vec<RoleSummary>,
    /// True when the account belongs to a resident on the community's register.
    pub resident: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleSummary {
    pub community: String,
    pub community_name: String,
    pub role: String,
}

async fn me(state: &AppState, u: &CurrentUser) -> AppResult<Me> {
    let user = u.user.clone();
    let grants = u.grants.clone();
    state
        .with_db(move |conn| {
            let all = communities::list(conn)?;
            let community = user
                .community_id
                .and_then(|id| all.iter().find(|c| c.id == id).cloned());
            let units = match (user.community_id, user.owner_id) {
                (Some(c), Some(o)) => roster::units_of_owner(conn, c, o)?,
                _ => Vec::new(),
            };
            let mut roles = Vec::new();
            for c in &all {
                let mut push = |role: &str| {
                    roles.push(RoleSummary {
                        community: c.slug.clone(),
                        community_name: c.name.clone(),
                        role: role.to_owned(),
                    })
                };
                if grants.organiser_of.contains(&c.id) {
                    push("organiser");
                }
                if grants.scrutineer_of.contains(&c.id) {
                    push("scrutineer");
                }
                if grants.building_lead_of.iter().any(|(cid, _)| *cid == c.id) {
                    push("building_lead");
                }
            }
            Ok(Me {
                id: user.id,
                login: user.login,
                display_name: user.display_name,
                is_admin: user.is_admin,
                community,
                units,
                roles,
                resident: grants.resident.is_some(),
            })
        })
        .await
}

pub async fn me_page(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let m = me(&state, page.user()?).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("me", &m);
    page.render(&state.tera, "me.html", ctx)
}

/// The signed-in user: units held (alone or with co-owners) and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_me(user: Authed, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(me(&state, &user.0).await?))
}
