//! The ballot logs: one RFC 9162 Merkle tree per ballot, persisted leaf by leaf in the
//! database, with signed checkpoints.
//!
//! Every process keeps a cache of each ballot's tree (all subtree hashes, in memory) and brings
//! it up to date from the committed leaves before using it; the database is the only source of
//! truth, so any number of processes can serve one PostgreSQL database. Appends go through one
//! writer thread per process ([`writer`]), which commits casts in groups: one transaction, one
//! fsync and one signed checkpoint per group, and every receipt is sent only after its commit.

pub mod announce;
pub mod checks;
pub mod conventions;
pub mod count;
pub mod election_log;
pub mod papers;
pub mod proxies;
pub mod service;
pub mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::clock::Clock;
use crate::crypto::ballot_key::{BallotKey, KeyEncryptionKey};
use crate::crypto::note;
use crate::db::ballots::{self as db_ballots, BallotRow, CheckpointRow, LeafRow};
use crate::db::{Database, DbConn};
use crate::domain::ballot::{short_code, RECEIPT_FORMAT};
use crate::domain::merkle::{self, Hash, MerkleTree};
use crate::error::{AppError, AppResult};

/// Shared by the request handlers and the writer thread of one process.
pub struct Ledger {
    trees: Mutex<HashMap<i64, Arc<Mutex<MerkleTree>>>>,
    /// Unsealed keys, by their sealed form (a rolled-back announcement leaves a key here
    /// that nothing refers to, never a wrong one).
    keys: Mutex<HashMap<String, Arc<BallotKey>>>,
    kek: KeyEncryptionKey,
    pub log_name: String,
    pub clock: Clock,
    writer: writer::Handle,
}

