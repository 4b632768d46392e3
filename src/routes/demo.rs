//! Only on a demo server (`--demo`): the administrator moves the server's clock forward, so a
//! script can walk a re-election's notice, publication and objection periods in a minute.
//! On any other server the route does not exist (404).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Authed;
use crate::error::{AppError, AppResult, FieldError, Msg};

/// The most one request may move the clock: a year and a bit.
const MAX_ADVANCE_SECS: i64 = 400 * 86_400;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClockRequest {
    /// Seconds to move the clock forward (0 reads it).
    pub advance_seconds: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClockResponse {
    /// The server's time after the move, Unix seconds.
    pub now: i64,
}

/// Move a demo server's clock forward (administrators; only with `--demo`, else 404).
#[utoipa::path(post, path = "/api/v1/demo/clock", tag = "service", security(("bearer" = [])),
    request_body = ClockRequest,
    responses((status = 200, body = ClockResponse), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_clock(
    user: Authed,
    state: web::Data<AppState>,
    body: web::Json<ClockRequest>,
) -> AppResult<HttpResponse> {
    if !state.settings.demo {
        return Err(AppError::NotFound);
    }
    if !user.0.user.is_admin {
        return Err(AppError::Forbidden);
    }
    if !(0..=MAX_ADVANCE_SECS).contains(&body.advance_seconds) {
        return Err(AppError::Validation(vec![FieldError::new(
            "advance_seconds",
            Msg::new("demo-error-advance"),
        )]));
    }
    state.settings.clock.advance(body.advance_seconds);
    Ok(HttpResponse::Ok().json(ClockResponse {
        now: state.ledger.clock.now(),
    }))
}
