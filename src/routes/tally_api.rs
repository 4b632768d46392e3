//! The count's API: the signed tally records, objections, scrutineers' keys and
//! co-signatures, and the bundle an observer verifies offline. Shared with the pages.

use std::io::Write;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::ballots_api::load;
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth::{Authed, CurrentUser};
use crate::crypto::scrutineer_key;
use crate::db::ballots::BallotRow;
use crate::db::communities::Community;
use crate::db::tally as db_tally;
use crate::db::{audit, write_tx};
use crate::domain::lifecycle::Status;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::ledger::count;

/// The longest objection or response, in characters.
pub const MAX_OBJECTION_CHARS: usize = 2000;

/// An objection as published.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObjectionView {
    pub id: i64,
    pub received_at: i64,
    pub text: String,
    pub response: Option<String>,
    pub responded_at: Option<i64>,
}

pub fn objection_views(rows: Vec<db_tally::ObjectionRow>) -> Vec<ObjectionView> {
    rows.into_iter()
        .map(|o| ObjectionView {
            id: o.id,
            received_at: o.received_at,
            text: o.body,
            response: o.response,
            responded_at: o.responded_at,
        })
        .collect()
}

fn text_field(name: &str, text: &str) -> AppResult<String> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_OBJECTION_CHARS {
        return Err(AppError::Validation(vec![FieldError::new(
            name,
            Msg::new("objection-error-length").arg("max", MAX_OBJECTION_CHARS as i64),
        )]));
    }
    Ok(text.to_owned())
}

/// Record an objection received in the objection period (organisers).
pub async fn add_objection(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    text: &str,
) -> AppResult<(Community, i64)> {
    let c = authorise(state, user, slug, Action::ManageBallots).await?;
    let text = text_field("text", text)?;
    let b = load(state, &c, id, Some(user)).await?;
    let (cid, actor, now) = (c.id, user.user.id, state.ledger.clock.now());
    let oid = state
        .with_db(move |conn| {
            write_tx(conn, |conn| {
                let b = crate::db::ballots::get(conn, cid, b.id)?.ok_or(AppError::NotFound)?;
                if b.status() != Status::Tallied {
                    return Err(AppError::Conflict(Msg::new("objection-error-closed")));
                }
                let oid = db_tally::insert_objection(conn, b.id, now, &text, actor)?;
                audit::append(
                    conn,
                    Some(cid),
                    Some(actor),
                    "ballot.objection",
                    &serde_json::json!({}),
                    &serde_json::json!({ "ballot": b.id, "objection": oid, "text": text }),
                )?;
                Ok(oid)
            })
        })
        .await?;
    Ok((c, oid))
}

