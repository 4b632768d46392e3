//! The public bulletin board pages (no login): a ballot's notice, live turnout against the
//! 2/3 line, the participation roll, the log, the electorate, and the receipt check.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::ballots_api::{load, view};
use super::board_api;
use super::roster::community_by_slug;
use crate::app::AppState;
use crate::clock;
use crate::db::ballots as db_ballots;
use crate::db::casting as db_casting;
use crate::domain::ballot::{self, Snapshot};
use crate::domain::lifecycle::Status;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult};
use crate::shell::{markdown, PageCtx};

/// A turnout meter: participating vs. total, and the two-thirds line (Civil Code Art. 278:
/// owners with two thirds of the area and two thirds of the headcount must take part).
fn meter(part: i64, total: i64) -> serde_json::Value {
    // Display only: whole per-mille, rounded down. The decision itself is counted exactly.
    let permille = if total > 0 { part * 1000 / total } else { 0 };
    // The smallest integer t with 3t >= 2·total.
    let line = (2 * total + 2) / 3;
    serde_json::json!({
        "part": part,
        "total": total,
        "line": line,
        "percent": format!("{}.{}", permille / 10, permille % 10),
        "reached": 3 * part >= 2 * total && total > 0,
    })
}

fn snapshot_of(b: &db_ballots::BallotRow) -> Option<Snapshot> {
    serde_json::from_str(b.snapshot.as_deref()?).ok()
}

pub async fn board_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let b = load(&state, &c, id, page.user.as_ref()).await?;
    let organiser = page
        .user
        .as_ref()
        .is_some_and(|u| u.grants.allows(Action::ManageBallots, c.id));
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    ctx.insert("description_html", &markdown::render(&b.description));
    let bid = b.id;
    let proposal = state
        .with_db(move |conn| Ok(crate::db::proposals::by_ballot(conn, bid)?))
        .await?;
    ctx.insert(
        "proposal",
        &proposal.map(|p| serde_json::json!({ "id": p.id, "title": p.title })),
    );
    ctx.insert("opens", &clock::format_shanghai(b.opens_at));
    ctx.insert("closes", &clock::format_shanghai(b.closes_at));
    ctx.insert(
        "announced",
        &b.announced_at
            .map(clock::format_shanghai)
            .unwrap_or_default(),
    );
    ctx.insert("organiser", &organiser);
    // The ballot's scrutineers confirm paper entries.
    let scrutineer = match page.user.as_ref() {
        Some(u) => {
            let (bid, uid) = (b.id, u.user.id);
            state
                .with_db(move |conn| {
                    Ok(crate::db::tally::scrutineer_position(conn, bid, uid)?.is_some())
                })
                .await?
        }
        None => false,
    };
    ctx.insert("scrutineer", &scrutineer);
    let actions: Vec<&str> = match b.status() {
        Status::Draft => vec!["announce"],
        Status::Announced => vec!["open", "cancel"],
        Status::Open => vec!["close", "cancel"],
        Status::Closed => vec!["tally"],
        Status::Tallied => vec!["finalise"],
        Status::Finalised => vec!["certify"],
        _ => vec![],
    };
    ctx.insert("actions", &actions);
    let buildings = {
        let cid = c.id;
        state
            .with_db(move |conn| Ok(crate::db::roster::buildings(conn, cid)?))
            .await?
    };
    let scope: Vec<String> = b
        .scope()
        .iter()
        .filter_map(|bid| buildings.iter().find(|x| x.id == *bid))
        .map(|x| x.name.clone())
        .collect();
    ctx.insert("scope", &scope);
    // The convention version this ballot decides, if any.
    let convention = state
        .with_db(move |conn| Ok(crate::db::conventions::by_ballot(conn, id)?))
        .await?
        .map(|(conv, ver)| {
            serde_json::json!({ "id": conv.id, "title": conv.title, "version": ver.version,
                "text_sha256": ver.text_sha256 })
        });
    ctx.insert("convention", &convention);
    if b.status().is_public() {
        let roll = board_api::roll(&state, &b).await?;
        let snapshot = snapshot_of(&b);
        let rooms: Vec<String> = snapshot.as_ref().map_or_else(Vec::new, |s| {
            roll.voters
                .iter()
                .filter_map(|i| s.voters.get(*i as usize))
                .map(|v| v.rooms.join("、"))
                .collect()
        });
        ctx.insert(
            "area_meter",
            &meter(roll.turnout.area_centi, roll.electorate_area_centi),
        );
        ctx.insert(
            "head_meter",
            &meter(roll.turnout.headcount, roll.electorate_headcount),
        );
        ctx.insert("roll", &roll);
        ctx.insert("roll_rooms", &rooms);
        let checkpoint = board_api::latest_checkpoint(&state, &b)
            .await
            .ok()
            .map(|cp| cp.note);
        ctx.insert("checkpoint", &checkpoint);
        let manifest: Option<serde_json::Value> = b
            .manifest
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok());
        ctx.insert("manifest", &manifest);
        let mine = match page.user.as_ref() {
            Some(u) => {
                let (grants, cid) = (u.grants.clone(), c.id);
                state
                    .with_db(move |conn| Ok(db_ballots::voter_for(conn, id, cid, &grants)?))
                    .await?
                    .is_some()
            }
            None => false,
        };
        let now = state.ledger.clock.now();
        ctx.insert(
            "can_vote",
            &(mine && b.status() == Status::Open && b.opens_at <= now && now < b.closes_at),
        );
        if let Some(user) = page.user.as_ref() {
            let (uid, b2) = (user.user.id, b.clone());
            // The leaves this user appended (their own ballots, and those cast as a proxy,
            // entered from paper or confirmed), each marked when it is the one that counts.
            let (leaves, counting) = state
                .with_db(move |conn| {
                    let leaves = db_ballots::leaves_cast_by(conn, id, uid)?;
                    let mut voters: Vec<i64> = leaves.iter().map(|l| l.voter_index).collect();
                    voters.sort_unstable();
                    voters.dedup();
                    let all = db_casting::voter_leaves(conn, id, &voters)?;
                    let counting: Vec<i64> = voters
                        .iter()
                        .filter_map(|v| {
                            let rows: Vec<_> = all.iter().filter(|l| l.voter_index == *v).collect();
                            db_casting::effective_index(&b2, &rows)
                        })
                        .collect();
                    Ok((leaves, counting))
                })
                .await?;
            let mine: Vec<_> = leaves
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "index": l.leaf_index,
                        "tracker": ballot::short_code(&crate::crypto::tokens::hex(&l.leaf_hash)),
                        "cast_at": clock::format_shanghai(l.cast_at),
                        "channel": l.channel,
                        "confirms": l.confirmed_by.is_some(),
                        "counts": counting.contains(&l.leaf_index),
                    })
                })
                .collect();
            ctx.insert("my_receipts", &mine);
        }
    }
    page.render(&state.tera, "ballot.html", ctx)
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: i64,
}

