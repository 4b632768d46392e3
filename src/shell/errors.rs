//! Renders every error response: problem+json (RFC 9457) for the API, a readable page for
//! browsers, in the request's language. Causes of server errors are logged, never shown.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::PageCtx;
use crate::app::AppState;
use crate::error::AppError;
use crate::i18n::{self, Lang};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:yishiting:problem:<code>`
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub instance: String,
    /// Stable machine-readable code, e.g. `validation`, `not-found`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub message: String,
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        408 => "request-timeout",
        409 => "conflict",
        411 => "length-required",
        413 => "payload-too-large",
        414 => "uri-too-long",
        415 => "unsupported-media-type",
        422 => "validation",
        429 => "rate-limited",
        431 => "headers-too-large",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "bad-request",
    }
}

fn build_problem<B>(req: &HttpRequest, res: &HttpResponse<B>, lang: Lang) -> Problem {
    let status = res.status();
    let err = res.error();
    let app_err = err.and_then(|e| e.as_error::<AppError>());
    let code = app_err
        .map(AppError::code)
        .unwrap_or_else(|| code_for_status(status));
    let detail = match (app_err, err) {
        (Some(app), _) => app.detail().map(|m| m.render(lang)),
        // actix's own client errors (malformed JSON, bad query string…) say what was wrong.
        (None, Some(e)) if status.is_client_error() => Some(e.to_string()),
        (None, Some(e)) => {
            tracing::error!(error = %e, "unhandled server error");
            None
        }
        (None, None) => None,
    };
    let errors = app_err
        .map(|a| {
            a.field_errors()
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    line: f.line,
                    message: f.message.render(lang),
                })
                .collect()
        })
        .unwrap_or_default();
    Problem {
        type_uri: format!("urn:yishiting:problem:{code}"),
        title: lang.t(&format!("problem-{code}")),
        status: status.as_u16(),
        detail,
        instance: req.path().to_owned(),
        code: code.to_owned(),
        errors,
    }
}

/// Does this request want JSON rather than a page?
pub fn wants_json(req: &HttpRequest) -> bool {
    let path = req.path();
    if path.starts_with("/api/") || path == "/api" || path == "/healthz" {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (accept.contains("application/json") || accept.contains(PROBLEM_JSON))
        && !accept.contains("text/html")
}

/// The middleware: every 4xx and 5xx response that carries an error or has no body of its own
/// is replaced with a rendered problem.
pub fn error_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render_error)
}

fn render_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let has_own_body = !matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0) | actix_web::body::BodySize::None
    );
    if res.response().error().is_none() && has_own_body {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, res) = res.into_parts();
    let lang = i18n::negotiate(&req);
    let problem = build_problem(&req, &res, lang);
    let mut builder = HttpResponse::build(res.status());
    // Keep headers that matter (Allow, Retry-After, WWW-Authenticate, Set-Cookie…).
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let new: HttpResponse<BoxBody> = if wants_json(&req) {
        builder
            .content_type(PROBLEM_JSON)
            .body(serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_owned()))
    } else {
        builder
            .content_type("text/html; charset=utf-8")
            .body(error_page(&req, lang, &problem))
    };
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

fn error_page(req: &HttpRequest, lang: Lang, problem: &Problem) -> String {
    let mut page = PageCtx::anonymous(req);
    page.lang = lang;
    let rendered = req.app_data::<web::Data<AppState>>().and_then(|state| {
        let mut ctx = page.context();
        ctx.insert("problem", problem);
        state
            .tera
            .render("error.html", &ctx)
            .map_err(|e| tracing::error!(error = ?e, "error page failed to render"))
            .ok()
    });
    rendered.unwrap_or_else(|| {
        // Last resort: a plain page that needs no template.
        let title = tera::escape_html(&problem.title);
        format!(
            "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>{title}</title><h1>{} {title}</h1><p><a href=\"/\">/</a></p></html>",
            lang.tag(),
            problem.status
        )
    })
}
