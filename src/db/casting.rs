//! Voters' ledgers as the casting rules see them (online, proxy and paper leaves of one
//! voter), and proxy authorisations (委托书), which are not public.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;

use super::ballots::{BallotRow, LeafRow, Turnout, VoterRow};
use super::schema::{ballot_leaves, ballot_voters, proxy_authorisations};
use super::{DbConn, DbResult};
use crate::domain::casting::{self, AuthorisationSource, Channel, Entry, ProxyAuthorisation};

/// Every leaf of these voters, in log order.
pub fn voter_leaves(conn: &mut DbConn, ballot_id: i64, voters: &[i64]) -> DbResult<Vec<LeafRow>> {
    let mut rows = Vec::new();
    for chunk in voters.chunks(500) {
        rows.extend(
            ballot_leaves::table
                .filter(ballot_leaves::ballot_id.eq(ballot_id))
                .filter(ballot_leaves::voter_index.eq_any(chunk))
                .order(ballot_leaves::leaf_index)
                .select(LeafRow::as_select())
                .load::<LeafRow>(conn)?,
        );
    }
    rows.sort_by_key(|r| r.leaf_index);
    Ok(rows)
}

/// One voter's ledger.
pub fn ledger(conn: &mut DbConn, ballot_id: i64, voter_index: i64) -> DbResult<Vec<LeafRow>> {
    voter_leaves(conn, ballot_id, &[voter_index])
}

/// The leaf index of the leaf that counts among one voter's `rows`, by the ballot's rule.
pub fn effective_index(b: &BallotRow, rows: &[&LeafRow]) -> Option<i64> {
    let entries: Vec<Entry> = rows.iter().map(|r| r.entry()).collect();
    casting::effective(&entries, b.casting().conflict_rule, b.closes_at)
        .and_then(|i| i64::try_from(i).ok())
}

/// The leaf of a voter that counts (their effective ballot), if any.
pub fn effective_leaf(
    conn: &mut DbConn,
    b: &BallotRow,
    voter_index: i64,
) -> DbResult<Option<LeafRow>> {
    let rows = ledger(conn, b.id, voter_index)?;
    let refs: Vec<&LeafRow> = rows.iter().collect();
    let Some(index) = effective_index(b, &refs) else {
        return Ok(None);
    };
    Ok(rows.into_iter().find(|r| r.leaf_index == index))
}

/// Where a leaf stands in its voter's ledger, for the public log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// It is the voter's effective ballot.
    pub counts: bool,
    /// A paper entry waiting for a scrutineer's confirmation.
    pub pending: bool,
}

impl Standing {
    /// Set aside: neither counting nor waiting (a later ballot, the rule, or a correction
    /// replaced it).
    pub fn superseded(&self) -> bool {
        !self.counts && !self.pending
    }
}

/// Leaves `start..=end`, each with where it stands in its voter's ledger.
pub fn entries(
    conn: &mut DbConn,
    b: &BallotRow,
    start: i64,
    end: i64,
) -> DbResult<Vec<(LeafRow, Standing)>> {
    let rows: Vec<LeafRow> = ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(b.id))
        .filter(ballot_leaves::leaf_index.between(start, end))
        .order(ballot_leaves::leaf_index)
        .select(LeafRow::as_select())
        .load(conn)?;
    let voters: BTreeSet<i64> = rows.iter().map(|r| r.voter_index).collect();
    let voters: Vec<i64> = voters.into_iter().collect();
    let all = voter_leaves(conn, b.id, &voters)?;
    let mut by_voter: BTreeMap<i64, Vec<&LeafRow>> = BTreeMap::new();
    for r in &all {
        by_voter.entry(r.voter_index).or_default().push(r);
    }
    let mut counting = BTreeSet::new();
    let mut waiting = BTreeSet::new();
    for rows in by_voter.values() {
        counting.extend(effective_index(b, rows));
        let entries: Vec<Entry> = rows.iter().map(|r| r.entry()).collect();
        waiting.extend(
            casting::awaiting_confirmation(&entries, b.closes_at)
                .into_iter()
                .filter_map(|i| i64::try_from(i).ok()),
        );
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let standing = Standing {
                counts: counting.contains(&r.leaf_index),
                pending: waiting.contains(&r.leaf_index),
            };
            (r, standing)
        })
        .collect())
}

