//! The writer: appends casts to ballot logs in groups (group commit).
//!
//! Requests queue casts on a channel; one thread per process takes everything queued (up to
//! [`MAX_GROUP`]), and in one write transaction, per ballot: takes the ballot's row lock, checks
//! the ballot still accepts casts and that no request is a replay, appends the leaves, signs one
//! checkpoint for the new size, and commits. Only after the commit does each request get its
//! receipt; if the transaction fails, nobody gets one and the cached trees are rolled back.
//! Casting for a voter who already cast appends a newer leaf; which of a voter's leaves counts
//! is the ballot's conflict rule (docs/verification.md §14.3), checked for each new leaf under
//! the lock by [`super::checks`] (proxy authorisations, paper families, scans), so that any
//! number of concurrent casts for one voter end with exactly one effective ballot.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::oneshot;

use super::{build_receipt, lock, store_checkpoint, Ledger, Receipt};
use crate::crypto::{canonical, note};
use crate::db::ballots::{self as db_ballots, BallotRow, LeafRow, VoterRow};
use crate::db::{write_tx, Database};
use crate::domain::ballot::{Answer, Leaf, Privacy, LEAF_FORMAT};
use crate::domain::casting::Channel;
use crate::domain::lifecycle::Status;
use crate::domain::merkle::{self, MerkleTree};
use crate::error::AppError;

/// The most casts committed in one transaction.
pub const MAX_GROUP: usize = 512;

/// One cast, checked by the request handler (voter, answers) and re-checked here (window,
/// replay) under the ballot's lock.
#[derive(Debug, Clone)]
pub struct Cast {
    pub ballot: Arc<BallotRow>,
    pub origin: String,
    pub voter: VoterRow,
    pub user_id: i64,
    /// SHA-256 of the request's one-time nonce, hex.
    pub nonce_hash: String,
    pub answers: Vec<Answer>,
    /// How it reaches the log; `user_id` is the voter (online), the proxy (proxy), the
    /// organiser (paper) or the scrutineer (confirm).
    pub channel: CastChannel,
}

/// How a cast reaches the log (docs/verification.md §14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastChannel {
    /// The owner votes in the service.
    Online,
    /// A proxy votes for the owner under the owner's active authorisation.
    Proxy,
    /// An organiser enters a returned ballot paper (`corrects: None`, the paper's one-time
    /// code named the voter) or corrects a paper family (`corrects`: any leaf of it).
    Paper {
        scan_sha256: String,
        corrects: Option<i64>,
    },
    /// A scrutineer (at `position` in the manifest's scrutineers) confirms the paper entry
    /// `seen`; the answers, weights and scan are the entry's own.
    Confirm { seen: i64, position: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CastError {
    #[error("the ballot does not accept casts now")]
    NotOpen,
    #[error("this request was already recorded")]
    Replay,
    #[error("{0}")]
    Refused(crate::domain::casting::Refusal),
    #[error("the service is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

struct Job {
    cast: Cast,
    reply: oneshot::Sender<Result<Receipt, CastError>>,
}

pub struct Handle {
    tx: Option<mpsc::Sender<Job>>,
}

impl Handle {
    pub async fn submit(&self, cast: Cast) -> Result<Receipt, CastError> {
        let (reply, rx) = oneshot::channel();
        let tx = self.tx.as_ref().ok_or(CastError::Unavailable)?;
        tx.send(Job { cast, reply })
            .map_err(|_| CastError::Unavailable)?;
        rx.await.map_err(|_| CastError::Internal)?
    }
}

/// Start the writer thread. It ends when the ledger is dropped.
pub(super) fn spawn(db: Database, ledger: Weak<Ledger>) -> Handle {
    let (tx, rx) = mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("ballot-writer".into())
        .spawn(move || run(db, ledger, rx));
    match started {
        Ok(_) => Handle { tx: Some(tx) },
        Err(e) => {
            tracing::error!("cannot start the ballot writer thread: {e}");
            Handle { tx: None }
        }
    }
}

fn run(db: Database, ledger: Weak<Ledger>, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let Some(ledger) = ledger.upgrade() else {
            break;
        };
        commit_group(&db, &ledger, jobs);
    }
}

type Outcome = Result<Receipt, CastError>;

fn commit_group(db: &Database, ledger: &Ledger, jobs: Vec<Job>) {
    let (casts, replies): (Vec<Cast>, Vec<_>) = jobs.into_iter().map(|j| (j.cast, j.reply)).unzip();
    let outcomes = match db.conn() {
        Ok(mut conn) => append_group(&mut conn, ledger, &casts),
        Err(e) => {
            tracing::warn!("ballot writer has no database connection: {e}");
            vec![Err(CastError::Unavailable); casts.len()]
        }
    };
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        // The requester may have gone away; its ballot is committed all the same.
        let _ = reply.send(outcome);
    }
}