pub const LOG_PAGE: i64 = 50;

pub async fn log_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, b) = board_api::public_ballot(&state, &slug, id).await?;
    let cp = board_api::latest_checkpoint(&state, &b).await?;
    let pages = (cp.tree_size + LOG_PAGE - 1) / LOG_PAGE;
    if q.page < 0 || (q.page > 0 && q.page >= pages) {
        return Err(AppError::NotFound);
    }
    let start = q.page * LOG_PAGE;
    let end = (start + LOG_PAGE).min(cp.tree_size) - 1;
    let b2 = b.clone();
    let rows = if end >= start {
        state
            .with_db(move |conn| Ok(db_casting::entries(conn, &b2, start, end)?))
            .await?
    } else {
        Vec::new()
    };
    let entries: Vec<_> = rows
        .iter()
        .map(|(r, standing)| {
            let leaf: serde_json::Value = serde_json::from_str(&r.leaf).unwrap_or_default();
            let hash = crate::crypto::tokens::hex(&r.leaf_hash);
            serde_json::json!({
                "index": r.leaf_index,
                "tracker": ballot::short_code(&hash),
                "hash": hash,
                "who": who(&leaf),
                "area": leaf["area_centi"],
                "answers": leaf["answers"],
                "cast_at": clock::format_shanghai(r.cast_at),
                "superseded": standing.superseded(),
                "pending": standing.pending,
                "channel": r.channel,
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    ctx.insert("entries", &entries);
    ctx.insert("page", &q.page);
    ctx.insert("pages", &pages);
    ctx.insert("size", &cp.tree_size);
    page.render(&state.tera, "ballot_log.html", ctx)
}

/// Who a leaf names: its rooms (open mode), or the start of its tag (confidential mode).
fn who(leaf: &serde_json::Value) -> String {
    if let Some(rooms) = leaf["rooms"].as_array() {
        let rooms: Vec<&str> = rooms.iter().filter_map(|r| r.as_str()).collect();
        return rooms.join("、");
    }
    leaf["tag"]
        .as_str()
        .map(|t| t.chars().take(8).collect())
        .unwrap_or_default()
}

pub async fn electorate_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, b) = board_api::public_ballot(&state, &slug, id).await?;
    let snapshot = snapshot_of(&b).ok_or(AppError::NotFound)?;
    let roll = board_api::roll(&state, &b).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    ctx.insert("snapshot", &snapshot);
    ctx.insert("voted", &roll.voters);
    page.render(&state.tera, "ballot_electorate.html", ctx)
}

pub async fn verify_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let (c, b) = board_api::public_ballot(&state, &slug, id).await?;
    let manifest: serde_json::Value = b
        .manifest
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .ok_or(AppError::NotFound)?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("ballot", &view(&state, &c, &b));
    ctx.insert("manifest", &manifest);
    page.render(&state.tera, "ballot_verify.html", ctx)
}
