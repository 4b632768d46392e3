//! The event log of an election: every recorded step of the procedure is a leaf of its own
//! RFC 9162 Merkle tree, with a checkpoint signed by the election's own Ed25519 key after each
//! append (the same note format as ballot logs, docs/verification.md), so the whole procedure
//! can be checked later, not just the vote.
//!
//! Appends happen inside the caller's write transaction after [`db_elections::lock`]: the
//! leaf, the new size and the checkpoint commit together with the step they record, or not
//! at all. Logs are short (tens of leaves), so the tree is rebuilt from the stored hashes.

use serde::Serialize;

use crate::crypto::ballot_key::BallotKey;
use crate::crypto::{canonical, note};
use crate::db::elections::{self as db_elections, CheckpointRow, ElectionRow, EventRow};
use crate::db::DbConn;
use crate::domain::election::{Event, EventLeaf};
use crate::domain::merkle::{self, Hash, MerkleTree};
use crate::error::{AppError, AppResult};

use super::Ledger;

/// The key context binds a sealed key to its election.
pub fn key_context(election_id: i64) -> String {
    format!("yishiting election key {election_id}")
}

/// A fresh signing key for an election, sealed with the service's key-encryption key.
pub fn new_sealed_key(ledger: &Ledger, election_id: i64) -> AppResult<String> {
    let key = BallotKey::generate().map_err(AppError::internal)?;
    key.seal(ledger.kek(), &key_context(election_id))
        .map_err(AppError::internal)
}

fn open_key(ledger: &Ledger, e: &ElectionRow) -> AppResult<BallotKey> {
    BallotKey::open(&e.sealed_key, ledger.kek(), &key_context(e.id)).map_err(|err| {
        AppError::internal(err.context(format!("unsealing the key of election {}", e.id)))
    })
}

/// The election log's verifier key (C2SP signed-note format).
pub fn verifier_key(ledger: &Ledger, e: &ElectionRow, origin: &str) -> AppResult<String> {
    Ok(note::verifier_key(
        origin,
        &open_key(ledger, e)?.public_key(),
    ))
}

/// What an append produced.
#[derive(Debug, Clone, Serialize)]
pub struct Appended {
    pub leaf_index: i64,
    pub leaf_hash: String,
    pub checkpoint: String,
}

fn tree_of(conn: &mut DbConn, election_id: i64) -> AppResult<MerkleTree> {
    let mut tree = MerkleTree::new();
    for h in db_elections::leaf_hashes(conn, election_id)? {
        let h: Hash = h.as_slice().try_into().map_err(|_| {
            AppError::internal(anyhow::anyhow!("a stored leaf hash is not 32 bytes"))
        })?;
        tree.push(h);
    }
    Ok(tree)
}

/// Append `event` to the election's log and sign a checkpoint for the new size. `e` must be
/// the row read under [`db_elections::lock`] in the current write transaction.
pub fn append(
    conn: &mut DbConn,
    ledger: &Ledger,
    e: &ElectionRow,
    origin: &str,
    event: Event,
    now: i64,
) -> AppResult<Appended> {
    let mut tree = tree_of(conn, e.id)?;
    if tree.len() != e.log_size as u64 {
        return Err(AppError::internal(anyhow::anyhow!(
            "election {}: log size {} but {} leaves stored",
            e.id,
            e.log_size,
            tree.len()
        )));
    }
    let seq = e.log_size;
    let leaf = EventLeaf::new(origin.to_owned(), e.id, now, event);
    let body = canonical::to_jcs(&leaf).map_err(AppError::internal)?;
    let hash = merkle::leaf_hash(&body);
    let body = String::from_utf8(body).map_err(AppError::internal)?;
    db_elections::insert_event(
        conn,
        &EventRow {
            election_id: e.id,
            leaf_index: seq,
            leaf_hash: hash.to_vec(),
            body,
            created_at: now,
        },
    )?;
    tree.push(hash);
    let size = tree.len();
    let root = tree.root_at(size)?;
    let key = open_key(ledger, e)?;
    let checkpoint = note::sign_note(
        &note::checkpoint_body(origin, size, &root),
        origin,
        key.signing_key(),
    )
    .map_err(AppError::internal)?;
    db_elections::insert_checkpoint(
        conn,
        &CheckpointRow {
            election_id: e.id,
            tree_size: size as i64,
            root: root.to_vec(),
            note: checkpoint.clone(),
            created_at: now,
        },
    )?;
    Ok(Appended {
        leaf_index: seq,
        leaf_hash: merkle::to_hex(&hash),
        checkpoint,
    })
}

/// The leaves of the log, parsed (for [`crate::domain::election::replay`]).
pub fn leaves(conn: &mut DbConn, election_id: i64) -> AppResult<Vec<EventLeaf>> {
    db_elections::events(conn, election_id)?
        .into_iter()
        .map(|r| {
            serde_json::from_str(&r.body).map_err(|err| {
                AppError::internal(anyhow::anyhow!(
                    "election {election_id}: leaf {} does not parse: {err}",
                    r.leaf_index
                ))
            })
        })
        .collect()
}

/// The whole public log of an election: leaves, the latest checkpoint and the verifier key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicLog {
    pub origin: String,
    pub verifier_key: String,
    pub checkpoint: Option<String>,
    pub size: i64,
    /// The leaves in order, each as its canonical JSON text (hash = SHA-256(0x00 || text)).
    pub leaves: Vec<String>,
}

pub fn public_log(
    conn: &mut DbConn,
    ledger: &Ledger,
    e: &ElectionRow,
    origin: &str,
) -> AppResult<PublicLog> {
    let leaves: Vec<String> = db_elections::events(conn, e.id)?
        .into_iter()
        .map(|r| r.body)
        .collect();
    let checkpoint = db_elections::latest_checkpoint(conn, e.id)?;
    Ok(PublicLog {
        origin: origin.to_owned(),
        verifier_key: verifier_key(ledger, e, origin)?,
        size: checkpoint.as_ref().map_or(0, |c| c.tree_size),
        checkpoint: checkpoint.map(|c| c.note),
        leaves,
    })
}

/// An inclusion proof of leaf `index` in the log of `size` leaves.
pub fn inclusion_proof(
    conn: &mut DbConn,
    election_id: i64,
    index: u64,
    size: u64,
) -> AppResult<Vec<String>> {
    let tree = tree_of(conn, election_id)?;
    Ok(tree
        .inclusion_proof(index, size)?
        .iter()
        .map(merkle::to_hex)
        .collect())
}
