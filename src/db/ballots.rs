//! Ballots, their frozen electorate, the append-only ballot log and its checkpoints.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{
    ballot_checkpoints, ballot_leaves, ballot_voter_owners, ballot_voter_residents, ballot_voters,
    ballots, communities,
};
use super::{DbConn, DbResult};
use crate::domain::ballot::{CountingRule, Definition, Question};
use crate::domain::lifecycle::Status;
use crate::domain::tally::Rule;

/// Run a batch insert on the concrete connection: diesel's `MultiConnection` cannot batch.
macro_rules! batch_insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            DbConn::Postgres(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ballots)]
pub struct BallotRow {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub scope_buildings: String,
    pub privacy: String,
    pub counting_rule: String,
    pub questions: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub status: String,
    pub status_reason: String,
    pub notice_days: i32,
    pub notice_reason: String,
    pub announced_at: Option<i64>,
    pub manifest: Option<String>,
    pub manifest_signature: Option<String>,
    pub snapshot: Option<String>,
    pub sealed_key: Option<String>,
    pub log_size: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Draft: the scrutineers' user ids (JSON array).
    pub scrutineer_ids: String,
    pub cosignatures_required: i32,
    /// When the objection period after the preliminary result ends.
    pub objection_ends_at: Option<i64>,
    /// A custom counting rule's parts (JSON of [`Rule`]); `None` for the presets.
    pub custom_rule: Option<String>,
    /// Which of a voter's ballots counts (docs/verification.md §14.3).
    pub conflict_rule: String,
    /// How many owners one proxy may represent (0: no proxy votes).
    pub proxy_cap: i32,
}

impl BallotRow {
    pub fn scrutineer_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.scrutineer_ids).unwrap_or_default()
    }
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }
    pub fn questions(&self) -> Vec<Question> {
        serde_json::from_str(&self.questions).unwrap_or_default()
    }
    pub fn scope(&self) -> Vec<i64> {
        serde_json::from_str(&self.scope_buildings).unwrap_or_default()
    }
    /// The counting rule this ballot follows: its custom parts, or the preset.
    pub fn rule(&self) -> Rule {
        let id = CountingRule::parse(&self.counting_rule).unwrap_or(CountingRule::Ordinary);
        self.custom_rule
            .as_deref()
            .filter(|_| id == CountingRule::Custom)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_else(|| Rule::preset(id))
    }
    /// The casting terms (the manifest's `casting`).
    pub fn casting(&self) -> crate::domain::casting::Terms {
        crate::domain::casting::Terms {
            conflict_rule: crate::domain::casting::ConflictRule::parse(&self.conflict_rule)
                .unwrap_or_default(),
            proxy_cap: u32::try_from(self.proxy_cap).unwrap_or(0),
        }
    }
    /// The custom rule's parts, when set.
    pub fn custom_rule(&self) -> Option<Rule> {
        self.custom_rule
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }
}

/// The columns a draft's definition fills, for creating it and for editing it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = ballots, treat_none_as_null = true)]
struct DraftContent<'a> {
    title: &'a str,
    description: &'a str,
    kind: &'a str,
    scope_buildings: String,
    privacy: &'a str,
    counting_rule: &'a str,
    questions: String,
    opens_at: i64,
    closes_at: i64,
    updated_at: i64,
    scrutineer_ids: String,
    cosignatures_required: i32,
    custom_rule: Option<String>,
    conflict_rule: &'a str,
    proxy_cap: i32,
}

impl<'a> DraftContent<'a> {
    fn of(def: &'a Definition, now: i64) -> Self {
        Self {
            title: &def.title,
            description: &def.description,
            kind: def.kind.as_str(),
            scope_buildings: serde_json::to_string(&def.scope_buildings)
                .unwrap_or_else(|_| "[]".into()),
            privacy: def.privacy.as_str(),
            counting_rule: def.counting_rule.as_str(),
            questions: serde_json::to_string(&def.questions).unwrap_or_else(|_| "[]".into()),
            opens_at: def.opens_at,
            closes_at: def.closes_at,
            updated_at: now,
            scrutineer_ids: serde_json::to_string(&def.scrutineers).unwrap_or_else(|_| "[]".into()),
            cosignatures_required: i32::try_from(def.cosignatures_required).unwrap_or(0),
            custom_rule: def
                .custom_rule
                .as_ref()
                .and_then(|r| serde_json::to_string(r).ok()),
            conflict_rule: def.casting.conflict_rule.as_str(),
            proxy_cap: i32::try_from(def.casting.proxy_cap).unwrap_or(1),
        }
    }
}

