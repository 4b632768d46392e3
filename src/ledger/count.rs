//! The count: the preliminary tally record at close, objections, the final record after the
//! objection period, the scrutineers' co-signatures and the bundle an observer verifies.

use super::Ledger;
use crate::crypto::{b64, canonical, scrutineer_key, tokens};
use crate::db::ballots::BallotRow;
use crate::db::communities::Community;
use crate::db::tally::{self as db_tally, CosignatureRow, RecordRow};
use crate::db::DbConn;
use crate::domain::ballot::{Leaf, Manifest, Privacy};
use crate::domain::merkle;
use crate::domain::tally::Weights;
use crate::domain::tally_record::{
    self, Cosignature, Objection, RecordCheckpoint, RecordInput, Recount, Stage, TallyRecord,
    VoterKey,
};
use crate::error::{AppError, AppResult, Msg};

pub const PRELIMINARY: &str = "preliminary";
pub const FINAL: &str = "final";

fn internal(msg: String) -> AppError {
    AppError::internal(anyhow::anyhow!(msg))
}

/// The manifest as announced.
pub fn manifest_of(b: &BallotRow) -> AppResult<Manifest> {
    let text = b.manifest.as_deref().ok_or(AppError::NotFound)?;
    serde_json::from_str(text).map_err(AppError::internal)
}

/// Recount a ballot's log and write its signed preliminary record, once (at close).
pub fn preliminary(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    b: &BallotRow,
) -> AppResult<()> {
    if db_tally::record(conn, b.id, PRELIMINARY)?.is_some() {
        return Ok(());
    }
    let manifest = manifest_of(b)?;
    let manifest_text = b.manifest.as_deref().unwrap_or_default();
    let questions = manifest.questions.clone();
    let voters = usize::try_from(manifest.electorate.voters).unwrap_or(0);
    let mut recount = Recount::with_capacity(&questions, voters)
        .with_rule(manifest.casting.conflict_rule, manifest.closes_at);
    let texts = db_tally::leaf_texts(conn, b.id)?;
    for (i, text) in texts.iter().enumerate() {
        let leaf: Leaf = serde_json::from_str(text).map_err(AppError::internal)?;
        let key = match manifest.privacy {
            Privacy::Open => VoterKey::Index(leaf.voter.unwrap_or(-1)),
            Privacy::Confidential => leaf
                .tag
                .as_deref()
                .and_then(VoterKey::tag)
                .ok_or_else(|| internal(format!("ballot {}: leaf {i} has no tag", b.id)))?,
        };
        let weights = Weights {
            area_centi: leaf.area_centi,
            headcount: leaf.headcount,
        };
        let choices = tally_record::compact_choices(&questions, &leaf.answers)
            .map_err(|e| internal(format!("ballot {}: leaf {i}: {e}", b.id)))?;
        recount.add_entry(leaf.entry(i as u64), key, weights, choices);
    }
    let size = texts.len() as u64;
    // The final checkpoint, signed at close, covers exactly these leaves.
    let origin = manifest.origin.clone();
    ledger.ensure_checkpoint(conn, b, &origin, size)?;
    let root = ledger.with_tree(conn, b.id, size, |t| Ok(t.root_at(size)?))?;
    let now = ledger.clock.now();
    let record = tally_record::preliminary(
        RecordInput {
            manifest: &manifest,
            manifest_sha256: tokens::sha256_hex(manifest_text),
            checkpoint: RecordCheckpoint {
                size,
                root: merkle::to_hex(&root),
            },
            tallied_at: now,
            objection_days: i64::from(c.objection_days),
        },
        &recount,
    );
    let ends_at = record.objection_period.ends_at;
    store(conn, ledger, b, PRELIMINARY, &record, now)?;
    db_tally::set_objection_ends_at(conn, b.id, ends_at)?;
    Ok(())
}

fn store(
    conn: &mut DbConn,
    ledger: &Ledger,
    b: &BallotRow,
    stage: &str,
    record: &TallyRecord,
    now: i64,
) -> AppResult<RecordRow> {
    let bytes = canonical::to_jcs(record).map_err(AppError::internal)?;
    let key = ledger.key(b)?;
    let signature = b64(&key.sign(&tally_record::record_message(&bytes)));
    let row = RecordRow {
        ballot_id: b.id,
        stage: stage.to_owned(),
        sha256: tokens::sha256_hex_bytes(&bytes),
        record: String::from_utf8(bytes).map_err(AppError::internal)?,
        signature,
        created_at: now,
    };
    db_tally::insert_record(conn, &row)?;
    Ok(row)
}

/// Write the final record: refuses while an objection is unanswered. The caller has checked
/// the lifecycle (the objection period is over).
pub fn finalise(conn: &mut DbConn, ledger: &Ledger, b: &BallotRow) -> AppResult<()> {
    if db_tally::record(conn, b.id, FINAL)?.is_some() {
        return Ok(());
    }
    let prelim_row = db_tally::record(conn, b.id, PRELIMINARY)?
        .ok_or_else(|| internal(format!("ballot {} has no preliminary record", b.id)))?;
    let prelim: TallyRecord =
        serde_json::from_str(&prelim_row.record).map_err(AppError::internal)?;
    let rows = db_tally::objections(conn, b.id)?;
    let mut objections = Vec::with_capacity(rows.len());
    for o in rows {
        let (Some(response), Some(responded_at)) = (o.response, o.responded_at) else {
            return Err(AppError::Conflict(Msg::new("tally-error-unanswered")));
        };
        objections.push(Objection {
            id: o.id,
            received_at: o.received_at,
            text: o.body,
            response,
            responded_at,
        });
    }
    let now = ledger.clock.now();
    let record = tally_record::finalise(&prelim, prelim_row.sha256.clone(), objections, now);
    debug_assert_eq!(record.stage, Stage::Final);
    store(conn, ledger, b, FINAL, &record, now)?;
    Ok(())
}