/// The voter indices with an effective ballot, ascending (the participation roll,
/// docs/verification.md §8 and §14.5): any online or proxy leaf cast before close, or a paper
/// family whose latest entry is confirmed.
pub fn roll(conn: &mut DbConn, b: &BallotRow) -> DbResult<Vec<i64>> {
    let mut voters: BTreeSet<i64> = ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(b.id))
        .filter(ballot_leaves::channel.ne(Channel::Paper.as_str()))
        .filter(ballot_leaves::cast_at.lt(b.closes_at))
        .select(ballot_leaves::voter_index)
        .distinct()
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let papers: Vec<LeafRow> = ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(b.id))
        .filter(ballot_leaves::channel.eq(Channel::Paper.as_str()))
        .order(ballot_leaves::leaf_index)
        .select(LeafRow::as_select())
        .load(conn)?;
    let mut by_voter: BTreeMap<i64, Vec<Entry>> = BTreeMap::new();
    for r in &papers {
        by_voter.entry(r.voter_index).or_default().push(r.entry());
    }
    for (voter, entries) in by_voter {
        if !voters.contains(&voter) && casting::has_effective(&entries, b.closes_at) {
            voters.insert(voter);
        }
    }
    Ok(voters.into_iter().collect())
}

/// Turnout over the roll: voters with an effective ballot, their area and headcount.
pub fn turnout(conn: &mut DbConn, b: &BallotRow, roll: &[i64]) -> DbResult<Turnout> {
    let voted: BTreeSet<i64> = roll.iter().copied().collect();
    let weights: Vec<(i64, i64, i64)> = ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(b.id))
        .select((
            ballot_voters::voter_index,
            ballot_voters::area_centi,
            ballot_voters::headcount,
        ))
        .load(conn)?;
    let mut t = Turnout::default();
    for (v, area, heads) in weights {
        if voted.contains(&v) {
            t.voted += 1;
            t.area_centi += area;
            t.headcount += heads;
        }
    }
    Ok(t)
}

/// The paper family (its original's leaf index) that already carries this scan hash, if
/// any, and whether an authorisation of the ballot was entered with it.
pub fn scan_use(conn: &mut DbConn, ballot_id: i64, hash: &str) -> DbResult<(Option<i64>, bool)> {
    let family = ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::channel.eq(Channel::Paper.as_str()))
        .filter(ballot_leaves::scan_sha256.eq(hash))
        .select((ballot_leaves::leaf_index, ballot_leaves::corrects))
        .first::<(i64, Option<i64>)>(conn)
        .optional()?
        .map(|(i, c)| c.unwrap_or(i));
    let authorisation = proxy_authorisations::table
        .filter(proxy_authorisations::ballot_id.eq(ballot_id))
        .filter(proxy_authorisations::scan_sha256.eq(hash))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok((family, authorisation))
}

/// Whether an original paper entry (the one-time code used) exists for the voter.
pub fn paper_entered(conn: &mut DbConn, ballot_id: i64, voter_index: i64) -> DbResult<bool> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::voter_index.eq(voter_index))
        .filter(ballot_leaves::channel.eq(Channel::Paper.as_str()))
        .filter(ballot_leaves::corrects.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Paper leaves of the ballot, in log order (for the scrutineers' list).
pub fn paper_leaves(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<LeafRow>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::channel.eq(Channel::Paper.as_str()))
        .order(ballot_leaves::leaf_index)
        .select(LeafRow::as_select())
        .load(conn)?)
}

/// One leaf by index.
pub fn leaf(conn: &mut DbConn, ballot_id: i64, index: i64) -> DbResult<Option<LeafRow>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::leaf_index.eq(index))
        .select(LeafRow::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proxy_authorisations)]
pub struct AuthorisationRow {
    pub id: i64,
    pub community_id: i64,
    pub ballot_id: i64,
    pub voter_index: i64,
    pub proxy_user_id: i64,
    pub proxy_voter: Option<i64>,
    pub source: String,
    pub scan_sha256: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<i64>,
}

