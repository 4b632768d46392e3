//! Elections' pages: the community's elections and one election as its members see it (the
//! step it has reached, the announcement with its timetable in Asia/Shanghai, the preparation
//! group, candidates with their reviews, objections with their answers, and the public event
//! log). The forms of each step follow the API ([`super::elections_api`]).

use actix_web::{web, HttpResponse};

use super::roster::authorise;
use crate::app::AppState;
use crate::db::elections as db_elections;
use crate::domain::roles::Action;
use crate::elections as service;
use crate::error::AppResult;
use crate::shell::PageCtx;

pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::Participate).await?;
    let id = c.id;
    let rows = state
        .with_db(move |conn| Ok(db_elections::list(conn, id)?))
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("elections", &rows);
    page.render(&state.tera, "elections.html", ctx)
}

pub async fn election_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, page.user()?, &slug, Action::Participate).await?;
    let ledger = state.ledger.clone();
    let now = ledger.clock.now();
    let c2 = c.clone();
    let v = state
        .with_db(move |conn| service::view(conn, &ledger, &c2, id, now))
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("e", &v);
    page.render(&state.tera, "election.html", ctx)
}
