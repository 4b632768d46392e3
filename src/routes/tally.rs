//! The count's pages: the result with its charts, the printable result notice (公告), the
//! objection forms, the scrutineer's desk (their key) and the co-signing page.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::see_other;
use super::ballots_api::{load, view};
use super::roster::{authorise, community_by_slug};
use super::tally_api;
use crate::app::AppState;
use crate::auth;
use crate::clock;
use crate::db::ballots::BallotRow;
use crate::db::communities::Community;
use crate::db::tally as db_tally;
use crate::domain::area::format_area;
use crate::domain::ballot::{Manifest, Question};
use crate::domain::roles::Action;
use crate::domain::tally::{Outcome, Threshold};
use crate::domain::tally_record::{TallyRecord, COSIGNATURE_CONTEXT, RECORD_CONTEXT};
use crate::error::{AppError, AppResult};
use crate::ledger::count;
use crate::shell::chart::{self, Bar};
use crate::shell::PageCtx;

fn threshold_text(t: &Threshold) -> String {
    let op = if t.strict { ">" } else { "≥" };
    format!("{op} {}/{}", t.num, t.den)
}

fn label_of(q: &Question, option: &str) -> String {
    q.options
        .iter()
        .find(|o| o.id == option)
        .map_or_else(|| option.to_owned(), |o| o.label.clone())
}

/// Everything the result pages show, from the latest record.
struct Result {
    record: TallyRecord,
    sha256: String,
    signature: String,
    manifest: Manifest,
}

async fn latest_result(state: &web::Data<AppState>, b: &BallotRow) -> AppResult<Option<Result>> {
    let manifest = count::manifest_of(b)?;
    let id = b.id;
    let row = state
        .with_db(move |conn| {
            Ok(match db_tally::record(conn, id, count::FINAL)? {
                Some(r) => Some(r),
                None => db_tally::record(conn, id, count::PRELIMINARY)?,
            })
        })
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Result {
        record: serde_json::from_str(&row.record).map_err(AppError::internal)?,
        sha256: row.sha256,
        signature: row.signature,
        manifest,
    }))
}

/// The questions as the templates show them: labels, numbers, charts and the outcome.
fn question_views(r: &Result, lang: crate::i18n::Lang) -> Vec<serde_json::Value> {
    let rule = &r.record.rule;
    let part = &r.record.participation;
    r.manifest
        .questions
        .iter()
        .zip(&r.record.questions)
        .map(|(q, t)| {
            let options: Vec<serde_json::Value> = t
                .options
                .iter()
                .map(|o| {
                    serde_json::json!({
                        "id": o.option,
                        "label": label_of(q, &o.option),
                        "area": format_area(o.approving.area_centi),
                        "headcount": o.approving.headcount,
                        "area_met": o.area_met,
                        "headcount_met": o.headcount_met,
                        "passes": o.passes,
                    })
                })
                .collect();
            let bars = |area: bool| -> Vec<Bar> {
                t.options
                    .iter()
                    .map(|o| Bar {
                        label: label_of(q, &o.option),
                        part: if area {
                            o.approving.area_centi
                        } else {
                            o.approving.headcount
                        },
                        shown: if area {
                            format!("{} m²", format_area(o.approving.area_centi))
                        } else {
                            o.approving.headcount.to_string()
                        },
                        passes: o.passes,
                    })
                    .collect()
            };
            let en = lang == crate::i18n::Lang::En;
            let mut charts = Vec::new();
            if let Some(th) = &rule.pass.area {
                let title = if en {
                    "Approving area"
                } else {
                    "同意的专有部分面积"
                };
                charts.push(chart::bars(
                    &format!("{} · {title}", q.text),
                    title,
                    &bars(true),
                    part.area_centi,
                    th,
                    &threshold_text(th),
                ));
            }
            let title = if en {
                "Approving headcount"
            } else {
                "同意的人数"
            };
            charts.push(chart::bars(
                &format!("{} · {title}", q.text),
                title,
                &bars(false),
                part.headcount,
                &rule.pass.headcount,
                &threshold_text(&rule.pass.headcount),
            ));
            let (outcome, chosen, tied, seats) = match &t.outcome {
                Outcome::NoQuorum => ("no_quorum", vec![], vec![], 0),
                Outcome::Decided { adopted: true } => ("adopted", vec![], vec![], 0),
                Outcome::Decided { adopted: false } => ("rejected", vec![], vec![], 0),
                Outcome::Chosen { options } => (
                    "chosen",
                    options.iter().map(|o| label_of(q, o)).collect(),
                    vec![],
                    0,
                ),
                Outcome::RunOff {
                    chosen,
                    tied,
                    seats,
                } => (
                    "run_off",
                    chosen.iter().map(|o| label_of(q, o)).collect(),
                    tied.iter().map(|o| label_of(q, o)).collect(),
                    *seats,
                ),
            };
            serde_json::json!({
                "id": q.id,
                "text": q.text,
                "kind": q.kind.as_str(),
                "options": options,
                "charts": charts,
                "outcome": outcome,
                "chosen": chosen,
                "tied": tied,
                "seats": seats,
            })
        })
        .collect()
}