/// Create a draft.
pub fn insert_draft(
    conn: &mut DbConn,
    community_id: i64,
    def: &Definition,
    notice_days: i32,
    notice_reason: &str,
    created_by: i64,
    now: i64,
) -> DbResult<BallotRow> {
    Ok(diesel::insert_into(ballots::table)
        .values((
            DraftContent::of(def, now),
            ballots::community_id.eq(community_id),
            ballots::status.eq(Status::Draft.as_str()),
            ballots::notice_days.eq(notice_days),
            ballots::notice_reason.eq(notice_reason),
            ballots::created_by.eq(created_by),
            ballots::created_at.eq(now),
        ))
        .returning(ballots::all_columns)
        .get_result::<BallotRow>(conn)?)
}

/// Replace a draft's content. Returns false when the ballot is no longer a draft.
pub fn update_draft(conn: &mut DbConn, id: i64, def: &Definition, now: i64) -> DbResult<bool> {
    let n = diesel::update(
        ballots::table
            .filter(ballots::id.eq(id))
            .filter(ballots::status.eq(Status::Draft.as_str())),
    )
    .set(DraftContent::of(def, now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn get(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<BallotRow>> {
    Ok(ballots::table
        .filter(ballots::community_id.eq(community_id))
        .filter(ballots::id.eq(id))
        .select(BallotRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// A community's ballots, newest first; drafts only when asked for.
pub fn list(conn: &mut DbConn, community_id: i64, drafts: bool) -> DbResult<Vec<BallotRow>> {
    let mut q = ballots::table
        .filter(ballots::community_id.eq(community_id))
        .into_boxed();
    if !drafts {
        q = q.filter(ballots::status.ne(Status::Draft.as_str()));
    }
    Ok(q.order(ballots::id.desc())
        .select(BallotRow::as_select())
        .load(conn)?)
}

/// Move a ballot from `from` to `to`, only if it is still in `from` (another request may have
/// moved it first). Returns whether this call made the change.
pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    from: Status,
    to: Status,
    reason: &str,
    now: i64,
) -> DbResult<bool> {
    let n = diesel::update(
        ballots::table
            .filter(ballots::id.eq(id))
            .filter(ballots::status.eq(from.as_str())),
    )
    .set((
        ballots::status.eq(to.as_str()),
        ballots::status_reason.eq(reason),
        ballots::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// One voter of the frozen electorate, with the owners who may cast for it.
#[derive(Debug, Clone)]
pub struct NewVoter {
    pub voter_index: i64,
    pub area_centi: i64,
    pub headcount: i64,
    pub rooms: Vec<String>,
    pub owner_ids: Vec<i64>,
    /// Residents' conventions: the resident who casts for this voter.
    pub resident_ref: Option<String>,
}

/// What announcement stores.
pub struct Announcement<'a> {
    pub announced_at: i64,
    pub notice_days: i32,
    pub notice_reason: &'a str,
    pub manifest: &'a str,
    pub manifest_signature: &'a str,
    pub snapshot: &'a str,
    pub sealed_key: &'a str,
    pub voters: &'a [NewVoter],
}

/// Freeze a draft: store the signed manifest, the snapshot and the sealed key, and the voters.
/// Returns false (writing nothing) when the ballot is no longer a draft.
pub fn announce(conn: &mut DbConn, ballot: &BallotRow, a: &Announcement<'_>) -> DbResult<bool> {
    let n = diesel::update(
        ballots::table
            .filter(ballots::id.eq(ballot.id))
            .filter(ballots::status.eq(Status::Draft.as_str())),
    )
    .set((
        ballots::status.eq(Status::Announced.as_str()),
        ballots::announced_at.eq(a.announced_at),
        ballots::notice_days.eq(a.notice_days),
        ballots::notice_reason.eq(a.notice_reason),
        ballots::manifest.eq(a.manifest),
        ballots::manifest_signature.eq(a.manifest_signature),
        ballots::snapshot.eq(a.snapshot),
        ballots::sealed_key.eq(a.sealed_key),
        ballots::updated_at.eq(a.announced_at),
    ))
    .execute(conn)?;
    if n != 1 {
        return Ok(false);
    }
    for chunk in a.voters.chunks(200) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|v| {
                (
                    ballot_voters::community_id.eq(ballot.community_id),
                    ballot_voters::ballot_id.eq(ballot.id),
                    ballot_voters::voter_index.eq(v.voter_index),
                    ballot_voters::area_centi.eq(v.area_centi),
                    ballot_voters::headcount.eq(v.headcount),
                    ballot_voters::rooms.eq(serde_json::to_string(&v.rooms).unwrap_or_default()),
                )
            })
            .collect();
        batch_insert!(conn, ballot_voters::table, rows)?;
        let owners: Vec<_> = chunk
            .iter()
            .flat_map(|v| v.owner_ids.iter().map(move |o| (*o, v.voter_index)))
            .map(|(o, i)| {
                (
                    ballot_voter_owners::community_id.eq(ballot.community_id),
                    ballot_voter_owners::ballot_id.eq(ballot.id),
                    ballot_voter_owners::owner_id.eq(o),
                    ballot_voter_owners::voter_index.eq(i),
                )
            })
            .collect();
        if !owners.is_empty() {
            batch_insert!(conn, ballot_voter_owners::table, owners)?;
        }
        let residents: Vec<_> = chunk
            .iter()
            .filter_map(|v| v.resident_ref.as_ref().map(|r| (r, v.voter_index)))
            .map(|(r, i)| {
                (
                    ballot_voter_residents::community_id.eq(ballot.community_id),
                    ballot_voter_residents::ballot_id.eq(ballot.id),
                    ballot_voter_residents::resident_ref.eq(r),
                    ballot_voter_residents::voter_index.eq(i),
                )
            })
            .collect();
        if !residents.is_empty() {
            batch_insert!(conn, ballot_voter_residents::table, residents)?;
        }
    }
    Ok(true)
}

/// A voter as casting needs it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ballot_voters)]
pub struct VoterRow {
    pub voter_index: i64,
    pub area_centi: i64,
    pub headcount: i64,
    pub rooms: String,
}

impl VoterRow {
    pub fn rooms(&self) -> Vec<String> {
        serde_json::from_str(&self.rooms).unwrap_or_default()
    }
}

/// The voter a user casts for in a ballot: as an owner, or (residents' conventions) as a
/// resident on the register, if they are in its electorate.
pub fn voter_for(
    conn: &mut DbConn,
    ballot_id: i64,
    community_id: i64,
    grants: &crate::domain::roles::Grants,
) -> DbResult<Option<VoterRow>> {
    if let Some(owner) = grants.owner_in(community_id) {
        if let Some(v) = voter_of_owner(conn, ballot_id, owner)? {
            return Ok(Some(v));
        }
    }
    let Some((_, resident)) = grants.resident.as_ref().filter(|(c, _)| *c == community_id) else {
        return Ok(None);
    };
    Ok(ballot_voter_residents::table
        .inner_join(
            ballot_voters::table.on(ballot_voters::ballot_id
                .eq(ballot_voter_residents::ballot_id)
                .and(ballot_voters::voter_index.eq(ballot_voter_residents::voter_index))),
        )
        .filter(ballot_voter_residents::ballot_id.eq(ballot_id))
        .filter(ballot_voter_residents::resident_ref.eq(resident))
        .select(VoterRow::as_select())
        .first::<VoterRow>(conn)
        .optional()?)
}

/// The voter an owner casts for in a ballot, if the owner is in its electorate.
pub fn voter_of_owner(
    conn: &mut DbConn,
    ballot_id: i64,
    owner_id: i64,
) -> DbResult<Option<VoterRow>> {
    Ok(ballot_voter_owners::table
        .inner_join(
            ballot_voters::table.on(ballot_voters::ballot_id
                .eq(ballot_voter_owners::ballot_id)
                .and(ballot_voters::voter_index.eq(ballot_voter_owners::voter_index))),
        )
        .filter(ballot_voter_owners::ballot_id.eq(ballot_id))
        .filter(ballot_voter_owners::owner_id.eq(owner_id))
        .select(VoterRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// The announced or later ballots whose electorate includes the owner, newest first.
pub fn ballots_of_owner(conn: &mut DbConn, owner_id: i64) -> DbResult<Vec<BallotRow>> {
    let ids: Vec<i64> = ballot_voter_owners::table
        .filter(ballot_voter_owners::owner_id.eq(owner_id))
        .select(ballot_voter_owners::ballot_id)
        .load(conn)?;
    Ok(ballots::table
        .filter(ballots::id.eq_any(ids))
        .order(ballots::id.desc())
        .select(BallotRow::as_select())
        .load(conn)?)
}

/// Turnout: voters with an effective ballot, and their area and headcount
/// ([`super::casting::turnout`]).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Turnout {
    pub voted: i64,
    pub area_centi: i64,
    pub headcount: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ballot_leaves)]
pub struct LeafRow {
    pub community_id: i64,
    pub ballot_id: i64,
    pub leaf_index: i64,
    pub voter_index: i64,
    pub leaf: String,
    pub leaf_hash: Vec<u8>,
    pub nonce_hash: String,
    pub cast_by: Option<i64>,
    pub cast_at: i64,
    /// `online`, `proxy` or `paper` (the leaf's `channel`, absent meaning online).
    pub channel: String,
    /// Paper: the original paper entry this leaf corrects or confirms.
    pub corrects: Option<i64>,
    /// Paper: the user id of the scrutineer who confirmed it.
    pub confirmed_by: Option<i64>,
    /// Paper: the scan's SHA-256; proxy on paper: the authorisation scan's.
    pub scan_sha256: Option<String>,
    /// Proxy: the authorisation it was cast under.
    pub authorisation_id: Option<i64>,
}

impl LeafRow {
    /// The leaf as an entry of its voter's ledger ([`crate::domain::casting`]).
    pub fn entry(&self) -> crate::domain::casting::Entry {
        use crate::domain::casting::{Channel, Entry};
        Entry {
            seq: u64::try_from(self.leaf_index).unwrap_or(u64::MAX),
            channel: Channel::parse(&self.channel).unwrap_or(Channel::Online),
            cast_at: self.cast_at,
            confirmed: self.confirmed_by.is_some(),
            corrects: self.corrects.and_then(|c| u64::try_from(c).ok()),
        }
    }
}

pub fn leaf_by_hash(conn: &mut DbConn, ballot_id: i64, hash: &[u8]) -> DbResult<Option<LeafRow>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::leaf_hash.eq(hash))
        .select(LeafRow::as_select())
        .first(conn)
        .optional()?)
}

/// The leaves a user cast in a ballot, newest first.
pub fn leaves_cast_by(conn: &mut DbConn, ballot_id: i64, user_id: i64) -> DbResult<Vec<LeafRow>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::cast_by.eq(user_id))
        .order(ballot_leaves::leaf_index.desc())
        .select(LeafRow::as_select())
        .load(conn)?)
}

/// Leaf hashes from `from` on, in order (to bring a cached tree up to date).
pub fn leaf_hashes_from(conn: &mut DbConn, ballot_id: i64, from: i64) -> DbResult<Vec<Vec<u8>>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::leaf_index.ge(from))
        .order(ballot_leaves::leaf_index)
        .select(ballot_leaves::leaf_hash)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ballot_checkpoints)]
