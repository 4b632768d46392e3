//! Proposals (议题): their text and its revisions, lifecycle events and co-signatures.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{proposal_cosigns, proposal_events, proposal_revisions, proposals, users};
use super::{write_tx, DbConn, DbError, DbResult};
use crate::domain::proposal::{Proposal, Status};
use crate::domain::tally::Weights;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub building_id: Option<i64>,
    pub status: String,
    pub status_reason: String,
    pub response: String,
    pub ballot_id: Option<i64>,
    pub cosigners: i32,
    pub cosign_area_centi: i64,
    pub cosign_headcount: i64,
    pub base_area_centi: i64,
    pub base_headcount: i64,
    pub level_reached_at: Option<i64>,
    pub root_count: i32,
    pub comment_count: i32,
    pub revision: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ProposalRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }
}

/// A list entry: the proposal and its author's display name.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalListItem {
    #[serde(flatten)]
    pub proposal: ProposalRow,
    pub author: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = proposal_revisions)]
pub struct Revision {
    pub proposal_id: i64,
    pub revision: i32,
    pub title: String,
    pub body: String,
    pub category: String,
    pub building_id: Option<i64>,
    pub edited_by: i64,
    pub edited_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = proposal_events)]
pub struct Event {
    pub id: i64,
    pub proposal_id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
    pub created_at: i64,
}

