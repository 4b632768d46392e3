//! Logging in and out, redeeming invitation codes, and creating the first administrator.
//! Each page action has an API twin.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{self, Authed};
use crate::crypto::{passwords, tokens};
use crate::db::{self, accounts, audit, resident_codes};
use crate::domain::accounts::{check_new_account, normalise_login, safe_next};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn field_errors(problems: Vec<crate::domain::accounts::FieldProblem>) -> AppError {
    AppError::Validation(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field, Msg::new(p.message_id)))
            .collect(),
    )
}

// ---- login --------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    pub csrf: String,
    #[serde(default)]
    pub next: String,
}

pub async fn login_page(
    page: PageCtx,
    state: web::Data<AppState>,
    q: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let mut ctx = tera::Context::new();
    ctx.insert(
        "next",
        q.next.as_deref().and_then(safe_next).unwrap_or("/me"),
    );
    page.render(&state.tera, "login.html", ctx)
}

pub async fn login_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let next = safe_next(&form.next).unwrap_or("/me").to_owned();
    match auth::log_in(&req, &form.login, &form.password).await {
        Ok((_, token)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(auth::session_cookie(&token, state.settings.secure_cookies))
            .finish()),
        Err(AppError::BadRequest(msg)) => {
            let mut ctx = tera::Context::new();
            ctx.insert("next", &next);
            ctx.insert("login", form.login.trim());
            ctx.insert("error", &msg.render(page.lang));
            page.render_status(&state.tera, "login.html", ctx, StatusCode::UNAUTHORIZED)
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfOnly>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    if let Some(u) = auth::current_user(&req).await? {
        let sid = u.session_id.clone();
        state
            .with_db(move |conn| Ok(accounts::revoke_session(conn, &sid)?))
            .await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(auth::clear_session_cookie())
        .finish())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_in_seconds: i64,
    pub user_id: i64,
    pub display_name: String,
}

/// Exchange a login and password for a bearer token. Rate-limited per account and address.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "accounts", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::shell::errors::Problem), (status = 429, body = crate::shell::errors::Problem)))]
pub async fn api_token(req: HttpRequest, body: web::Json<TokenRequest>) -> AppResult<HttpResponse> {
    let (user, token) = auth::log_in(&req, &body.login, &body.password)
        .await
        .map_err(|e| match e {
            AppError::BadRequest(_) => AppError::Unauthorized,
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token,
        expires_in_seconds: auth::SESSION_HOURS * 3600,
        user_id: user.id,
        display_name: user.display_name,
    }))
}