/// Answer an objection, once (organisers).
pub async fn respond_objection(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    objection: i64,
    response: &str,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, Action::ManageBallots).await?;
    let response = text_field("response", response)?;
    let b = load(state, &c, id, Some(user)).await?;
    let (cid, actor, now) = (c.id, user.user.id, state.ledger.clock.now());
    state
        .with_db(move |conn| {
            write_tx(conn, |conn| {
                let b = crate::db::ballots::get(conn, cid, b.id)?.ok_or(AppError::NotFound)?;
                if b.status() != Status::Tallied {
                    return Err(AppError::Conflict(Msg::new("objection-error-closed")));
                }
                if !db_tally::respond_objection(conn, b.id, objection, &response, actor, now)? {
                    return Err(AppError::Conflict(Msg::new("objection-error-answered")));
                }
                audit::append(
                    conn,
                    Some(cid),
                    Some(actor),
                    "ballot.objection_response",
                    &serde_json::json!({ "ballot": b.id, "objection": objection }),
                    &serde_json::json!({ "ballot": b.id, "objection": objection, "response": response }),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(c)
}

/// Register the signed-in scrutineer's public key.
pub async fn set_key(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    public_key: &str,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, Action::Scrutinise).await?;
    let Some(pk) = scrutineer_key::parse_public_key(public_key) else {
        return Err(AppError::Validation(vec![FieldError::new(
            "public_key",
            Msg::new("scrutineer-error-key"),
        )]));
    };
    let pk = crate::crypto::b64(&pk);
    let (cid, uid, now) = (c.id, user.user.id, state.ledger.clock.now());
    state
        .with_db(move |conn| {
            write_tx(conn, |conn| {
                let before = db_tally::key_of(conn, uid)?;
                db_tally::set_key(conn, uid, &pk, now)?;
                audit::append(
                    conn,
                    Some(cid),
                    Some(uid),
                    "scrutineer.key",
                    &serde_json::json!({ "public_key": before }),
                    &serde_json::json!({ "public_key": pk }),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(c)
}

/// Accept the signed-in scrutineer's co-signature over the final record.
pub async fn cosign(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    id: i64,
    signature: &str,
) -> AppResult<(Community, BallotRow)> {
    let c = authorise(state, user, slug, Action::Scrutinise).await?;
    let b = load(state, &c, id, Some(user)).await?;
    if !matches!(b.status(), Status::Finalised | Status::Certified) {
        return Err(AppError::Conflict(Msg::new("cosign-error-not-final")));
    }
    let (ledger, cid, uid, sig) = (
        state.ledger.clone(),
        c.id,
        user.user.id,
        signature.to_owned(),
    );
    let b2 = b.clone();
    state
        .with_db(move |conn| {
            write_tx(conn, |conn| {
                let row = count::cosign(conn, &ledger, &b2, uid, &sig)?;
                audit::append(
                    conn,
                    Some(cid),
                    Some(uid),
                    "ballot.cosign",
                    &serde_json::json!({}),
                    &serde_json::json!({ "ballot": b2.id, "scrutineer": row.position, "record_sha256": row.record_sha256 }),
                )?;
                Ok(())
            })
        })
        .await?;
    Ok((c, b))
}

/// The signed tally record of a stage, byte for byte as signed.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/tally/{stage}", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path),
        ("stage" = String, Path, description = "`preliminary` or `final`")),
    responses((status = 200, description = "{\"record\": {...}, \"signature\": b64}"), (status = 404)))]
pub async fn api_record(
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id, stage) = path.into_inner();
    let stage = match stage.as_str() {
        count::PRELIMINARY => count::PRELIMINARY,
        count::FINAL => count::FINAL,
        _ => return Err(AppError::NotFound),
    };
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, None).await?;
    let row = state
        .with_db(move |conn| Ok(db_tally::record(conn, b.id, stage)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let sig = serde_json::to_string(&row.signature).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(format!("{{\"record\":{},\"signature\":{sig}}}", row.record)))
}

/// The scrutineers' co-signatures over the final record.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/cosignatures", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200)))]
pub async fn api_cosignatures(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, None).await?;
    let list = state
        .with_db(move |conn| count::cosignatures(conn, b.id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CosignRequest {
    /// Base64 Ed25519 signature over the co-signature message (docs/verification.md §10).
    pub signature: String,
}

/// Co-sign the final record (the ballot's scrutineers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/cosignatures", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = CosignRequest,
    responses((status = 201), (status = 400, body = crate::shell::errors::Problem),
        (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_cosign(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<CosignRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = cosign(&state, &user.0, &slug, id, &body.signature).await?;
    let list = state
        .with_db(move |conn| count::cosignatures(conn, b.id))
        .await?;
    Ok(HttpResponse::Created().json(list))
}

/// The objections to the preliminary result and their answers.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/objections", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200, body = [ObjectionView])))]
pub async fn api_objections(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, None).await?;
    let rows = state
        .with_db(move |conn| Ok(db_tally::objections(conn, b.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(objection_views(rows)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ObjectionRequest {
    pub text: String,
}

/// Record an objection (organisers, in the objection period).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/objections", tag = "ballots",
    params(("slug" = String, Path), ("id" = i64, Path)), security(("bearer" = [])),
    request_body = ObjectionRequest,
    responses((status = 201), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_add_objection(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Json<ObjectionRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, oid) = add_objection(&state, &user.0, &slug, id, &body.text).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": oid })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResponseRequest {
    pub response: String,
}

/// Answer an objection (organisers).
#[utoipa::path(post, path = "/api/v1/communities/{slug}/ballots/{id}/objections/{objection}/response",
    tag = "ballots", params(("slug" = String, Path), ("id" = i64, Path), ("objection" = i64, Path)),
    security(("bearer" = [])), request_body = ResponseRequest,
    responses((status = 200), (status = 409, body = crate::shell::errors::Problem)))]
pub async fn api_respond(
    user: Authed,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Json<ResponseRequest>,
) -> AppResult<HttpResponse> {
    let (slug, id, oid) = path.into_inner();
    respond_objection(&state, &user.0, &slug, id, oid, &body.response).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": oid })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct KeyRequest {
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// Register the signed-in scrutineer's public key.
#[utoipa::path(put, path = "/api/v1/communities/{slug}/scrutineer-key", tag = "ballots",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = KeyRequest,
    responses((status = 200), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_set_key(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<KeyRequest>,
) -> AppResult<HttpResponse> {
    set_key(&state, &user.0, &slug, &body.public_key).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "public_key": body.public_key.trim() })))
}

/// Everything the offline verifier needs, as `ballot-<id>.tar.gz` (docs/verification.md §11).
#[utoipa::path(get, path = "/api/v1/ballots/{id}/bundle", tag = "board",
    params(("id" = i64, Path)), responses((status = 200, content_type = "application/gzip"), (status = 404)))]
pub async fn api_bundle(state: web::Data<AppState>, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let c = state
        .with_db(move |conn| Ok(db_tally::community_of(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let b = load(&state, &c, id, None).await?;
    let ledger = state.ledger.clone();
    let bytes = state
        .with_db(move |conn| {
            let files = count::bundle_files(conn, &ledger, &b)?;
            archive(b.id, &files).map_err(AppError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/gzip")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"ballot-{id}.tar.gz\""),
        ))
        .body(bytes))
}

/// A gzip-compressed tar of the files under `ballot-<id>/`.
fn archive(id: i64, files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, format!("ballot-{id}/{name}"), data.as_slice())?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

/// The longest objection period a community may set, in days.
pub const MAX_OBJECTION_DAYS: i32 = 60;

/// Set the community's objection period after a preliminary result (organisers).
pub async fn set_objection_days(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    slug: &str,
    days: i32,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, Action::ManageBallots).await?;
    if !(1..=MAX_OBJECTION_DAYS).contains(&days) {
        return Err(AppError::Validation(vec![FieldError::new(
            "days",
            Msg::new("objection-days-error").arg("max", i64::from(MAX_OBJECTION_DAYS)),
        )]));
    }
    let (cid, actor, before) = (c.id, user.user.id, c.objection_days);
    state
        .with_db(move |conn| {
            write_tx(conn, |conn| {
                db_tally::set_objection_days(conn, cid, days)?;
                audit::append(
                    conn,
                    Some(cid),
                    Some(actor),
                    "community.objection_days",
                    &serde_json::json!({ "days": before }),
                    &serde_json::json!({ "days": days }),
                )?;
                Ok(())
            })
        })
        .await?;
    community_by_slug(state, slug).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ObjectionDaysRequest {
    /// Days of the objection period (1 to 60; 7 by default).
    pub days: i32,
}

/// Set the community's objection period (询异公示, 7 days by default).
#[utoipa::path(put, path = "/api/v1/communities/{slug}/objection-period", tag = "ballots",
    params(("slug" = String, Path)), security(("bearer" = [])), request_body = ObjectionDaysRequest,
    responses((status = 200), (status = 422, body = crate::shell::errors::Problem)))]
pub async fn api_set_objection_days(
    user: Authed,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<ObjectionDaysRequest>,
) -> AppResult<HttpResponse> {
    let c = set_objection_days(&state, &user.0, &slug, body.days).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "days": c.objection_days })))
}
