//! Who is asking: sessions (signed JWTs backed by a session row), CSRF tokens for forms,
//! and rate limits on logins and code redemption.
//!
//! Browsers carry the token in an HttpOnly, SameSite=Lax cookie; the API takes it only as a
//! bearer token, so that no cookie can act on the API and the API needs no CSRF token.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::app::AppState;
use crate::crypto::passwords;
use crate::crypto::tokens::{self, Claims};
use crate::db::accounts::{self, User};
use crate::domain::roles::{Action, Grants};
use crate::error::{AppError, AppResult, Msg};

pub const SESSION_COOKIE: &str = "yst_session";
pub const CSRF_COOKIE: &str = "yst_csrf";
pub const SESSION_HOURS: i64 = 12;

/// A signed-in user, with everything they may do.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub grants: Grants,
    pub session_id: String,
}

impl CurrentUser {
    /// Forbidden unless the user may do `action` in `community`.
    pub fn require(&self, action: Action, community: i64) -> AppResult<()> {
        if self.grants.allows(action, community) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

fn presented_token(req: &HttpRequest) -> Option<String> {
    if is_api(req) {
        req.headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
    } else {
        req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
    }
}

#[derive(Clone)]
struct Resolved(Option<CurrentUser>);

/// The signed-in user of this request, if any (looked up once per request).
pub async fn current_user(req: &HttpRequest) -> AppResult<Option<CurrentUser>> {
    if let Some(Resolved(found)) = req.extensions().get::<Resolved>() {
        return Ok(found.clone());
    }
    let state = app_state(req)?;
    let claims = presented_token(req)
        .and_then(|t| tokens::verify_jwt(state.settings.secret_key.expose(), &t));
    let found = match claims {
        None => None,
        Some(Claims { sub, sid, .. }) => {
            let user_id: i64 = sub.parse().map_err(|_| AppError::Unauthorized)?;
            state
                .with_db(move |conn| {
                    if !accounts::session_live(conn, &sid, user_id)? {
                        return Ok(None);
                    }
                    let Some(user) = accounts::user_by_id(conn, user_id)? else {
                        return Ok(None);
                    };
                    let grants = accounts::grants_of(conn, &user)?;
                    Ok(Some(CurrentUser {
                        user,
                        grants,
                        session_id: sid,
                    }))
                })
                .await?
        }
    };
    req.extensions_mut().insert(Resolved(found.clone()));
    Ok(found)
}

pub fn app_state(req: &HttpRequest) -> AppResult<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))
}

/// Extractor: the signed-in user or none.
pub struct MaybeUser(pub Option<CurrentUser>);

/// Extractor: the signed-in user; 401 otherwise.
pub struct Authed(pub CurrentUser);

type BoxFut<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

impl FromRequest for MaybeUser {
    type Error = actix_web::Error;
    type Future = BoxFut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(current_user(&req).await?)) })
    }
}

impl FromRequest for Authed {
    type Error = actix_web::Error;
    type Future = BoxFut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current_user(&req).await? {
                Some(u) => Ok(Authed(u)),
                None => Err(AppError::Unauthorized.into()),
            }
        })
    }
}

// ---- logging in ---------------------------------------------------------------------

/// Check a login and password and open a session; returns the user and a signed token.
/// Rate-limited per account and per address; every failure looks the same to the client.
pub async fn log_in(req: &HttpRequest, login: &str, password: &str) -> AppResult<(User, String)> {
    let state = app_state(req)?;
    let login = crate::domain::accounts::normalise_login(login);
    state.limits.check_login(&login, &client_addr(req))?;
    let password = password.to_owned();
    let user = state
        .with_db(move |conn| {
            let user = accounts::user_by_login(conn, &login)?;
            let hash = user
                .as_ref()
                .map(|u| u.password_hash.clone())
                .unwrap_or_else(|| passwords::dummy_hash().to_owned());
            let ok = passwords::verify_password(&password, &hash);
            Ok(user.filter(|_| ok))
        })
        .await?
        .ok_or(AppError::BadRequest(Msg::new("login-failed")))?;
    let token = open_session(&state, user.id).await?;
    Ok((user, token))
}