fn append_group(conn: &mut crate::db::DbConn, ledger: &Ledger, casts: &[Cast]) -> Vec<Outcome> {
    let mut by_ballot: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, c) in casts.iter().enumerate() {
        by_ballot.entry(c.ballot.id).or_default().push(i);
    }
    // Each cached tree is locked after the ballot's row lock (the order every other path
    // takes: database first, then tree) and held until the commit, so that readers of this
    // process never see leaves that are not committed.
    let cells: Vec<_> = by_ballot.keys().map(|id| ledger.tree_cell(*id)).collect();
    let mut trees: Vec<MutexGuard<'_, MerkleTree>> = Vec::with_capacity(cells.len());
    let now = ledger.clock.now();
    let result = write_tx(conn, |conn| -> Result<Vec<Option<Outcome>>, AppError> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; casts.len()];
        for ((ballot_id, idxs), cell) in by_ballot.iter().zip(cells.iter()) {
            append_ballot(
                conn,
                ledger,
                *ballot_id,
                idxs,
                casts,
                (cell, &mut trees),
                now,
                &mut outcomes,
            )?;
        }
        Ok(outcomes)
    });
    match result {
        Ok(outcomes) => outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Err(CastError::Internal)))
            .collect(),
        Err(e) => {
            // Nothing was committed: forget the uncommitted leaves.
            for tree in trees.iter_mut() {
                **tree = MerkleTree::new();
            }
            let err = match e {
                AppError::Unavailable(_) => CastError::Unavailable,
                _ => CastError::Internal,
            };
            tracing::error!("ballot log append failed: {e}");
            vec![Err(err); casts.len()]
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn append_ballot<'a>(
    conn: &mut crate::db::DbConn,
    ledger: &Ledger,
    ballot_id: i64,
    idxs: &[usize],
    casts: &[Cast],
    (cell, guards): (&'a Mutex<MerkleTree>, &mut Vec<MutexGuard<'a, MerkleTree>>),
    now: i64,
    outcomes: &mut [Option<Outcome>],
) -> Result<(), AppError> {
    let Some(first) = idxs.first().map(|i| &casts[*i]) else {
        return Ok(());
    };
    let ballot = &first.ballot;
    let origin = &first.origin;
    let Some((size, status)) = db_ballots::lock_for_append(conn, ballot_id)? else {
        for i in idxs {
            outcomes[*i] = Some(Err(CastError::NotOpen));
        }
        return Ok(());
    };
    let open = status == Status::Open.as_str() && ballot.opens_at <= now && now < ballot.closes_at;
    // Kept in `guards` before any change, so that a failed transaction resets this tree too.
    guards.push(lock(cell));
    let Some(tree) = guards.last_mut() else {
        return Err(AppError::internal(anyhow::anyhow!("no tree lock")));
    };
    let tree: &mut MerkleTree = tree;
    if tree.len() > size as u64 {
        // Only committed leaves are ever kept; start over if that was ever violated.
        *tree = MerkleTree::new();
    }
    Ledger::catch_up(conn, ballot_id, tree, size as u64)?;
    let key = ledger.key(ballot)?;
    let mut seen = HashSet::new();
    let mut checks = super::checks::Checks::new(ballot, &key);
    // The replays among this group, found with one query.
    let used: HashSet<String> = if open {
        let hashes: Vec<&str> = idxs.iter().map(|i| casts[*i].nonce_hash.as_str()).collect();
        db_ballots::nonces_used(conn, ballot_id, &hashes)?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    // The appended leaves, and for each the position of its cast in `casts`.
    let mut leaves: Vec<LeafRow> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    for &i in idxs {
        let cast = &casts[i];
        if !open {
            outcomes[i] = Some(Err(CastError::NotOpen));
            continue;
        }
        if !seen.insert(cast.nonce_hash.as_str()) || used.contains(&cast.nonce_hash) {
            outcomes[i] = Some(Err(CastError::Replay));
            continue;
        }
        let index = tree.len() as i64;
        let admitted = match checks.admit(conn, cast, index, now)? {
            Ok(a) => a,
            Err(refusal) => {
                outcomes[i] = Some(Err(CastError::Refused(refusal)));
                continue;
            }
        };
        let confidential = ballot.privacy == Privacy::Confidential.as_str();
        let leaf = Leaf {
            format: LEAF_FORMAT.to_owned(),
            origin: origin.clone(),
            ballot: ballot_id,
            cast_id: crate::crypto::random_hex(16).map_err(AppError::internal)?,
            cast_at: now,
            area_centi: cast.voter.area_centi,
            headcount: cast.voter.headcount,
            answers: admitted.answers.clone(),
            voter: (!confidential).then_some(cast.voter.voter_index),
            rooms: (!confidential).then(|| cast.voter.rooms()),
            tag: confidential.then(|| key.voter_tag(cast.voter.voter_index as u64)),
            channel: (admitted.channel != Channel::Online).then_some(admitted.channel),
            proxy: admitted.proxy.clone(),
            paper: admitted.paper.clone(),
            corrects: admitted.corrects.and_then(|c| u64::try_from(c).ok()),
        };
        let bytes = canonical::to_jcs(&leaf).map_err(AppError::internal)?;
        let hash = merkle::leaf_hash(&bytes);
        let index = tree.push(hash);
        owners.push(i);
        let row = LeafRow {
            community_id: ballot.community_id,
            ballot_id,
            leaf_index: index as i64,
            voter_index: cast.voter.voter_index,
            leaf: String::from_utf8(bytes).map_err(AppError::internal)?,
            leaf_hash: hash.to_vec(),
            nonce_hash: cast.nonce_hash.clone(),
            cast_by: Some(cast.user_id),
            cast_at: now,
            channel: admitted.channel.as_str().to_owned(),
            corrects: admitted.corrects,
            confirmed_by: admitted.confirmed_by,
            scan_sha256: admitted.scan_sha256.clone(),
            authorisation_id: admitted.authorisation_id,
        };
        checks.appended(&row);
        leaves.push(row);
    }
    if leaves.is_empty() {
        return Ok(());
    }
    let new_size = tree.len();
    db_ballots::append_leaves(conn, ballot_id, &leaves, new_size as i64)?;
    let root = tree.root();
    let checkpoint = store_checkpoint(conn, ballot, origin, new_size, &root, &key, now)?;
    let vkey = note::verifier_key(origin, &key.public_key());
    for (i, leaf) in owners.into_iter().zip(&leaves) {
        let proof = tree.inclusion_proof(leaf.leaf_index as u64, new_size)?;
        outcomes[i] = Some(Ok(build_receipt(
            origin,
            ballot_id,
            leaf,
            &checkpoint,
            &proof,
            &vkey,
        )));
    }
    Ok(())
}