fn insert_result(ctx: &mut tera::Context, r: &Result, lang: crate::i18n::Lang) {
    let rec = &r.record;
    ctx.insert("record", rec);
    ctx.insert("record_sha256", &r.sha256);
    ctx.insert("record_signature", &r.signature);
    ctx.insert("questions", &question_views(r, lang));
    ctx.insert(
        "participation_area",
        &format_area(rec.participation.area_centi),
    );
    ctx.insert("electorate_area", &format_area(rec.electorate.area_centi));
    ctx.insert(
        "participation_area_line",
        &rec.rule.participation.area.as_ref().map(threshold_text),
    );
    ctx.insert(
        "participation_head_line",
        &threshold_text(&rec.rule.participation.headcount),
    );
    ctx.insert(
        "pass_area_line",
        &rec.rule.pass.area.as_ref().map(threshold_text),
    );
    ctx.insert("pass_head_line", &threshold_text(&rec.rule.pass.headcount));
    ctx.insert("tallied", &clock::format_shanghai(rec.tallied_at));
    ctx.insert(
        "objection_ends",
        &clock::format_shanghai(rec.objection_period.ends_at),
    );
    ctx.insert("finalised", &rec.finalised_at.map(clock::format_shanghai));
}

/// `scheme://host` of this request, for links printed or copied elsewhere.
fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// The result page (public).
pub async fn result_page(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, page.user.as_ref()).await?;
    let r = latest_result(&state, &b).await?.ok_or(AppError::NotFound)?;
    let organiser = page
        .user
        .as_ref()
        .is_some_and(|u| u.grants.allows(Action::ManageBallots, c.id));
    let uid = page.user.as_ref().map(|u| u.user.id);
    let (objections, cosignatures, scrutineers) = state
        .with_db(move |conn| {
            Ok((
                db_tally::objections(conn, id)?,
                count::cosignatures(conn, id)?,
                db_tally::scrutineers(conn, id)?,
            ))
        })
        .await?;
    let is_scrutineer = uid.is_some_and(|u| scrutineers.iter().any(|s| s.user_id == u));
    let cosigners: Vec<serde_json::Value> = scrutineers
        .iter()
        .map(|s| {
            let signed = cosignatures
                .iter()
                .find(|c| c.scrutineer == i64::from(s.position));
            serde_json::json!({
                "name": s.name,
                "public_key": s.public_key,
                "signed_at": signed.map(|c| clock::format_shanghai(c.signed_at)),
            })
        })
        .collect();
    let objections: Vec<serde_json::Value> = objections
        .into_iter()
        .map(|o| {
            serde_json::json!({
                "id": o.id,
                "received": clock::format_shanghai(o.received_at),
                "text": o.body,
                "response": o.response,
                "responded": o.responded_at.map(clock::format_shanghai),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    insert_result(&mut ctx, &r, page.lang);
    ctx.insert("organiser", &organiser);
    ctx.insert("is_scrutineer", &is_scrutineer);
    ctx.insert("cosigners", &cosigners);
    ctx.insert("cosigned", &cosignatures.len());
    ctx.insert("required", &b.cosignatures_required);
    ctx.insert("objections", &objections);
    ctx.insert(
        "bundle_url",
        &format!("{}/api/v1/ballots/{}/bundle", base_url(&req), b.id),
    );
    page.render(&state.tera, "ballot_result.html", ctx)
}

/// The printable result notice (公告) with the record hash and a QR code to the board.
pub async fn notice_page(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, page.user.as_ref()).await?;
    let r = latest_result(&state, &b).await?.ok_or(AppError::NotFound)?;
    let board_url = format!("{}/c/{}/ballots/{}", base_url(&req), c.slug, b.id);
    let qr = qrcode::QrCode::new(board_url.as_bytes())
        .map_err(|e| AppError::internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .build();
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    insert_result(&mut ctx, &r, page.lang);
    ctx.insert("board_url", &board_url);
    ctx.insert("qr_svg", &qr);
    ctx.insert("verifier_key", &r.manifest.verifier_key);
    ctx.insert("printed", &clock::format_shanghai(state.ledger.clock.now()));
    page.render(&state.tera, "ballot_notice.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct ObjectionForm {
    pub csrf: String,
    #[serde(default)]
    pub text: String,
}

pub async fn objection_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ObjectionForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, _) = tally_api::add_objection(&state, page.user()?, &slug, id, &form.text).await?;
    Ok(see_other(&format!(
        "/c/{}/ballots/{id}/result#objections",
        c.slug
    )))
}

#[derive(Debug, Deserialize)]
pub struct ResponseForm {
    pub csrf: String,
    #[serde(default)]
    pub response: String,
}

pub async fn response_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<ResponseForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id, oid) = path.into_inner();
    let c =
        tally_api::respond_objection(&state, page.user()?, &slug, id, oid, &form.response).await?;
    Ok(see_other(&format!(
        "/c/{}/ballots/{id}/result#objections",
        c.slug
    )))
}

