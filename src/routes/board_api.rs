//! The public bulletin board API (no login): the signed manifest, the electorate snapshot,
//! the participation roll, and the RFC 6962-style log endpoints (docs/verification.md §8).

use actix_web::{web, HttpResponse};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::ballots_api::load;
use super::roster::community_by_slug;
use crate::app::AppState;
use crate::crypto::b64;
use crate::db::ballots::{self as db_ballots, BallotRow, Turnout};
use crate::db::casting as db_casting;
use crate::db::communities::Community;
use crate::domain::ballot;
use crate::domain::merkle;
use crate::error::{AppError, AppResult, Msg};
use crate::ledger::Receipt;

/// A public (announced or later) ballot.
pub async fn public_ballot(
    state: &web::Data<AppState>,
    slug: &str,
    id: i64,
) -> AppResult<(Community, BallotRow)> {
    let c = community_by_slug(state, slug).await?;
    let b = load(state, &c, id, None).await?;
    Ok((c, b))
}

fn json_text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// The signed manifest.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/manifest", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200)))]
pub async fn api_manifest(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let (Some(m), Some(sig)) = (b.manifest, b.manifest_signature) else {
        return Err(AppError::NotFound);
    };
    // The manifest is served byte for byte as signed.
    Ok(json_text(format!(
        "{{\"manifest\":{m},\"signature\":{}}}",
        serde_json::Value::String(sig)
    )))
}

/// The frozen electorate snapshot.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/electorate", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200)))]
pub async fn api_electorate(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    Ok(json_text(b.snapshot.ok_or(AppError::NotFound)?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Roll {
    /// Voter indices (see the electorate) with at least one ballot in the log.
    pub voters: Vec<i64>,
    pub turnout: Turnout,
    pub electorate_voters: i64,
    pub electorate_area_centi: i64,
    pub electorate_headcount: i64,
}

pub async fn roll(state: &web::Data<AppState>, b: &BallotRow) -> AppResult<Roll> {
    // The totals as the signed manifest states them (the snapshot's own, without reading
    // its whole list of voters).
    let manifest: serde_json::Value =
        serde_json::from_str(b.manifest.as_deref().unwrap_or("{}")).map_err(AppError::internal)?;
    let electorate = &manifest["electorate"];
    let b2 = b.clone();
    let (voters, turnout) = state
        .with_db(move |conn| {
            let roll = db_casting::roll(conn, &b2)?;
            let turnout = db_casting::turnout(conn, &b2, &roll)?;
            Ok((roll, turnout))
        })
        .await?;
    Ok(Roll {
        voters,
        turnout,
        electorate_voters: electorate["voters"].as_i64().unwrap_or(0),
        electorate_area_centi: electorate["area_centi"].as_i64().unwrap_or(0),
        electorate_headcount: electorate["headcount"].as_i64().unwrap_or(0),
    })
}

/// The participation roll: which voters have voted, and the turnout by area and headcount.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/roll", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200, body = Roll)))]
pub async fn api_roll(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    Ok(HttpResponse::Ok().json(roll(&state, &b).await?))
}

pub async fn latest_checkpoint(
    state: &web::Data<AppState>,
    b: &BallotRow,
) -> AppResult<db_ballots::CheckpointRow> {
    let id = b.id;
    state
        .with_db(move |conn| db_ballots::latest_checkpoint(conn, id)?.ok_or(AppError::NotFound))
        .await
}

#[derive(Debug, Deserialize)]
pub struct CheckpointQuery {
    pub size: Option<i64>,
}

/// The latest signed checkpoint (C2SP tlog-checkpoint), as text; with `size`, the one signed
/// for that size (every checkpoint the log has signed stays available).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/checkpoint", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path), ("size" = Option<i64>, Query)),
    responses((status = 200, body = String), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_checkpoint(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<CheckpointQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let cp = match q.size {
        None => latest_checkpoint(&state, &b).await?,
        Some(size) => {
            state
                .with_db(move |conn| {
                    db_ballots::checkpoint_at(conn, id, size)?.ok_or(AppError::NotFound)
                })
                .await?
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(cp.note))
}

/// The latest signed tree head (RFC 6962 get-sth).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/sth", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path)), responses((status = 200)))]
pub async fn api_sth(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let cp = latest_checkpoint(&state, &b).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "tree_size": cp.tree_size,
        "timestamp": cp.created_at * 1000,
        "sha256_root_hash": b64(&cp.root),
        "checkpoint": cp.note,
    })))
}

#[derive(Debug, Deserialize)]
pub struct EntriesQuery {
    pub start: i64,
    pub end: i64,
}

pub const MAX_ENTRIES: i64 = 100;

/// Log entries `start..=end` (RFC 6962 get-entries), at most 100.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/entries", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path), ("start" = i64, Query), ("end" = i64, Query)),
    responses((status = 200)))]
