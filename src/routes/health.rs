use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// Answers 200 when the database is reachable, 503 otherwise.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses(
        (status = 200, description = "The service and its database answer", body = Health),
        (status = 503, description = "The database is unreachable", body = crate::shell::errors::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn healthz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let database = state.db.clone();
    web::block(move || {
        let mut conn = database
            .conn_timeout(Duration::from_secs(3))
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        db::ping(&mut conn).map_err(|e| AppError::Unavailable(e.to_string()))
    })
    .await??;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ok",
            database: state.db.backend().name(),
        }))
}