/// Open a session for a user and sign its token.
pub async fn open_session(state: &AppState, user_id: i64) -> AppResult<String> {
    let sid = crate::crypto::random_hex(16).map_err(AppError::internal)?;
    let now = Utc::now();
    let expires = now + Duration::hours(SESSION_HOURS);
    let sid_db = sid.clone();
    state
        .with_db(move |conn| {
            Ok(accounts::create_session(
                conn,
                &sid_db,
                user_id,
                expires.naive_utc(),
            )?)
        })
        .await?;
    tokens::issue_jwt(
        state.settings.secret_key.expose(),
        &Claims {
            sub: user_id.to_string(),
            sid,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        },
    )
    .map_err(AppError::internal)
}

pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::hours(SESSION_HOURS))
        .finish()
}

pub fn clear_session_cookie() -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    c.make_removal();
    c
}

/// The client's address as the connection shows it (a proxy's X-Forwarded-For is not trusted).
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

// ---- CSRF ---------------------------------------------------------------------------

/// A CSRF cookie made during this request, to be set on its response.
#[derive(Clone)]
pub struct NewCsrfCookie(pub String);

/// The CSRF token for this browser's forms; makes the browser's CSRF cookie if it has none.
pub fn csrf_for(req: &HttpRequest, secret: &[u8]) -> String {
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 32)
        .or_else(|| req.extensions().get::<NewCsrfCookie>().map(|c| c.0.clone()));
    let value = match existing {
        Some(v) => v,
        None => {
            let v = crate::crypto::random_hex(16).unwrap_or_default();
            req.extensions_mut().insert(NewCsrfCookie(v.clone()));
            v
        }
    };
    tokens::csrf_token(secret, &value)
}

pub fn csrf_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

/// Reject a form whose CSRF token does not match this browser's cookie.
pub fn check_csrf(req: &HttpRequest, submitted: &str) -> AppResult<()> {
    let state = app_state(req)?;
    let ok = req.cookie(CSRF_COOKIE).is_some_and(|c| {
        tokens::csrf_valid(state.settings.secret_key.expose(), c.value(), submitted)
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(Msg::new("csrf-failed")))
    }
}

// ---- rate limits --------------------------------------------------------------------

type Limiter = DefaultKeyedRateLimiter<String>;

/// Named rate-limit buckets, per process.
pub struct Limits {
    login_account: Limiter,
    login_addr: Limiter,
    redeem_addr: Limiter,
}

const fn per_minute(n: u32) -> Quota {
    match NonZeroU32::new(n) {
        Some(n) => Quota::per_minute(n),
        None => panic!("a quota must be positive"),
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // Five tries a minute for one account, thirty for one address.
            login_account: RateLimiter::keyed(per_minute(5)),
            login_addr: RateLimiter::keyed(per_minute(30)),
            // Codes have ~59 bits; ten tries a minute per address is ample for typos.
            redeem_addr: RateLimiter::keyed(per_minute(10)),
        }
    }
}

impl Limits {
    /// For a demo server (`--demo`) driven by a script: generous enough for hundreds of
    /// sign-ins from one address in a minute.
    pub fn demo() -> Self {
        Self {
            login_account: RateLimiter::keyed(per_minute(600)),
            login_addr: RateLimiter::keyed(per_minute(100_000)),
            redeem_addr: RateLimiter::keyed(per_minute(100_000)),
        }
    }
}

fn check(limiter: &Limiter, key: String) -> AppResult<()> {
    if limiter.len() > 100_000 {
        limiter.retain_recent();
    }
    limiter.check_key(&key).map_err(|_| AppError::RateLimited)
}

impl Limits {
    pub fn check_login(&self, login: &str, addr: &str) -> AppResult<()> {
        check(&self.login_addr, addr.to_owned())?;
        check(&self.login_account, login.to_lowercase())
    }
    pub fn check_redeem(&self, addr: &str) -> AppResult<()> {
        check(&self.redeem_addr, addr.to_owned())
    }
}