pub async fn api_entries(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<EntriesQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let cp = latest_checkpoint(&state, &b).await?;
    if q.start < 0 || q.end < q.start || q.start >= cp.tree_size.max(1) {
        return Err(AppError::BadRequest(Msg::new("log-error-range")));
    }
    let end = q.end.min(q.start + MAX_ENTRIES - 1).min(cp.tree_size - 1);
    let start = q.start;
    let b2 = b.clone();
    let rows = state
        .with_db(move |conn| Ok(db_casting::entries(conn, &b2, start, end)?))
        .await?;
    let entries: Vec<_> = rows
        .into_iter()
        .map(|(r, standing)| {
            serde_json::json!({
                "leaf_index": r.leaf_index,
                "leaf_input": b64(r.leaf.as_bytes()),
                "leaf": serde_json::from_str::<serde_json::Value>(&r.leaf).unwrap_or_default(),
                "leaf_hash": crate::crypto::tokens::hex(&r.leaf_hash),
                "superseded": standing.superseded(),
                "counts": standing.counts,
                "pending": standing.pending,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": entries })))
}

/// A hash given as 64 hex digits (dashes and spaces ignored) or as base64.
pub fn parse_hash(s: &str) -> Option<merkle::Hash> {
    let compact: String = s.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    merkle::from_hex(&compact.to_ascii_lowercase()).or_else(|| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
    })
}

#[derive(Debug, Deserialize)]
pub struct ProofQuery {
    pub hash: String,
    pub tree_size: Option<i64>,
}

async fn find_leaf(
    state: &web::Data<AppState>,
    b: &BallotRow,
    hash: &str,
) -> AppResult<db_ballots::LeafRow> {
    let hash = parse_hash(hash).ok_or(AppError::BadRequest(Msg::new("log-error-hash")))?;
    let id = b.id;
    state
        .with_db(move |conn| db_ballots::leaf_by_hash(conn, id, &hash)?.ok_or(AppError::NotFound))
        .await
}

/// An inclusion proof for a leaf hash at a tree size (RFC 6962 get-proof-by-hash).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/proof-by-hash", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path), ("hash" = String, Query), ("tree_size" = Option<i64>, Query)),
    responses((status = 200), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_proof_by_hash(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<ProofQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let cp = latest_checkpoint(&state, &b).await?;
    let size = q.tree_size.unwrap_or(cp.tree_size);
    if size < 1 || size > cp.tree_size {
        return Err(AppError::BadRequest(Msg::new("log-error-range")));
    }
    let leaf = find_leaf(&state, &b, &q.hash).await?;
    if leaf.leaf_index >= size {
        return Err(AppError::BadRequest(Msg::new("log-error-range")));
    }
    let (ledger, index) = (state.ledger.clone(), leaf.leaf_index as u64);
    let proof = state
        .with_db(move |conn| {
            ledger.with_tree(conn, id, size as u64, |t| {
                Ok(t.inclusion_proof(index, size as u64)?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "leaf_index": leaf.leaf_index,
        "audit_path": proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
pub struct ConsistencyQuery {
    pub first: i64,
    pub second: i64,
}

/// A consistency proof between two tree sizes (RFC 6962 get-sth-consistency).
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/sth-consistency", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path), ("first" = i64, Query), ("second" = i64, Query)),
    responses((status = 200)))]
pub async fn api_consistency(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<ConsistencyQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (_, b) = public_ballot(&state, &slug, id).await?;
    let cp = latest_checkpoint(&state, &b).await?;
    let (first, second) = (q.first, q.second);
    // An empty tree is consistent with every tree and has no proof (RFC 9162 §2.1.4).
    if first < 1 || second < first || second > cp.tree_size {
        return Err(AppError::BadRequest(Msg::new("log-error-range")));
    }
    let ledger = state.ledger.clone();
    let proof = state
        .with_db(move |conn| {
            ledger.with_tree(conn, id, second as u64, |t| {
                Ok(t.consistency_proof(first as u64, second as u64)?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "consistency": proof.iter().map(|h| b64(h)).collect::<Vec<_>>(),
    })))
}

/// A receipt for any leaf, against the latest checkpoint.
#[utoipa::path(get, path = "/api/v1/communities/{slug}/ballots/{id}/log/receipt", tag = "board",
    params(("slug" = String, Path), ("id" = i64, Path), ("hash" = String, Query)),
    responses((status = 200, body = Receipt), (status = 404, body = crate::shell::errors::Problem)))]
pub async fn api_receipt(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<ProofQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, b) = public_ballot(&state, &slug, id).await?;
    let receipt = public_receipt(&state, &c, &b, &q.hash).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

pub async fn public_receipt(
    state: &web::Data<AppState>,
    c: &Community,
    b: &BallotRow,
    hash: &str,
) -> AppResult<Receipt> {
    let leaf = find_leaf(state, b, hash).await?;
    let cp = latest_checkpoint(state, b).await?;
    let origin = ballot::origin(&state.settings.log_name, &c.slug, b.id);
    let (ledger, b2) = (state.ledger.clone(), b.clone());
    state
        .with_db(move |conn| ledger.receipt_for(conn, &b2, &origin, &leaf, &cp))
        .await
}
