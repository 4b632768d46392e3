//! The pages of ballot papers (书面表决票): printing one paper per voter with its one-time code
//! and QR, entering and correcting returned papers with the SHA-256 of each scan
//! (organisers), and confirming each entry (the ballot's scrutineers). Without JavaScript.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::see_other;
use super::ballots::field;
use super::ballots::read_form;
use super::ballots_api::load;
use super::casting_api;
use super::casting_pages::{refused, terms_ctx};
use super::election_prints::{base_url, qr_svg};
use super::roster::community_by_slug;
use super::vote::{answers_from_pairs, marked};
use crate::app::AppState;
use crate::clock;
use crate::domain::ballot::Answer;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult};
use crate::ledger::papers::PaperInput;
use crate::shell::PageCtx;

#[derive(Debug, Default, Deserialize)]
pub struct PapersQuery {
    /// Prefilled from a paper's QR code.
    #[serde(default)]
    pub code: String,
    /// The entry just made or confirmed.
    #[serde(default)]
    pub entered: Option<i64>,
    #[serde(default)]
    pub confirmed: Option<i64>,
}

/// What a refused form brings back: its status, the reasons, which form and what was typed.
struct Failed {
    status: StatusCode,
    errors: Vec<String>,
    form: &'static str,
    values: serde_json::Value,
    answers: Vec<Answer>,
}

async fn render(
    page: &PageCtx,
    state: &web::Data<AppState>,
    (slug, id): (&str, i64),
    q: &PapersQuery,
    failed: Option<Failed>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, Some(user)).await?;
    if !b.status().is_public() {
        return Err(AppError::NotFound);
    }
    let organiser = user.grants.allows(Action::ManageBallots, c.id);
    // Organisers and the ballot's scrutineers (others are refused here).
    let pending = casting_api::pending(state, user, slug, id).await?;
    let (bid, uid) = (b.id, user.user.id);
    let scrutineer = state
        .with_db(move |conn| Ok(crate::db::tally::scrutineer_position(conn, bid, uid)?.is_some()))
        .await?;
    let questions = b.questions();
    let pending: Vec<_> = pending
        .iter()
        .map(|p| {
            serde_json::json!({
                "leaf_index": p.leaf_index, "rooms": p.rooms.join("、"),
                "questions": marked(&questions, &p.answers),
                "scan_sha256": p.scan_sha256, "corrects": p.corrects,
                "entered_by": p.entered_by, "entered_at": clock::format_shanghai(p.entered_at),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    terms_ctx(&mut ctx, &c, &b);
    ctx.insert("organiser", &organiser);
    ctx.insert("scrutineer", &scrutineer);
    ctx.insert("pending", &pending);
    ctx.insert("entered", &q.entered);
    ctx.insert("confirmed", &q.confirmed);
    let (status, errors, form, values, answers) = match failed {
        Some(f) => (f.status, f.errors, f.form, f.values, f.answers),
        None => (
            StatusCode::OK,
            Vec::new(),
            "",
            serde_json::json!({ "code": q.code, "corrects": "", "scan_sha256": "" }),
            Vec::new(),
        ),
    };
    ctx.insert("errors", &errors);
    ctx.insert("failed_form", form);
    ctx.insert("fv", &values);
    let blank = marked(&questions, &[]);
    let typed = marked(&questions, &answers);
    ctx.insert(
        "entry_questions",
        if form == "enter" { &typed } else { &blank },
    );
    ctx.insert(
        "correct_questions",
        if form == "correct" { &typed } else { &blank },
    );
    page.render_status(&state.tera, "ballot_papers.html", ctx, status)
}

pub async fn papers_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<PapersQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render(&page, &state, (&slug, id), &q, None).await
}

/// Enter a returned paper (`code`) or correct an entry (`corrects`).
pub async fn enter_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, Some(user)).await?;
    let answers = answers_from_pairs(&b.questions(), &pairs);
    let (code, corrects) = (
        field(&pairs, "code").trim(),
        field(&pairs, "corrects").trim(),
    );
    let form = if corrects.is_empty() {
        "enter"
    } else {
        "correct"
    };
    let input = PaperInput {
        code: (form == "enter").then(|| code.to_owned()),
        // An entry number that is not a number is refused as unknown.
        corrects: (form == "correct").then(|| corrects.parse().unwrap_or(-1)),
        scan_sha256: field(&pairs, "scan_sha256").to_owned(),
        answers: answers.clone(),
    };
    let values = serde_json::json!({
        "code": code, "corrects": corrects, "scan_sha256": input.scan_sha256,
    });
    match casting_api::enter_paper(&state, user, &slug, id, input, None).await {
        Ok(r) => Ok(see_other(&format!(
            "/c/{slug}/ballots/{id}/papers?entered={}#pending",
            r.leaf_index
        ))),
        Err(e) => {
            let (status, errors) = refused(e, page.lang)?;
            let mut page = page.clone();
            page.path = format!("/c/{slug}/ballots/{id}/papers");
            let failed = Failed {
                status,
                errors,
                form,
                values,
                answers,
            };
            render(
                &page,
                &state,
                (&slug, id),
                &PapersQuery::default(),
                Some(failed),
            )
            .await
        }
    }
}

pub async fn confirm_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, leaf) = path.into_inner();
    read_form(&req, &body)?;
    match casting_api::confirm_paper(&state, page.user()?, &slug, id, leaf).await {
        Ok(r) => Ok(see_other(&format!(
            "/c/{slug}/ballots/{id}/papers?confirmed={}#pending",
            r.leaf_index
        ))),
        Err(e) => {
            let (status, errors) = refused(e, page.lang)?;
            let mut page = page.clone();
            page.path = format!("/c/{slug}/ballots/{id}/papers");
            let failed = Failed {
                status,
                errors,
                form: "confirm",
                values: serde_json::json!({ "code": "", "corrects": "", "scan_sha256": "" }),
                answers: Vec::new(),
            };
            render(
                &page,
                &state,
                (&slug, id),
                &PapersQuery::default(),
                Some(failed),
            )
            .await
        }
    }
}

/// Every voter's ballot paper, print-ready: one page each, with the questions to mark, the
/// one-time code and a QR code that opens the entry form with the code filled in.
pub async fn print_page(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let user = page.user()?;
    let c = community_by_slug(&state, &slug).await?;
    let (b, sheets) = casting_api::sheets(&state, user, &slug, id).await?;
    let base = base_url(&req);
    let blank = marked(&b.questions(), &[]);
    let mut papers = Vec::with_capacity(sheets.len());
    for s in &sheets {
        let url = format!(
            "{base}/c/{slug}/ballots/{id}/papers?code={}",
            s.code.replace('-', "")
        );
        papers.push(serde_json::json!({
            "voter": s.voter, "rooms": s.rooms.join("、"), "area_centi": s.area_centi,
            "code": s.code, "entered": s.entered, "qr_svg": qr_svg(&url)?,
        }));
    }
    let mut ctx = tera::Context::new();
    terms_ctx(&mut ctx, &c, &b);
    ctx.insert("questions", &blank);
    ctx.insert("papers", &papers);
    ctx.insert("opens", &clock::format_shanghai(b.opens_at));
    let mut res = page.render(&state.tera, "ballot_papers_print.html", ctx)?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