/// End the session of the presented bearer token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    responses((status = 204), (status = 401, body = crate::shell::errors::Problem)))]
pub async fn api_logout(state: web::Data<AppState>, user: Authed) -> AppResult<HttpResponse> {
    let sid = user.0.session_id;
    state
        .with_db(move |conn| Ok(accounts::revoke_session(conn, &sid)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- redeeming an invitation code ---------------------------------------------------

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RedeemRequest {
    /// The code on the printed slip, e.g. `K7MQ-3XTA-9HWE` (spaces and case do not matter).
    pub code: String,
    pub login: String,
    pub display_name: String,
    pub password: String,
}

/// Whose code was typed: an owner's (invitation code) or a resident's.
enum Claim {
    Owner(accounts::InvitationCode),
    Resident(resident_codes::ResidentCode),
}

/// Create the account an invitation code is for (an owner's or a resident's); returns the new
/// user.
async fn redeem(req: &HttpRequest, r: RedeemRequest) -> AppResult<accounts::User> {
    let state = auth::app_state(req)?;
    state.limits.check_redeem(&auth::client_addr(req))?;
    let problems = check_new_account(&r.login, &r.display_name, &r.password);
    if !problems.is_empty() {
        return Err(field_errors(problems));
    }
    let code_hash = tokens::sha256_hex(&tokens::normalise_code(&r.code));
    let login = normalise_login(&r.login);
    let display_name = r.display_name.trim().to_owned();
    let password = r.password;
    state
        .with_db(move |conn| {
            let hash = passwords::hash_password(&password).map_err(AppError::internal)?;
            db::write_tx(conn, |conn| {
                // An owner's code or a resident's code: the account belongs to that record.
                let claim = match accounts::active_code(conn, &code_hash)? {
                    Some(code) => Claim::Owner(code),
                    None => Claim::Resident(
                        resident_codes::active(conn, &code_hash)?
                            .ok_or(AppError::BadRequest(Msg::new("redeem-code-invalid")))?,
                    ),
                };
                // A reissued code for someone who already has an account resets that account
                // (its old sessions were ended when the code was reissued).
                let (community_id, existing) = match &claim {
                    Claim::Owner(code) => (
                        code.community_id,
                        accounts::users_of_owner(conn, code.community_id, code.owner_id)?
                            .into_iter()
                            .next(),
                    ),
                    Claim::Resident(code) => (
                        code.community_id,
                        resident_codes::user_of_resident(
                            conn,
                            code.community_id,
                            &code.resident_ref,
                        )?,
                    ),
                };
                if accounts::user_by_login(conn, &login)?
                    .is_some_and(|u| existing.as_ref().is_none_or(|e| e.id != u.id))
                {
                    return Err(AppError::Validation(vec![FieldError::new(
                        "login",
                        Msg::new("account-login-taken"),
                    )]));
                }
                let created = match existing {
                    Some(e) => accounts::reset_user(conn, e.id, &login, &display_name, &hash),
                    None => accounts::insert_user(
                        conn,
                        &accounts::NewUser {
                            login: &login,
                            display_name: &display_name,
                            password_hash: &hash,
                            is_admin: false,
                            community_id: Some(community_id),
                            owner_id: match &claim {
                                Claim::Owner(code) => Some(code.owner_id),
                                Claim::Resident(_) => None,
                            },
                            lang: None,
                            created_at: Utc::now().naive_utc(),
                            resident_ref: match &claim {
                                Claim::Owner(_) => None,
                                Claim::Resident(code) => Some(code.resident_ref.as_str()),
                            },
                        },
                    ),
                };
                let user = created.map_err(|e| {
                    if e.is_unique_violation() {
                        AppError::Conflict(Msg::new("account-login-taken"))
                    } else {
                        e.into()
                    }
                })?;
                let (used, before) = match &claim {
                    Claim::Owner(code) => (
                        accounts::redeem_code(conn, code.id, user.id)?,
                        serde_json::json!({ "owner_id": code.owner_id }),
                    ),
                    Claim::Resident(code) => (
                        resident_codes::redeem(conn, code.id, user.id)?,
                        serde_json::json!({ "resident_ref": code.resident_ref }),
                    ),
                };
                if !used {
                    return Err(AppError::BadRequest(Msg::new("redeem-code-invalid")));
                }
                audit::append(
                    conn,
                    Some(community_id),
                    Some(user.id),
                    "code.redeem",
                    &before,
                    &serde_json::json!({ "user_id": user.id, "login": user.login }),
                )?;
                Ok(user)
            })
        })
        .await
}

pub async fn redeem_page(page: PageCtx, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    page.render(&state.tera, "redeem.html", tera::Context::new())
}

#[derive(Debug, Deserialize)]
pub struct RedeemForm {
    pub code: String,
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub password_confirm: String,
    pub csrf: String,
}

pub async fn redeem_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    form: web::Form<RedeemForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let form = form.into_inner();
    let result = if form.password != form.password_confirm {
        Err(AppError::Validation(vec![FieldError::new(
            "password_confirm",
            Msg::new("account-password-mismatch"),
        )]))
    } else {
        redeem(
            &req,
            RedeemRequest {
                code: form.code.clone(),
                login: form.login.clone(),
                display_name: form.display_name.clone(),
                password: form.password.clone(),
            },
        )
        .await
    };
    match result {
        Ok(user) => {
            let token = auth::open_session(&state, user.id).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/me"))
                .cookie(auth::session_cookie(&token, state.settings.secure_cookies))
                .finish())
        }
        Err(e @ (AppError::Validation(_) | AppError::BadRequest(_) | AppError::Conflict(_))) => {
            // Show the form again with what was typed (never the passwords) and the problems.
            let mut ctx = tera::Context::new();
            ctx.insert("code", form.code.trim());
            ctx.insert("login", form.login.trim());
            ctx.insert("display_name", form.display_name.trim());
            let mut errors: Vec<String> = e
                .field_errors()
                .iter()
                .map(|f| f.message.render(page.lang))
                .collect();
            if let Some(d) = e.detail() {
                errors.push(d.render(page.lang));
            }
            ctx.insert("errors", &errors);
            page.render_status(
                &state.tera,
                "redeem.html",
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e),
    }
}

/// Redeem an invitation code: creates the owner's account and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/redeem", tag = "accounts", request_body = RedeemRequest,
    responses((status = 201, body = TokenResponse), (status = 400, body = crate::shell::errors::Problem), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_redeem(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RedeemRequest>,
) -> AppResult<HttpResponse> {
    let user = redeem(&req, body.into_inner()).await?;
    let token = auth::open_session(&state, user.id).await?;
    Ok(HttpResponse::Created().json(TokenResponse {
        token,
        expires_in_seconds: auth::SESSION_HOURS * 3600,
        user_id: user.id,
        display_name: user.display_name,
    }))
}

// ---- the first administrator --------------------------------------------------------

/// Make a one-time setup link if no account exists yet; returns the token to print.
pub fn ensure_setup_token(conn: &mut db::DbConn) -> anyhow::Result<Option<String>> {
    if accounts::count_users(conn)? > 0 {
        return Ok(None);
    }
    let token = crate::crypto::random_hex(24)?;
    accounts::create_setup_token(conn, &tokens::sha256_hex(&token))?;
    Ok(Some(token))
}

pub async fn setup_page(
    page: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let hash = tokens::sha256_hex(&token);
    let valid = state
        .with_db(move |conn| {
            Ok(accounts::count_users(conn)? == 0 && accounts::setup_token_valid(conn, &hash)?)
        })
        .await?;
    if !valid {
        return Err(AppError::NotFound);
    }
    let mut ctx = tera::Context::new();
    ctx.insert("token", token.as_str());
    page.render(&state.tera, "setup.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub csrf: String,
}

pub async fn setup_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let form = form.into_inner();
    let problems = check_new_account(&form.login, &form.display_name, &form.password);
    if !problems.is_empty() {
        return Err(field_errors(problems));
    }
    let hash = tokens::sha256_hex(&token);
    let login = normalise_login(&form.login);
    let user = state
        .with_db(move |conn| {
            let pw = passwords::hash_password(&form.password).map_err(AppError::internal)?;
            db::write_tx(conn, |conn| {
                if accounts::count_users(conn)? > 0 || !accounts::consume_setup_token(conn, &hash)?
                {
                    return Err(AppError::NotFound);
                }
                let user = accounts::insert_user(
                    conn,
                    &accounts::NewUser {
                        login: &login,
                        display_name: form.display_name.trim(),
                        password_hash: &pw,
                        is_admin: true,
                        community_id: None,
                        owner_id: None,
                        lang: None,
                        created_at: Utc::now().naive_utc(),
                        resident_ref: None,
                    },
                )?;
                audit::append(
                    conn,
                    None,
                    Some(user.id),
                    "admin.setup",
                    &serde_json::json!({}),
                    &serde_json::json!({ "user_id": user.id, "login": user.login }),
                )?;
                Ok(user)
            })
        })
        .await?;
    let session = auth::open_session(&state, user.id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .cookie(auth::session_cookie(
            &session,
            state.settings.secure_cookies,
        ))
        .finish())
}