impl AuthorisationRow {
    /// As the casting rules see it.
    pub fn rule(&self) -> ProxyAuthorisation {
        ProxyAuthorisation {
            id: self.id,
            owner: self.voter_index,
            proxy: self.proxy_user_id,
            proxy_voter: self.proxy_voter,
            source: match &self.scan_sha256 {
                Some(h) if self.source == "paper" => AuthorisationSource::Paper {
                    scan_sha256: h.clone(),
                },
                _ => AuthorisationSource::Online,
            },
            revoked: self.revoked_at.is_some(),
        }
    }
}

/// A new authorisation (checked by the caller under the ballot's lock).
pub struct NewAuthorisation<'a> {
    pub community_id: i64,
    pub ballot_id: i64,
    pub voter_index: i64,
    pub proxy_user_id: i64,
    pub proxy_voter: Option<i64>,
    pub source: &'a AuthorisationSource,
    pub created_by: i64,
    pub created_at: i64,
}

pub fn insert_authorisation(
    conn: &mut DbConn,
    a: &NewAuthorisation<'_>,
) -> DbResult<AuthorisationRow> {
    Ok(diesel::insert_into(proxy_authorisations::table)
        .values((
            proxy_authorisations::community_id.eq(a.community_id),
            proxy_authorisations::ballot_id.eq(a.ballot_id),
            proxy_authorisations::voter_index.eq(a.voter_index),
            proxy_authorisations::proxy_user_id.eq(a.proxy_user_id),
            proxy_authorisations::proxy_voter.eq(a.proxy_voter),
            proxy_authorisations::source.eq(a.source.as_str()),
            proxy_authorisations::scan_sha256.eq(a.source.scan_sha256()),
            proxy_authorisations::created_by.eq(a.created_by),
            proxy_authorisations::created_at.eq(a.created_at),
        ))
        .returning(proxy_authorisations::all_columns)
        .get_result::<AuthorisationRow>(conn)?)
}

/// The authorisations of a ballot that a proxy ballot was cast under.
pub fn used_authorisations(conn: &mut DbConn, ballot_id: i64) -> DbResult<BTreeSet<i64>> {
    Ok(ballot_leaves::table
        .filter(ballot_leaves::ballot_id.eq(ballot_id))
        .filter(ballot_leaves::authorisation_id.is_not_null())
        .select(ballot_leaves::authorisation_id)
        .distinct()
        .load::<Option<i64>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

/// Every authorisation of a ballot, revoked included, oldest first.
pub fn authorisations(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<AuthorisationRow>> {
    Ok(proxy_authorisations::table
        .filter(proxy_authorisations::ballot_id.eq(ballot_id))
        .order(proxy_authorisations::id)
        .select(AuthorisationRow::as_select())
        .load(conn)?)
}

/// Mark an authorisation revoked; false when it already was.
pub fn revoke_authorisation(
    conn: &mut DbConn,
    ballot_id: i64,
    id: i64,
    by: i64,
    at: i64,
) -> DbResult<bool> {
    let n = diesel::update(
        proxy_authorisations::table
            .filter(proxy_authorisations::ballot_id.eq(ballot_id))
            .filter(proxy_authorisations::id.eq(id))
            .filter(proxy_authorisations::revoked_at.is_null()),
    )
    .set((
        proxy_authorisations::revoked_at.eq(at),
        proxy_authorisations::revoked_by.eq(by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// One voter of a ballot's electorate by index.
pub fn voter(conn: &mut DbConn, ballot_id: i64, voter_index: i64) -> DbResult<Option<VoterRow>> {
    Ok(ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .filter(ballot_voters::voter_index.eq(voter_index))
        .select(VoterRow::as_select())
        .first::<VoterRow>(conn)
        .optional()?)
}

/// The whole electorate of a ballot, by voter index.
pub fn voters(conn: &mut DbConn, ballot_id: i64) -> DbResult<Vec<VoterRow>> {
    Ok(ballot_voters::table
        .filter(ballot_voters::ballot_id.eq(ballot_id))
        .order(ballot_voters::voter_index)
        .select(VoterRow::as_select())
        .load::<VoterRow>(conn)?)
}