/// Whether enough scrutineers have co-signed the final record to certify.
pub fn can_certify(conn: &mut DbConn, b: &BallotRow) -> AppResult<bool> {
    let have = db_tally::cosignatures(conn, b.id)?.len() as i64;
    Ok(have >= i64::from(b.cosignatures_required))
}

/// Accept a scrutineer's co-signature over the final record.
pub fn cosign(
    conn: &mut DbConn,
    ledger: &Ledger,
    b: &BallotRow,
    user_id: i64,
    signature: &str,
) -> AppResult<CosignatureRow> {
    let scrutineer = db_tally::scrutineers(conn, b.id)?
        .into_iter()
        .find(|s| s.user_id == user_id)
        .ok_or(AppError::Forbidden)?;
    let final_row = db_tally::record(conn, b.id, FINAL)?
        .ok_or_else(|| AppError::Conflict(Msg::new("cosign-error-not-final")))?;
    let signature = signature.trim();
    if !scrutineer_key::verify_cosignature(&scrutineer.public_key, &final_row.sha256, signature) {
        return Err(AppError::BadRequest(Msg::new("cosign-error-signature")));
    }
    let row = CosignatureRow {
        ballot_id: b.id,
        position: scrutineer.position,
        record_sha256: final_row.sha256,
        signature: signature.to_owned(),
        signed_at: ledger.clock.now(),
    };
    if !db_tally::insert_cosignature(conn, &row)? {
        return Err(AppError::Conflict(Msg::new("cosign-error-twice")));
    }
    Ok(row)
}

/// The co-signatures as published (docs/verification.md §10).
pub fn cosignatures(conn: &mut DbConn, ballot_id: i64) -> AppResult<Vec<Cosignature>> {
    let scrutineers = db_tally::scrutineers(conn, ballot_id)?;
    Ok(db_tally::cosignatures(conn, ballot_id)?
        .into_iter()
        .filter_map(|c| {
            let s = scrutineers.iter().find(|s| s.position == c.position)?;
            Some(Cosignature {
                scrutineer: i64::from(c.position),
                name: s.name.clone(),
                public_key: s.public_key.clone(),
                signed_at: c.signed_at,
                signature: c.signature,
            })
        })
        .collect())
}

/// The files of a ballot's bundle (`yishiting/bundle/v1`, docs/verification.md §11), name
/// and contents, in archive order.
pub fn bundle_files(
    conn: &mut DbConn,
    ledger: &Ledger,
    b: &BallotRow,
) -> AppResult<Vec<(String, Vec<u8>)>> {
    let (Some(manifest), Some(signature), Some(snapshot)) =
        (&b.manifest, &b.manifest_signature, &b.snapshot)
    else {
        return Err(AppError::NotFound);
    };
    let manifest: serde_json::Value = serde_json::from_str(manifest).map_err(AppError::internal)?;
    let origin = manifest["origin"].as_str().unwrap_or_default().to_owned();
    let json = |v: &serde_json::Value| -> AppResult<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(v).map_err(AppError::internal)?;
        out.push(b'\n');
        Ok(out)
    };
    let mut files = vec![
        (
            "bundle.json".to_owned(),
            json(&serde_json::json!({
                "format": "yishiting/bundle/v1",
                "origin": origin,
                "ballot": b.id,
                "status": b.status,
                "created_at": ledger.clock.now(),
            }))?,
        ),
        (
            "manifest.json".to_owned(),
            json(&serde_json::json!({ "manifest": manifest, "signature": signature }))?,
        ),
        ("electorate.json".to_owned(), snapshot.as_bytes().to_vec()),
    ];
    let roll = crate::db::casting::roll(conn, b)?;
    files.push((
        "roll.json".to_owned(),
        json(&serde_json::json!({ "voters": roll }))?,
    ));
    let mut checkpoints = Vec::new();
    for n in db_tally::checkpoint_notes(conn, b.id)? {
        checkpoints.extend(serde_json::to_vec(&n).map_err(AppError::internal)?);
        checkpoints.push(b'\n');
    }
    files.push(("checkpoints.jsonl".to_owned(), checkpoints));
    for (stage, name) in [
        (PRELIMINARY, "tally-preliminary.json"),
        (FINAL, "tally-final.json"),
    ] {
        if let Some(row) = db_tally::record(conn, b.id, stage)? {
            let record: serde_json::Value =
                serde_json::from_str(&row.record).map_err(AppError::internal)?;
            files.push((
                name.to_owned(),
                json(&serde_json::json!({ "record": record, "signature": row.signature }))?,
            ));
        }
    }
    let cosigs = cosignatures(conn, b.id)?;
    files.push((
        "cosignatures.json".to_owned(),
        json(&serde_json::to_value(&cosigs).map_err(AppError::internal)?)?,
    ));
    // The entries last, so a verifier reading the archive as a stream has everything else
    // in hand before them (the order of `verify::BUNDLE_FILES`).
    let mut entries = Vec::new();
    for t in db_tally::leaf_texts(conn, b.id)? {
        entries.extend_from_slice(t.as_bytes());
        entries.push(b'\n');
    }
    files.push(("entries.jsonl".to_owned(), entries));
    Ok(files)
}
