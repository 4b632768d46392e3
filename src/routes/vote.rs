//! The owner's voting pages: the ballot form, the confirmation step, then the receipt.
//! Everything works without JavaScript.

use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::see_other;
use super::ballots::{field, fields, read_form, Pairs};
use super::ballots_api::{self as api, load};
use super::board_api;
use super::roster::community_by_slug;
use crate::app::AppState;
use crate::clock;
use crate::db::ballots as db_ballots;
use crate::domain::ballot::{self, Answer, Question};
use crate::domain::lifecycle;
use crate::error::{AppError, AppResult, Msg};
use crate::ledger::Receipt;
use crate::shell::PageCtx;

/// The answers in a vote form: one field per question, named by its id (checkboxes repeat).
pub(crate) fn answers_from_pairs(questions: &[Question], p: &Pairs) -> Vec<Answer> {
    questions
        .iter()
        .map(|q| Answer {
            question: q.id.clone(),
            choices: fields(p, &q.id).iter().map(|s| (*s).to_owned()).collect(),
        })
        .collect()
}

/// The questions with the chosen options marked, for the form and the confirmation.
pub(crate) fn marked(questions: &[Question], answers: &[Answer]) -> serde_json::Value {
    questions
        .iter()
        .map(|q| {
            let chosen: Vec<&String> = answers
                .iter()
                .filter(|a| a.question == q.id)
                .flat_map(|a| a.choices.iter())
                .collect();
            serde_json::json!({
                "id": q.id,
                "kind": q.kind.as_str(),
                "text": q.text,
                "max_choices": q.max_choices,
                "options": q.options.iter().map(|o| serde_json::json!({
                    "id": o.id,
                    "label": o.label,
                    "checked": chosen.contains(&&o.id),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

struct VoteContext {
    community: crate::db::communities::Community,
    ballot: db_ballots::BallotRow,
    voter: db_ballots::VoterRow,
}

/// The ballot, checked open, and the signed-in owner's voter in it.
async fn voter_context(
    page: &PageCtx,
    state: &web::Data<AppState>,
    slug: &str,
    id: i64,
) -> AppResult<VoteContext> {
    let user = page.user()?;
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, Some(user)).await?;
    let clock = lifecycle::Clock {
        now: state.ledger.clock.now(),
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        notice_days: 0,
        objection_ends_at: i64::MAX,
    };
    if !lifecycle::accepts_casts(b.status(), &clock) {
        return Err(AppError::Conflict(Msg::new("cast-error-not-open")));
    }
    let (grants, cid) = (user.grants.clone(), c.id);
    let voter = state
        .with_db(move |conn| Ok(db_ballots::voter_for(conn, id, cid, &grants)?))
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(VoteContext {
        community: c,
        ballot: b,
        voter,
    })
}

fn vote_ctx(v: &VoteContext, answers: &[Answer]) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("community", &v.community);
    ctx.insert("ballot", &v.ballot.title);
    ctx.insert("ballot_id", &v.ballot.id);
    ctx.insert("closes", &clock::format_shanghai(v.ballot.closes_at));
    ctx.insert("rooms", &v.voter.rooms());
    ctx.insert("area", &v.voter.area_centi);
    ctx.insert("questions", &marked(&v.ballot.questions(), answers));
    ctx
}

pub async fn vote_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let v = voter_context(&page, &state, &slug, id).await?;
    let (bid, vi) = (v.ballot.clone(), v.voter.voter_index);
    let previous = state
        .with_db(move |conn| Ok(crate::db::casting::effective_leaf(conn, &bid, vi)?))
        .await?;
    let mut ctx = vote_ctx(&v, &[]);
    ctx.insert(
        "nonce",
        &crate::crypto::random_hex(16).map_err(AppError::internal)?,
    );
    ctx.insert("already_voted", &previous.is_some());
    ctx.insert("errors", &Vec::<String>::new());
    page.render(&state.tera, "ballot_vote.html", ctx)
}

/// A submitted vote form: its fields (CSRF checked) and the voter's context.
async fn vote_form(
    req: &HttpRequest,
    page: &PageCtx,
    state: &web::Data<AppState>,
    path: &(String, i64),
    body: &[u8],
) -> AppResult<(Pairs, VoteContext)> {
    let pairs = read_form(req, body)?;
    let v = voter_context(page, state, &path.0, path.1).await?;
    Ok((pairs, v))
}

/// The confirmation step: show what was chosen, ask once more.
pub async fn confirm_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (pairs, v) = vote_form(&req, &page, &state, &path, &body).await?;
    let questions = v.ballot.questions();
    let given = answers_from_pairs(&questions, &pairs);
    let nonce = field(&pairs, "nonce").to_owned();
    api::nonce_hash(&nonce)?;
    match ballot::validate_answers(&questions, &given) {
        Ok(answers) => {
            let mut ctx = vote_ctx(&v, &answers);
            ctx.insert("nonce", &nonce);
            page.render(&state.tera, "ballot_confirm.html", ctx)
        }
        Err(problem) => {
            let mut ctx = vote_ctx(&v, &given);
            ctx.insert("nonce", &nonce);
            ctx.insert("already_voted", &false);
            ctx.insert("errors", &vec![Msg::new(problem.message).render(page.lang)]);
            page.render_status(
                &state.tera,
                "ballot_vote.html",
                ctx,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// Cast, then show the receipt (after the commit).
pub async fn cast_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (pairs, v) = vote_form(&req, &page, &state, &path, &body).await?;
    let (slug, id) = path.into_inner();
    let answers = answers_from_pairs(&v.ballot.questions(), &pairs);
    let receipt = api::cast(
        &state,
        page.user()?,
        &slug,
        id,
        field(&pairs, "nonce"),
        answers,
    )
    .await?;
    Ok(see_other(&format!(
        "/c/{}/ballots/{id}/receipts/{}",
        v.community.slug, receipt.leaf_index
    )))
}

/// One of the user's own receipts (against the latest checkpoint).
async fn own_receipt(
    page: &PageCtx,
    state: &web::Data<AppState>,
    slug: &str,
    id: i64,
    index: i64,
) -> AppResult<(
    crate::db::communities::Community,
    db_ballots::BallotRow,
    Receipt,
)> {
    let user = page.user()?;
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, Some(user)).await?;
    let uid = user.user.id;
    let leaf = state
        .with_db(move |conn| Ok(db_ballots::leaves_cast_by(conn, id, uid)?))
        .await?
        .into_iter()
        .find(|l| l.leaf_index == index)
        .ok_or(AppError::NotFound)?;
    let receipt =
        board_api::public_receipt(state, &c, &b, &crate::crypto::tokens::hex(&leaf.leaf_hash))
            .await?;
    Ok((c, b, receipt))
}

pub async fn receipt_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, index) = path.into_inner();
    let (c, b, receipt) = own_receipt(&page, &state, &slug, id, index).await?;
    let answers: Vec<Answer> =
        serde_json::from_value(receipt.leaf["answers"].clone()).unwrap_or_default();
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &b.title);
    ctx.insert("ballot_id", &id);
    ctx.insert("receipt", &receipt);
    ctx.insert("questions", &marked(&b.questions(), &answers));
    ctx.insert(
        "cast_at",
        &clock::format_shanghai(receipt.leaf["cast_at"].as_i64().unwrap_or(0)),
    );
    ctx.insert(
        "checkpoint_size",
        &receipt.checkpoint.lines().nth(1).unwrap_or(""),
    );
    let mut res = page.render(&state.tera, "ballot_receipt.html", ctx)?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub async fn receipt_download(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id, index) = path.into_inner();
    let (_, _, receipt) = own_receipt(&page, &state, &slug, id, index).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"receipt-{slug}-{id}-{index}.json\""),
        ))
        .json(receipt))
}
