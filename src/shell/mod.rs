//! The page shell: templates compiled into the binary, the request's language,
//! security headers, static assets and error pages.

pub mod assets;
pub mod chart;
pub mod errors;
pub mod headers;
pub mod markdown;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use include_dir::{include_dir, Dir, DirEntry};
use tera::{Tera, Value};

use serde::Serialize;

use crate::auth::{self, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::i18n::{self, Lang};

/// `templates/`: Tera pages, Fluent translations (`locales/`) and static assets (`static/`).
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Build the template engine from the embedded templates.
pub fn load_tera() -> anyhow::Result<Tera> {
    let mut files = Vec::new();
    collect_templates(&TEMPLATES, &mut files);
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates(files)?;
    tera.register_function("t", translate);
    tera.register_filter("area", area_filter);
    tera.register_filter("shanghai", shanghai_filter);
    Ok(tera)
}

/// Tera filter `shanghai`: Unix seconds as a date and time in Asia/Shanghai.
fn shanghai_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let secs = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("shanghai expects Unix seconds"))?;
    Ok(Value::String(crate::clock::format_shanghai(secs)))
}

/// Tera filter `area`: hundredths of m² (an integer) as `89.50`, with no floating point.
fn area_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let centi = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("area expects an integer number of hundredths of m²"))?;
    Ok(Value::String(crate::domain::area::format_area(centi)))
}

fn collect_templates(dir: &'static Dir<'static>, out: &mut Vec<(String, String)>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => {
                let name = d.path().to_string_lossy();
                if name != "static" && name != "locales" {
                    collect_templates(d, out);
                }
            }
            DirEntry::File(f) => {
                let path = f.path().to_string_lossy().into_owned();
                if path.ends_with(".html") {
                    if let Some(text) = f.contents_utf8() {
                        out.push((path, text.to_owned()));
                    }
                }
            }
        }
    }
}

/// Tera function `t(key="…", lang=lang, name=value…)`: a Fluent message in the page's language;
/// every other argument is passed to Fluent. The result is escaped like any other value.
fn translate(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let key = args
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg("t() needs key=\"…\""))?;
    let lang = args
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    let fluent_args: Vec<(&str, String)> = args
        .iter()
        .filter(|(k, _)| *k != "key" && *k != "lang")
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.as_str(), s)
        })
        .collect();
    Ok(Value::String(lang.t_args(key, &fluent_args)))
}

/// What every page knows about its request: the language, the path (for the language
/// switch), the signed-in user and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub path: String,
    pub user: Option<CurrentUser>,
    pub csrf: String,
    /// The signed-in user's unread notifications (the header's badge).
    pub unread: i64,
}

impl FromRequest for PageCtx {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let mut user = auth::current_user(&req).await?;
            let state = auth::app_state(&req)?;
            let chosen = i18n::query_lang(req.query_string());
            // A signed-in user's choice of language is kept with the account, so that it
            // follows them to every device.
            if let (Some(lang), Some(u)) = (chosen, user.as_mut()) {
                if u.user.lang.as_deref() != Some(lang.tag()) {
                    let id = u.user.id;
                    state
                        .with_db(move |conn| {
                            Ok(crate::db::accounts::set_lang(conn, id, lang.tag())?)
                        })
                        .await?;
                    u.user.lang = Some(lang.tag().to_owned());
                }
            }
            // One COUNT on the inbox index, for the header's badge.
            let unread = match user.as_ref() {
                Some(u) => {
                    let id = u.user.id;
                    state
                        .with_db(move |conn| Ok(crate::db::notifications::unread_count(conn, id)?))
                        .await?
                }
                None => 0,
            };
            Ok(PageCtx {
                unread,
                lang: chosen
                    .or_else(|| {
                        user.as_ref()
                            .and_then(|u| u.user.lang.as_deref())
                            .and_then(Lang::from_tag)
                    })
                    .unwrap_or_else(|| i18n::negotiate(&req)),
                path: req.path().to_owned(),
                csrf: auth::csrf_for(&req, state.settings.secret_key.expose()),
                user,
            })
        })
    }
}

#[derive(Serialize)]
struct UserSummary<'a> {
    login: &'a str,
    display_name: &'a str,
    is_admin: bool,
    is_owner: bool,
    unread: i64,
}

impl PageCtx {
    /// A page context without a user, for error pages.
    pub fn anonymous(req: &HttpRequest) -> Self {
        PageCtx {
            lang: i18n::negotiate(req),
            path: req.path().to_owned(),
            user: None,
            csrf: String::new(),
            unread: 0,
        }
    }

    /// The signed-in user, or 401.
    pub fn user(&self) -> AppResult<&CurrentUser> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The shell's variables: `lang`, `other_lang`, `other_lang_name`, `path`, `csrf`, `user`.
    pub fn context(&self) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("lang", self.lang.tag());
        ctx.insert("other_lang", self.lang.other().tag());
        ctx.insert("other_lang_name", self.lang.other().native_name());
        ctx.insert("path", &self.path);
        ctx.insert("csrf", &self.csrf);
        if let Some(u) = &self.user {
            ctx.insert(
                "user",
                &UserSummary {
                    login: &u.user.login,
                    display_name: &u.user.display_name,
                    is_admin: u.user.is_admin,
                    is_owner: u.user.owner_id.is_some(),
                    unread: self.unread,
                },
            );
        }
        ctx
    }

    pub fn render(
        &self,
        tera: &Tera,
        template: &str,
        extra: tera::Context,
    ) -> AppResult<HttpResponse> {
        self.render_status(tera, template, extra, actix_web::http::StatusCode::OK)
    }

    /// A form page with its problems (`errors` in the template, each `{field, message}` in the
    /// page's language): 200 when there are none, 422 when it is shown again with them.
    pub fn render_form(
        &self,
        tera: &Tera,
        template: &str,
        mut extra: tera::Context,
        errors: &[crate::error::FieldError],
    ) -> AppResult<HttpResponse> {
        let list: Vec<serde_json::Value> = errors
            .iter()
            .map(
                |e| serde_json::json!({ "field": e.field, "message": e.message.render(self.lang) }),
            )
            .collect();
        extra.insert("errors", &list);
        let status = if errors.is_empty() {
            actix_web::http::StatusCode::OK
        } else {
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
        };
        self.render_status(tera, template, extra, status)
    }

    /// A page answered with another status than 200, e.g. a form shown again with its problems.
    pub fn render_status(
        &self,
        tera: &Tera,
        template: &str,
        extra: tera::Context,
        status: actix_web::http::StatusCode,
    ) -> AppResult<HttpResponse> {
        let mut ctx = self.context();
        ctx.extend(extra);
        let html = tera.render(template, &ctx)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html))
    }
}

/// The cookie that remembers a language chosen with `?lang=`.
pub fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(i18n::LANG_COOKIE, lang.tag())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}
