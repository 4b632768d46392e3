//! One error type for the whole service.
//!
//! A handler returns [`AppError`]; the error middleware in [`crate::web::errors`] renders it
//! as problem+json (RFC 9457) on the API and as a readable page in the browser, in the
//! request's language. Internal causes are logged, never sent to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::i18n::Lang;

/// A message to be shown to the user: a Fluent id and its arguments, localised at render time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            args: Vec::new(),
        }
    }
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
    pub fn render(&self, lang: Lang) -> String {
        lang.t_args(self.id, &self.args)
    }
}

/// One problem with one input field, or with one line and column of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name, or the column of an uploaded file.
    pub field: String,
    /// The line of an uploaded file (1 is the header).
    pub line: Option<u64>,
    pub message: Msg,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: Msg) -> Self {
        Self {
            field: field.into(),
            line: None,
            message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {}", .0.id)]
    BadRequest(Msg),
    #[error("invalid input ({} problems)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("login required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict: {}", .0.id)]
    Conflict(Msg),
    #[error("too many requests")]
    RateLimited,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    /// A stable machine-readable code, also used in the problem `type` URI.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not-found",
            AppError::BadRequest(_) => "bad-request",
            AppError::Validation(_) => "validation",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::RateLimited => "rate-limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the client may be told beyond the title.
    pub fn detail(&self) -> Option<&Msg> {
        match self {
            AppError::BadRequest(m) | AppError::Conflict(m) => Some(m),
            _ => None,
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Validation(errors) => errors,
            _ => &[],
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body is written by the error middleware, which knows the request's language
    /// and whether it came from the API or a browser.
    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error")
            }
            AppError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            _ => {}
        }
        HttpResponse::new(self.status_code())
    }
}

/// Field-named problems from the domain's validation: 422 with every problem listed.
impl From<Vec<crate::domain::ballot::Invalid>> for AppError {
    fn from(problems: Vec<crate::domain::ballot::Invalid>) -> Self {
        AppError::Validation(
            problems
                .into_iter()
                .map(|p| FieldError::new(p.field, Msg::new(p.message)))
                .collect(),
        )
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Pool(e) => AppError::Unavailable(e.to_string()),
            crate::db::DbError::Connection(e) => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("template rendering failed"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        crate::db::DbError::from(e).into()
    }
}
