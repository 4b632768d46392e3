//! The pages of proxy votes (委托投票): an owner authorises and revokes a proxy, a proxy votes
//! for the owners who authorised them, an organiser enters paper authorisations. Without
//! JavaScript; a refused form is shown again with what was typed and why.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::see_other;
use super::ballots::{field, read_form};
use super::ballots_api::load;
use super::casting_api;
use super::roster::community_by_slug;
use super::vote::{answers_from_pairs, marked};
use crate::app::AppState;
use crate::clock;
use crate::db::ballots::BallotRow;
use crate::db::communities::Community;
use crate::domain::ballot::Answer;
use crate::domain::lifecycle::Status;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::ledger::proxies::AuthoriseInput;
use crate::shell::PageCtx;

/// A refused form: the status to answer with and the reasons, in the page's language. Other
/// errors (not signed in, forbidden, not found) are answered as they are.
pub fn refused(e: AppError, lang: Lang) -> AppResult<(StatusCode, Vec<String>)> {
    match e {
        AppError::Validation(list) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            list.iter().map(|f| f.message.render(lang)).collect(),
        )),
        AppError::Conflict(msg) => Ok((StatusCode::CONFLICT, vec![msg.render(lang)])),
        other => Err(other),
    }
}

/// The ballot's casting terms and window, for the pages.
pub fn terms_ctx(ctx: &mut tera::Context, c: &Community, b: &BallotRow) {
    let terms = b.casting();
    ctx.insert("community", c);
    ctx.insert("ballot_id", &b.id);
    ctx.insert("ballot_title", &b.title);
    ctx.insert("ballot_status", &b.status);
    ctx.insert("conflict_rule", terms.conflict_rule.as_str());
    ctx.insert("proxy_cap", &terms.proxy_cap);
    ctx.insert("closes", &clock::format_shanghai(b.closes_at));
    ctx.insert(
        "live",
        &(matches!(b.status(), Status::Announced | Status::Open)),
    );
}

/// The proxies page, optionally with a refused form's problems and typed values.
async fn render(
    page: &PageCtx,
    state: &web::Data<AppState>,
    slug: &str,
    id: i64,
    failed: Option<(StatusCode, Vec<String>, serde_json::Value)>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, Some(user)).await?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let list = casting_api::list(state, user, slug, id).await?;
    let organiser = user.grants.allows(Action::ManageBallots, c.id);
    let grants = user.grants.clone();
    let (bid, cid) = (b.id, c.id);
    let (my_voter, voters) = state
        .with_db(move |conn| {
            let mine =
                crate::db::ballots::voter_for(conn, bid, cid, &grants)?.map(|v| v.voter_index);
            let voters = if organiser {
                crate::db::casting::voters(conn, bid)?
            } else {
                Vec::new()
            };
            Ok((mine, voters))
        })
        .await?;
    let row = |a: &crate::ledger::proxies::AuthorisationView| {
        serde_json::json!({
            "id": a.id, "voter": a.voter, "rooms": a.rooms.join("、"),
            "proxy": format!("{}（{}）", a.proxy_name, a.proxy_login),
            "source": a.source, "scan_sha256": a.scan_sha256,
            "created_at": clock::format_shanghai(a.created_at),
            "revoked_at": a.revoked_at.map(clock::format_shanghai),
            "used": a.used,
        })
    };
    let mine: Vec<_> = list
        .iter()
        .filter(|a| Some(a.voter) == my_voter)
        .map(row)
        .collect();
    let held: Vec<_> = list
        .iter()
        .filter(|a| a.revoked_at.is_none())
        .filter(|a| a.proxy_login == user.user.login)
        .map(row)
        .collect();
    let all: Vec<_> = if organiser {
        list.iter().map(row).collect()
    } else {
        Vec::new()
    };
    let mut ctx = tera::Context::new();
    terms_ctx(&mut ctx, &c, &b);
    ctx.insert("open", &(b.status() == Status::Open));
    ctx.insert("is_voter", &my_voter.is_some());
    ctx.insert("organiser", &organiser);
    ctx.insert("mine", &mine);
    ctx.insert("held", &held);
    ctx.insert("all", &all);
    ctx.insert(
        "voters",
        &voters
            .iter()
            .map(|v| serde_json::json!({ "index": v.voter_index, "rooms": v.rooms().join("、") }))
            .collect::<Vec<_>>(),
    );
    // Every field the forms show again, empty unless a refused form typed it.
    let mut fv = serde_json::json!({ "form": "", "proxy": "", "voter": "", "scan_sha256": "" });
    let status = match failed {
        Some((status, errors, values)) => {
            ctx.insert("errors", &errors);
            if let (Some(fv), Some(typed)) = (fv.as_object_mut(), values.as_object()) {
                fv.extend(typed.clone());
            }
            status
        }
        None => {
            ctx.insert("errors", &Vec::<String>::new());
            StatusCode::OK
        }
    };
    ctx.insert("fv", &fv);
    page.render_status(&state.tera, "ballot_proxies.html", ctx, status)
}

