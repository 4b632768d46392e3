//! Static assets (`templates/static/`), served from the binary.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::TEMPLATES;
use crate::error::{AppError, AppResult};

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn serve_static(path: web::Path<String>) -> AppResult<HttpResponse> {
    let path = path.into_inner();
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return Err(AppError::NotFound);
    }
    let file = TEMPLATES
        .get_file(format!("static/{path}"))
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.contents()))
}
