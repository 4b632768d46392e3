//! Public pages.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::communities;
use crate::error::AppResult;
use crate::shell::PageCtx;

/// The front door: what the service is, who it is for, where to go next.
pub async fn home(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = state.with_db(|conn| Ok(communities::list(conn)?)).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("communities", &list);
    page.render(&state.tera, "home.html", ctx)
}

/// The counting rules, quoting the law.
pub async fn rules(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    page.render(&state.tera, "rules.html", tera::Context::new())
}