pub async fn proxies_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render(&page, &state, &slug, id, None).await
}

/// The page again after a refusal, its language switch leading to the page itself.
async fn again(
    page: &PageCtx,
    state: &web::Data<AppState>,
    (slug, id): (&str, i64),
    e: AppError,
    values: serde_json::Value,
) -> AppResult<HttpResponse> {
    let (status, errors) = refused(e, page.lang)?;
    let mut page = page.clone();
    page.path = format!("/c/{slug}/ballots/{id}/proxies");
    render(&page, state, slug, id, Some((status, errors, values))).await
}

pub async fn authorise_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let voter = field(&pairs, "voter").trim();
    let scan = field(&pairs, "scan_sha256").trim();
    let input = AuthoriseInput {
        proxy: field(&pairs, "proxy").trim().to_owned(),
        // A voter that is not a number is refused as an unknown voter.
        voter: (!voter.is_empty()).then(|| voter.parse().unwrap_or(-1)),
        scan_sha256: (!scan.is_empty() || !voter.is_empty()).then(|| scan.to_owned()),
    };
    let values = serde_json::json!({
        "proxy": input.proxy, "voter": voter, "scan_sha256": scan,
        "form": if voter.is_empty() { "online" } else { "paper" },
    });
    match casting_api::authorise(&state, user, &slug, id, input).await {
        Ok(_) => Ok(see_other(&format!(
            "/c/{slug}/ballots/{id}/proxies#authorisations"
        ))),
        Err(e) => again(&page, &state, (&slug, id), e, values).await,
    }
}

pub async fn revoke_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, aid) = path.into_inner();
    read_form(&req, &body)?;
    match casting_api::revoke(&state, page.user()?, &slug, id, aid).await {
        Ok(_) => Ok(see_other(&format!(
            "/c/{slug}/ballots/{id}/proxies#authorisations"
        ))),
        Err(e) => again(&page, &state, (&slug, id), e, serde_json::json!({})).await,
    }
}

/// The proxy's ballot form for one owner.
async fn render_vote(
    page: &PageCtx,
    state: &web::Data<AppState>,
    (slug, id, voter): (&str, i64, i64),
    answers: &[Answer],
    failed: Option<(StatusCode, Vec<String>)>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, Some(user)).await?;
    let held = casting_api::list(state, user, slug, id)
        .await?
        .into_iter()
        .find(|a| a.voter == voter && a.revoked_at.is_none() && a.proxy_login == user.user.login)
        .ok_or(AppError::NotFound)?;
    let mut ctx = tera::Context::new();
    terms_ctx(&mut ctx, &c, &b);
    ctx.insert("voter", &voter);
    ctx.insert("rooms", &held.rooms.join("、"));
    ctx.insert("questions", &marked(&b.questions(), answers));
    ctx.insert(
        "nonce",
        &crate::crypto::random_hex(16).map_err(AppError::internal)?,
    );
    let (status, errors) = failed.unwrap_or((StatusCode::OK, Vec::new()));
    ctx.insert("errors", &errors);
    page.render_status(&state.tera, "ballot_proxy_vote.html", ctx, status)
}

pub async fn proxy_vote_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, voter) = path.into_inner();
    render_vote(&page, &state, (&slug, id, voter), &[], None).await
}

pub async fn proxy_vote_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, voter) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, Some(user)).await?;
    let answers = answers_from_pairs(&b.questions(), &pairs);
    let request = casting_api::ProxyCastRequest {
        voter,
        nonce: field(&pairs, "nonce").to_owned(),
        answers: answers.clone(),
    };
    match casting_api::proxy_cast(&state, user, &slug, id, request).await {
        Ok(receipt) => Ok(see_other(&format!(
            "/c/{slug}/ballots/{id}/receipts/{}",
            receipt.leaf_index
        ))),
        Err(e) => {
            let failed = refused(e, page.lang)?;
            let mut page = page.clone();
            page.path = format!("/c/{slug}/ballots/{id}/proxies/vote/{voter}");
            render_vote(&page, &state, (&slug, id, voter), &answers, Some(failed)).await
        }
    }
}