/// A receipt (docs/verification.md §7).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    pub format: String,
    pub origin: String,
    pub ballot: i64,
    pub leaf_index: i64,
    pub leaf_hash: String,
    pub tracker: String,
    #[schema(value_type = Object)]
    pub leaf: serde_json::Value,
    pub checkpoint: String,
    pub inclusion_proof: Vec<String>,
    pub verifier_key: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves consistent data behind (every update is
    // a single push or a truncate), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The key context binds a sealed key to its ballot.
pub fn key_context(ballot_id: i64) -> String {
    format!("yishiting ballot key {ballot_id}")
}

impl Ledger {
    pub fn start(db: Database, kek: KeyEncryptionKey, log_name: String, clock: Clock) -> Arc<Self> {
        Arc::new_cyclic(|weak| Self {
            trees: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            kek,
            log_name,
            clock,
            writer: writer::spawn(db, weak.clone()),
        })
    }

    pub fn kek(&self) -> &KeyEncryptionKey {
        &self.kek
    }

    /// The ballot's signing key, unsealed once per process.
    pub fn key(&self, ballot: &BallotRow) -> AppResult<Arc<BallotKey>> {
        let sealed = ballot.sealed_key.as_deref().ok_or(AppError::NotFound)?;
        if let Some(k) = lock(&self.keys).get(sealed) {
            return Ok(k.clone());
        }
        let key = BallotKey::open(sealed, &self.kek, &key_context(ballot.id)).map_err(|e| {
            AppError::internal(e.context(format!("unsealing the key of ballot {}", ballot.id)))
        })?;
        let key = Arc::new(key);
        lock(&self.keys).insert(sealed.to_owned(), key.clone());
        Ok(key)
    }

    fn tree_cell(&self, ballot_id: i64) -> Arc<Mutex<MerkleTree>> {
        lock(&self.trees).entry(ballot_id).or_default().clone()
    }

    /// Bring a cached tree up to the committed leaves (at least `size` of them).
    fn catch_up(
        conn: &mut DbConn,
        ballot_id: i64,
        tree: &mut MerkleTree,
        size: u64,
    ) -> AppResult<()> {
        if tree.len() >= size {
            return Ok(());
        }
        let hashes = db_ballots::leaf_hashes_from(conn, ballot_id, tree.len() as i64)?;
        for h in hashes {
            let h: Hash = h.as_slice().try_into().map_err(|_| {
                AppError::internal(anyhow::anyhow!("a stored leaf hash is not 32 bytes"))
            })?;
            tree.push(h);
        }
        if tree.len() < size {
            return Err(AppError::internal(anyhow::anyhow!(
                "ballot {ballot_id}: log size {size} but only {} leaves stored",
                tree.len()
            )));
        }
        Ok(())
    }

    /// Run `f` on the ballot's tree holding at least `size` committed leaves.
    pub fn with_tree<T>(
        &self,
        conn: &mut DbConn,
        ballot_id: i64,
        size: u64,
        f: impl FnOnce(&MerkleTree) -> AppResult<T>,
    ) -> AppResult<T> {
        let cell = self.tree_cell(ballot_id);
        let mut tree = lock(&cell);
        Self::catch_up(conn, ballot_id, &mut tree, size)?;
        f(&tree)
    }

    /// Sign the checkpoint of the first `size` leaves and store it, unless one exists.
    pub fn ensure_checkpoint(
        &self,
        conn: &mut DbConn,
        ballot: &BallotRow,
        origin: &str,
        size: u64,
    ) -> AppResult<()> {
        if db_ballots::has_checkpoint(conn, ballot.id, size as i64)? {
            return Ok(());
        }
        let root = self.with_tree(conn, ballot.id, size, |t| Ok(t.root_at(size)?))?;
        let key = self.key(ballot)?;
        store_checkpoint(conn, ballot, origin, size, &root, &key, self.clock.now())?;
        Ok(())
    }

    /// A receipt for a committed leaf against a checkpoint that includes it.
    pub fn receipt_for(
        &self,
        conn: &mut DbConn,
        ballot: &BallotRow,
        origin: &str,
        leaf: &LeafRow,
        checkpoint: &CheckpointRow,
    ) -> AppResult<Receipt> {
        let size = checkpoint.tree_size as u64;
        let index = leaf.leaf_index as u64;
        if index >= size {
            return Err(AppError::NotFound);
        }
        let proof = self.with_tree(conn, ballot.id, size, |t| {
            Ok(t.inclusion_proof(index, size)?)
        })?;
        let key = self.key(ballot)?;
        Ok(build_receipt(
            origin,
            ballot.id,
            leaf,
            &checkpoint.note,
            &proof,
            &note::verifier_key(origin, &key.public_key()),
        ))
    }

    /// Queue casts for the writer; see [`writer::Cast`].
    pub async fn cast(&self, cast: writer::Cast) -> Result<Receipt, writer::CastError> {
        self.writer.submit(cast).await
    }
}

/// Sign the checkpoint of `size` leaves with root `root` and store it; returns the note.
pub fn store_checkpoint(
    conn: &mut DbConn,
    ballot: &BallotRow,
    origin: &str,
    size: u64,
    root: &Hash,
    key: &BallotKey,
    now: i64,
) -> AppResult<String> {
    let note = note::sign_note(
        &note::checkpoint_body(origin, size, root),
        origin,
        key.signing_key(),
    )
    .map_err(AppError::internal)?;
    db_ballots::insert_checkpoint(
        conn,
        &CheckpointRow {
            community_id: ballot.community_id,
            ballot_id: ballot.id,
            tree_size: size as i64,
            root: root.to_vec(),
            note: note.clone(),
            created_at: now,
        },
    )?;
    Ok(note)
}

pub fn build_receipt(
    origin: &str,
    ballot_id: i64,
    leaf: &LeafRow,
    checkpoint: &str,
    proof: &[Hash],
    verifier_key: &str,
) -> Receipt {
    let hash_hex = crate::crypto::tokens::hex(&leaf.leaf_hash);
    Receipt {
        format: RECEIPT_FORMAT.to_owned(),
        origin: origin.to_owned(),
        ballot: ballot_id,
        leaf_index: leaf.leaf_index,
        tracker: short_code(&hash_hex),
        leaf_hash: hash_hex,
        leaf: serde_json::from_str(&leaf.leaf).unwrap_or(serde_json::Value::Null),
        checkpoint: checkpoint.to_owned(),
        inclusion_proof: proof.iter().map(merkle::to_hex).collect(),
        verifier_key: verifier_key.to_owned(),
    }
}

impl From<merkle::MerkleError> for AppError {
    fn from(e: merkle::MerkleError) -> Self {
        tracing::debug!("merkle request refused: {e}");
        AppError::BadRequest(crate::error::Msg::new("log-error-range"))
    }
}
