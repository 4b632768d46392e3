//! Codes for residents on the register (居民): issue, print, reissue. A resident redeems the
//! code on the same page as an owner and gets an account that may take part in the forum and
//! file building reports (but not vote in owners' ballots).

use std::collections::BTreeSet;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::residents::current_year;
use super::roster::authorise;
use crate::app::AppState;
use crate::auth::{self, Authed};
use crate::crypto::tokens;
use crate::db::communities::Community;
use crate::db::{self, accounts, audit, resident_codes, residents};
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

/// Residents aged 18 or over this year may hold an account (the age of the residents'
/// assembly, 城市居民委员会组织法 第十二条).
pub const ACCOUNT_AGE: i32 = 18;

/// One printed slip for a resident: the code is shown once and only a hash is kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResidentSlip {
    pub resident_ref: String,
    pub resident_name: String,
    pub household: String,
    /// "building room" of the household, when it is placed in a unit.
    pub rooms: Vec<String>,
    pub code: String,
}

/// Issue codes: for the given residents, or for every adult resident who has neither an
/// account nor an unused code. Reissuing revokes the earlier code and ends the sessions of
/// the resident's account.
async fn issue(
    state: &AppState,
    c: &Community,
    actor: i64,
    only: Option<Vec<String>>,
) -> AppResult<Vec<ResidentSlip>> {
    let community_id = c.id;
    let year = current_year();
    state
        .with_db(move |conn| {
            db::write_tx(conn, |conn| {
                let file = residents::residents_file(conn, community_id)?;
                let AccountStatus {
                    accounts: with_accounts,
                    pending,
                } = account_status(conn, community_id)?;
                if let Some(refs) = &only {
                    let mut problems = Vec::new();
                    for r in refs {
                        let found = file
                            .households
                            .iter()
                            .flat_map(|h| &h.residents)
                            .find(|x| &x.resident_ref == r);
                        match found {
                            None => problems.push(FieldError::new(
                                "resident_refs",
                                Msg::new("resident-code-unknown").arg("resident", r.as_str()),
                            )),
                            Some(x) if year - x.birth_year < ACCOUNT_AGE => {
                                problems.push(FieldError::new(
                                    "resident_refs",
                                    Msg::new("resident-code-minor").arg("resident", r.as_str()),
                                ))
                            }
                            Some(_) => {}
                        }
                    }
                    if refs.is_empty() {
                        problems.push(FieldError::new(
                            "resident_refs",
                            Msg::new("resident-code-none"),
                        ));
                    }
                    if !problems.is_empty() {
                        return Err(AppError::Validation(problems));
                    }
                }
                let mut slips = Vec::new();
                for h in &file.households {
                    for r in &h.residents {
                        let chosen = match &only {
                            Some(refs) => refs.contains(&r.resident_ref),
                            None => {
                                year - r.birth_year >= ACCOUNT_AGE
                                    && !with_accounts.contains(&r.resident_ref)
                                    && !pending.contains(&r.resident_ref)
                            }
                        };
                        if !chosen {
                            continue;
                        }
                        let code = tokens::invitation_code().map_err(AppError::internal)?;
                        resident_codes::issue(
                            conn,
                            community_id,
                            &r.resident_ref,
                            &tokens::sha256_hex(&code),
                            Some(actor),
                        )?;
                        let mut ended = 0;
                        if let Some(u) =
                            resident_codes::user_of_resident(conn, community_id, &r.resident_ref)?
                        {
                            ended = accounts::revoke_all_sessions(conn, u.id)?;
                        }
                        audit::append(
                            conn,
                            Some(community_id),
                            Some(actor),
                            if only.is_some() {
                                "resident_code.reissue"
                            } else {
                                "resident_code.issue"
                            },
                            &serde_json::json!({ "resident_ref": r.resident_ref, "sessions_ended": ended }),
                            &serde_json::json!({ "resident_ref": r.resident_ref, "code_issued": true }),
                        )?;
                        slips.push(ResidentSlip {
                            resident_ref: r.resident_ref.clone(),
                            resident_name: r.name.clone(),
                            household: h.name.clone(),
                            rooms: match (&h.building, &h.room) {
                                (Some(b), Some(room)) => vec![format!("{b} {room}")],
                                _ => vec![],
                            },
                            code,
                        });
                    }
                }
                Ok(slips)
            })
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    pub csrf: String,
    /// Reissue for this resident only; empty or absent: every adult without account or code.
    pub resident_ref: Option<String>,
}

/// Issue (or, with `resident_ref`, reissue) and show the slips to print.
pub async fn issue_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<IssueForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::IssueCodes).await?;
    let only = form
        .resident_ref
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| vec![r.to_owned()]);
    let slips = issue(&state, &c, user.user.id, only).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("slips", &slips);
    let mut res = page.render(&state.tera, "resident_codes_print.html", ctx)?;
    // The codes are on this page only: keep it out of caches.
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResidentIssueRequest {
    /// Reissue for these residents (by reference); when absent, issue for every resident aged
    /// 18 or over this year with neither an account nor an unused code.
    pub resident_refs: Option<Vec<String>>,
}

/// Issue or reissue residents' codes. The codes appear in this answer only.
#[utoipa::path(post, path = "/api/v1/communities/{slug}/resident-codes", tag = "accounts",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = ResidentIssueRequest,
    responses((status = 200, body = [ResidentSlip]), (status = 403, body = crate::shell::errors::Problem),
        (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_issue(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<ResidentIssueRequest>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, &user.0, &slug, Action::IssueCodes).await?;
    let slips = issue(&state, &c, user.0.user.id, body.into_inner().resident_refs).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(slips))
}

/// For the register page: which residents have an account, and which an unused code.
#[derive(Debug, Serialize)]
pub struct AccountStatus {
    pub accounts: BTreeSet<String>,
    pub pending: BTreeSet<String>,
}

pub fn account_status(conn: &mut db::DbConn, community_id: i64) -> AppResult<AccountStatus> {
    Ok(AccountStatus {
        accounts: resident_codes::refs_with_accounts(conn, community_id)?
            .into_iter()
            .collect(),
        pending: resident_codes::status(conn, community_id)?
            .into_iter()
            .filter(|s| s.redeemed_at.is_none())
            .map(|s| s.resident_ref)
            .collect(),
    })
}