/// The scrutineer's desk: their public key and the ballots they scrutinise.
pub async fn desk_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Scrutinise).await?;
    render_desk(&page, &state, &c, user.user.id).await
}

async fn render_desk(
    page: &PageCtx,
    state: &web::Data<AppState>,
    c: &Community,
    uid: i64,
) -> AppResult<HttpResponse> {
    let cid = c.id;
    let (key, ballots) = state
        .with_db(move |conn| {
            let key = db_tally::key_of(conn, uid)?;
            let ids = db_tally::ballots_scrutinised_by(conn, uid)?;
            let mut ballots = Vec::new();
            for id in ids {
                if let Some(b) = crate::db::ballots::get(conn, cid, id)? {
                    ballots.push(serde_json::json!({
                        "id": b.id, "title": b.title, "status": b.status,
                    }));
                }
            }
            Ok((key, ballots))
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("public_key", &key);
    ctx.insert("ballots", &ballots);
    page.render(&state.tera, "scrutineer.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct KeyForm {
    pub csrf: String,
    #[serde(default)]
    pub public_key: String,
}

pub async fn key_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<KeyForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let c = tally_api::set_key(&state, page.user()?, &slug, &form.public_key).await?;
    Ok(see_other(&format!("/c/{}/scrutineer", c.slug)))
}

/// The co-signing page: the final record's hash, how to check it, and where to sign.
pub async fn cosign_page(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Scrutinise).await?;
    let b = load(&state, &c, id, Some(user)).await?;
    let uid = user.user.id;
    let (me, final_row, mine) = state
        .with_db(move |conn| {
            let me = db_tally::scrutineers(conn, id)?
                .into_iter()
                .find(|s| s.user_id == uid);
            let final_row = db_tally::record(conn, id, count::FINAL)?;
            let mine = match &me {
                Some(s) => db_tally::cosignatures(conn, id)?
                    .into_iter()
                    .find(|c| c.position == s.position),
                None => None,
            };
            Ok((me, final_row, mine))
        })
        .await?;
    let me = me.ok_or(AppError::Forbidden)?;
    let manifest = count::manifest_of(&b)?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    ctx.insert("me", &me);
    ctx.insert("ballot_public_key", &manifest.public_key);
    ctx.insert(
        "record_sha256",
        &final_row.as_ref().map(|r| r.sha256.clone()),
    );
    ctx.insert(
        "signed_at",
        &mine.map(|m| clock::format_shanghai(m.signed_at)),
    );
    ctx.insert("record_context", &RECORD_CONTEXT.trim_end());
    ctx.insert("cosignature_context", &COSIGNATURE_CONTEXT.trim_end());
    ctx.insert(
        "bundle_url",
        &format!("{}/api/v1/ballots/{}/bundle", base_url(&req), b.id),
    );
    page.render(&state.tera, "ballot_cosign.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct CosignForm {
    pub csrf: String,
    #[serde(default)]
    pub signature: String,
}

pub async fn cosign_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<CosignForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let (c, _) = tally_api::cosign(&state, page.user()?, &slug, id, &form.signature).await?;
    Ok(see_other(&format!(
        "/c/{}/ballots/{id}/result#cosigners",
        c.slug
    )))
}

#[derive(Debug, Deserialize)]
pub struct ObjectionDaysForm {
    pub csrf: String,
    #[serde(default)]
    pub days: String,
}

pub async fn objection_days_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<ObjectionDaysForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let days = form.days.trim().parse().unwrap_or(0);
    let c = tally_api::set_objection_days(&state, page.user()?, &slug, days).await?;
    Ok(see_other(&format!("/c/{}/ballots", c.slug)))
}