#[allow(clippy::too_many_arguments)]
fn event(
    conn: &mut DbConn,
    proposal_id: i64,
    actor: Option<i64>,
    action: &str,
    from: &str,
    to: &str,
    reason: &str,
    now: i64,
) -> DbResult<()> {
    diesel::insert_into(proposal_events::table)
        .values((
            proposal_events::proposal_id.eq(proposal_id),
            proposal_events::actor_id.eq(actor),
            proposal_events::action.eq(action),
            proposal_events::from_status.eq(from),
            proposal_events::to_status.eq(to),
            proposal_events::reason.eq(reason),
            proposal_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn revision(conn: &mut DbConn, id: i64, rev: i32, p: &Proposal, by: i64, now: i64) -> DbResult<()> {
    diesel::insert_into(proposal_revisions::table)
        .values((
            proposal_revisions::proposal_id.eq(id),
            proposal_revisions::revision.eq(rev),
            proposal_revisions::title.eq(&p.title),
            proposal_revisions::body.eq(&p.body),
            proposal_revisions::category.eq(p.category.as_str()),
            proposal_revisions::building_id.eq(p.building_id),
            proposal_revisions::edited_by.eq(by),
            proposal_revisions::edited_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Create a proposal (a draft, or published at once) with its first revision.
pub fn insert(
    conn: &mut DbConn,
    community_id: i64,
    author_id: i64,
    p: &Proposal,
    status: Status,
    now: i64,
) -> DbResult<ProposalRow> {
    write_tx(conn, |conn| {
        let row = diesel::insert_into(proposals::table)
            .values((
                proposals::community_id.eq(community_id),
                proposals::author_id.eq(author_id),
                proposals::title.eq(&p.title),
                proposals::body.eq(&p.body),
                proposals::category.eq(p.category.as_str()),
                proposals::building_id.eq(p.building_id),
                proposals::status.eq(status.as_str()),
                proposals::created_at.eq(now),
                proposals::updated_at.eq(now),
            ))
            .returning(proposals::all_columns)
            .get_result::<ProposalRow>(conn)?;
        revision(conn, row.id, 1, p, author_id, now)?;
        event(
            conn,
            row.id,
            Some(author_id),
            "create",
            "",
            status.as_str(),
            "",
            now,
        )?;
        Ok::<_, DbError>(row)
    })
}

/// Replace the text, keeping the old one as a revision. False when the proposal has moved
/// on (`status` is no longer `from`).
pub fn update_text(
    conn: &mut DbConn,
    row: &ProposalRow,
    p: &Proposal,
    editor: i64,
    now: i64,
) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let next = row.revision + 1;
        let n = diesel::update(
            proposals::table
                .filter(proposals::id.eq(row.id))
                .filter(proposals::status.eq(&row.status))
                .filter(proposals::revision.eq(row.revision)),
        )
        .set((
            proposals::title.eq(&p.title),
            proposals::body.eq(&p.body),
            proposals::category.eq(p.category.as_str()),
            proposals::building_id.eq(p.building_id),
            proposals::revision.eq(next),
            proposals::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
            revision(conn, row.id, next, p, editor, now)?;
        }
        Ok::<_, DbError>(n == 1)
    })
}

pub fn get(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<ProposalRow>> {
    Ok(proposals::table
        .filter(proposals::community_id.eq(community_id))
        .filter(proposals::id.eq(id))
        .select(ProposalRow::as_select())
        .load(conn)?
        .pop())
}

/// The proposal put to `ballot_id`, if any.
pub fn by_ballot(conn: &mut DbConn, ballot_id: i64) -> DbResult<Option<ProposalRow>> {
    Ok(proposals::table
        .filter(proposals::ballot_id.eq(ballot_id))
        .select(ProposalRow::as_select())
        .load(conn)?
        .pop())
}

/// One page of a community's proposals, most recently active first: the published ones
/// (any status but draft), or with `status` only that status. `viewer`'s own drafts come too.
pub fn list(
    conn: &mut DbConn,
    community_id: i64,
    status: Option<Status>,
    viewer: Option<i64>,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<ProposalListItem>> {
    let mut q = proposals::table
        .inner_join(users::table)
        .filter(proposals::community_id.eq(community_id))
        .into_boxed();
    q = match status {
        Some(s) => q.filter(proposals::status.eq(s.as_str())),
        None => q.filter(
            proposals::status
                .ne(Status::Draft.as_str())
                .or(proposals::author_id.eq(viewer.unwrap_or(-1))),
        ),
    };
    let rows: Vec<(ProposalRow, String)> = q
        .order((proposals::updated_at.desc(), proposals::id.desc()))
        .offset(offset)
        .limit(limit)
        .select((ProposalRow::as_select(), users::display_name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(proposal, author)| ProposalListItem { proposal, author })
        .collect())
}

pub fn revisions(conn: &mut DbConn, id: i64) -> DbResult<Vec<Revision>> {
    Ok(proposal_revisions::table
        .filter(proposal_revisions::proposal_id.eq(id))
        .order(proposal_revisions::revision.desc())
        .select(Revision::as_select())
        .load(conn)?)
}

/// The lifecycle events with each actor's display name, oldest first.
pub fn events(conn: &mut DbConn, id: i64) -> DbResult<Vec<(Event, Option<String>)>> {
    Ok(proposal_events::table
        .left_join(users::table.on(proposal_events::actor_id.eq(users::id.nullable())))
        .filter(proposal_events::proposal_id.eq(id))
        .order(proposal_events::id)
        .select((Event::as_select(), users::display_name.nullable()))
        .load(conn)?)
}

/// What a lifecycle step writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct StepEffects<'a> {
    pub response: Option<&'a str>,
    pub ballot_id: Option<i64>,
}

/// Move `row` from its status to `to`, recording the event. False when another request moved
/// it first.
#[allow(clippy::too_many_arguments)]
pub fn step(
    conn: &mut DbConn,
    row: &ProposalRow,
    action: &str,
    to: Status,
    actor: i64,
    reason: &str,
    effects: StepEffects<'_>,
    now: i64,
) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let target = proposals::table
            .filter(proposals::id.eq(row.id))
            .filter(proposals::status.eq(&row.status));
        let n = diesel::update(target)
            .set((
                proposals::status.eq(to.as_str()),
                proposals::status_reason.eq(reason),
                proposals::updated_at.eq(now),
            ))
            .execute(conn)?;
        if n != 1 {
            return Ok(false);
        }
        if let Some(r) = effects.response {
            diesel::update(proposals::table.filter(proposals::id.eq(row.id)))
                .set(proposals::response.eq(r))
                .execute(conn)?;
        }
        if let Some(b) = effects.ballot_id {
            diesel::update(proposals::table.filter(proposals::id.eq(row.id)))
                .set(proposals::ballot_id.eq(b))
                .execute(conn)?;
        }
        event(
            conn,
            row.id,
            Some(actor),
            action,
            &row.status,
            to.as_str(),
            reason,
            now,
        )?;
        Ok::<_, DbError>(true)
    })
}

/// Record an owner's co-signature. False when this owner has co-signed already.
pub fn cosign(
    conn: &mut DbConn,
    proposal_id: i64,
    owner_id: i64,
    user_id: i64,
    now: i64,
) -> DbResult<bool> {
    let done = proposal_cosigns::table
        .filter(proposal_cosigns::proposal_id.eq(proposal_id))
        .filter(proposal_cosigns::owner_id.eq(owner_id))
        .count()
        .get_result::<i64>(conn)?;
    if done > 0 {
        return Ok(false);
    }
    match diesel::insert_into(proposal_cosigns::table)
        .values((
            proposal_cosigns::proposal_id.eq(proposal_id),
            proposal_cosigns::owner_id.eq(owner_id),
            proposal_cosigns::user_id.eq(user_id),
            proposal_cosigns::created_at.eq(now),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = DbError::from(e);
            if e.is_unique_violation() {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// The owners who co-signed a proposal.
pub fn cosigning_owners(conn: &mut DbConn, proposal_id: i64) -> DbResult<Vec<i64>> {
    Ok(proposal_cosigns::table
        .filter(proposal_cosigns::proposal_id.eq(proposal_id))
        .select(proposal_cosigns::owner_id)
        .load(conn)?)
}

/// Store the co-sign meter; `reached` marks the first time the level was reached (recorded
/// once, with an event). Call inside the co-signature's transaction.
pub fn set_cosign_totals(
    conn: &mut DbConn,
    row: &ProposalRow,
    cosigners: i32,
    w: Weights,
    base: Weights,
    reached: bool,
    now: i64,
) -> DbResult<bool> {
    {
        diesel::update(proposals::table.filter(proposals::id.eq(row.id)))
            .set((
                proposals::cosigners.eq(cosigners),
                proposals::cosign_area_centi.eq(w.area_centi),
                proposals::cosign_headcount.eq(w.headcount),
                proposals::base_area_centi.eq(base.area_centi),
                proposals::base_headcount.eq(base.headcount),
            ))
            .execute(conn)?;
        if !reached {
            return Ok(false);
        }
        let first = diesel::update(
            proposals::table
                .filter(proposals::id.eq(row.id))
                .filter(proposals::level_reached_at.is_null()),
        )
        .set(proposals::level_reached_at.eq(now))
        .execute(conn)?
            == 1;
        if first {
            event(
                conn,
                row.id,
                None,
                "level_reached",
                &row.status,
                &row.status,
                "",
                now,
            )?;
        }
        Ok(first)
    }
}

/// Has this owner co-signed the proposal?
pub fn has_cosigned(conn: &mut DbConn, proposal_id: i64, owner_id: i64) -> DbResult<bool> {
    Ok(proposal_cosigns::table
        .filter(proposal_cosigns::proposal_id.eq(proposal_id))
        .filter(proposal_cosigns::owner_id.eq(owner_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