pub struct CheckpointRow {
    pub community_id: i64,
    pub ballot_id: i64,
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub created_at: i64,
}

pub fn latest_checkpoint(conn: &mut DbConn, ballot_id: i64) -> DbResult<Option<CheckpointRow>> {
    Ok(ballot_checkpoints::table
        .filter(ballot_checkpoints::ballot_id.eq(ballot_id))
        .order(ballot_checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// The checkpoint signed for exactly `size` leaves, if one was.
pub fn checkpoint_at(
    conn: &mut DbConn,
    ballot_id: i64,
    size: i64,
) -> DbResult<Option<CheckpointRow>> {
    Ok(ballot_checkpoints::table
        .filter(ballot_checkpoints::ballot_id.eq(ballot_id))
        .filter(ballot_checkpoints::tree_size.eq(size))
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_checkpoint(conn: &mut DbConn, row: &CheckpointRow) -> DbResult<()> {
    diesel::insert_into(ballot_checkpoints::table)
        .values((
            ballot_checkpoints::community_id.eq(row.community_id),
            ballot_checkpoints::ballot_id.eq(row.ballot_id),
            ballot_checkpoints::tree_size.eq(row.tree_size),
            ballot_checkpoints::root.eq(&row.root),
            ballot_checkpoints::note.eq(&row.note),
            ballot_checkpoints::created_at.eq(row.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether a checkpoint of this size exists (one is signed per size at most).
pub fn has_checkpoint(conn: &mut DbConn, ballot_id: i64, size: i64) -> DbResult<bool> {
    Ok(ballot_checkpoints::table
        .filter(ballot_checkpoints::ballot_id.eq(ballot_id))
        .filter(ballot_checkpoints::tree_size.eq(size))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Take the ballot's row lock (PostgreSQL: a row lock held to the end of the transaction;
/// SQLite: the write lock is already held) and read its log size and status.
pub fn lock_for_append(conn: &mut DbConn, ballot_id: i64) -> DbResult<Option<(i64, String)>> {
    let n = diesel::update(ballots::table.filter(ballots::id.eq(ballot_id)))
        .set(ballots::log_size.eq(ballots::log_size))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(ballots::table
        .filter(ballots::id.eq(ballot_id))
        .select((ballots::log_size, ballots::status))
        .load(conn)?
        .into_iter()
        .next())
}

/// Which of these nonces were already used in the ballot (replayed requests).
pub fn nonces_used(
    conn: &mut DbConn,
    ballot_id: i64,
    nonce_hashes: &[&str],
) -> DbResult<Vec<String>> {
    let mut used = Vec::new();
    for chunk in nonce_hashes.chunks(500) {
        used.extend(
            ballot_leaves::table
                .filter(ballot_leaves::ballot_id.eq(ballot_id))
                .filter(ballot_leaves::nonce_hash.eq_any(chunk))
                .select(ballot_leaves::nonce_hash)
                .load::<String>(conn)?,
        );
    }
    Ok(used)
}

/// Append leaves (their indices already assigned) and set the new log size.
pub fn append_leaves(
    conn: &mut DbConn,
    ballot_id: i64,
    leaves: &[LeafRow],
    new_size: i64,
) -> DbResult<()> {
    for chunk in leaves.chunks(200) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|l| {
                (
                    ballot_leaves::community_id.eq(l.community_id),
                    ballot_leaves::ballot_id.eq(l.ballot_id),
                    ballot_leaves::leaf_index.eq(l.leaf_index),
                    ballot_leaves::voter_index.eq(l.voter_index),
                    ballot_leaves::leaf.eq(&l.leaf),
                    ballot_leaves::leaf_hash.eq(&l.leaf_hash),
                    ballot_leaves::nonce_hash.eq(&l.nonce_hash),
                    ballot_leaves::cast_by.eq(l.cast_by),
                    ballot_leaves::cast_at.eq(l.cast_at),
                    ballot_leaves::channel.eq(&l.channel),
                    ballot_leaves::corrects.eq(l.corrects),
                    ballot_leaves::confirmed_by.eq(l.confirmed_by),
                    ballot_leaves::scan_sha256.eq(&l.scan_sha256),
                    ballot_leaves::authorisation_id.eq(l.authorisation_id),
                )
            })
            .collect();
        batch_insert!(conn, ballot_leaves::table, rows)?;
    }
    diesel::update(ballots::table.filter(ballots::id.eq(ballot_id)))
        .set(ballots::log_size.eq(new_size))
        .execute(conn)?;
    Ok(())
}

/// Set a community's notice period, with the reason for a change from the default.
pub fn set_notice(conn: &mut DbConn, community_id: i64, days: i32, reason: &str) -> DbResult<()> {
    diesel::update(communities::table.filter(communities::id.eq(community_id)))
        .set((
            communities::notice_days.eq(days),
            communities::notice_reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}
