//! Thin handlers: parse, authorise, call the domain and the data layer, render.

pub mod api;
pub mod health;
pub mod pages;

use actix_web::web;

use crate::error::AppError;
use crate::shell::assets;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `web::resource` answers 405 with `Allow` for a known path and the wrong method.
    cfg.service(web::resource("/").get(pages::home))
        .service(web::resource("/rules").get(pages::rules))
        .service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/static/{path:.*}").get(assets::serve_static))
        .service(
            web::scope("/api/v1")
                .service(web::resource("").get(api::index))
                .service(web::resource("/openapi.json").get(api::openapi))
                .service(web::resource("/communities").get(api::list_communities)),
        );
}

/// Anything no route matched.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
