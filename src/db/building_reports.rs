//! Building reports (楼栋上报) and their append-only history. Each write is one transaction
//! that also appends to the audit trail.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{building_report_events, building_reports, users};
use super::{audit, write_tx, DbConn, DbError, DbResult};
use crate::domain::building_report::{Action, NewReport, Status, REPORTED_EVENT};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = building_reports)]
pub struct ReportRow {
    pub id: i64,
    pub community_id: i64,
    pub building_id: i64,
    pub reporter_id: i64,
    pub category: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub status: String,
    pub assignee: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ReportRow {
    /// The stored status; a value this version does not know reads as closed, so that nobody
    /// acts on it.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Closed)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = building_report_events)]
pub struct EventRow {
    pub id: i64,
    pub report_id: i64,
    pub actor_id: i64,
    pub action: String,
    pub note: String,
    pub created_at: i64,
}

/// Store a new report and its first event (`report`), in one transaction. Returns its id.
pub fn insert(
    conn: &mut DbConn,
    community_id: i64,
    reporter_id: i64,
    r: &NewReport,
    now: i64,
) -> DbResult<i64> {
    write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(building_reports::table)
            .values((
                building_reports::community_id.eq(community_id),
                building_reports::building_id.eq(r.building_id),
                building_reports::reporter_id.eq(reporter_id),
                building_reports::category.eq(r.category.as_str()),
                building_reports::title.eq(&r.title),
                building_reports::description.eq(&r.description),
                building_reports::location.eq(&r.location),
                building_reports::status.eq(Status::Reported.as_str()),
                building_reports::created_at.eq(now),
                building_reports::updated_at.eq(now),
            ))
            .returning(building_reports::id)
            .get_result(conn)?;
        insert_event(conn, id, reporter_id, REPORTED_EVENT, "", now)?;
        audit::append(
            conn,
            Some(community_id),
            Some(reporter_id),
            "building_report.report",
            &serde_json::json!({}),
            &serde_json::json!({
                "report": id, "building": r.building_id, "category": r.category.as_str(),
                "title": r.title,
            }),
        )?;
        Ok::<_, DbError>(id)
    })
}

fn insert_event(
    conn: &mut DbConn,
    report_id: i64,
    actor_id: i64,
    action: &str,
    note: &str,
    now: i64,
) -> DbResult<()> {
    diesel::insert_into(building_report_events::table)
        .values((
            building_report_events::report_id.eq(report_id),
            building_report_events::actor_id.eq(actor_id),
            building_report_events::action.eq(action),
            building_report_events::note.eq(note),
            building_report_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// One step on a report, as decided by the domain's `transition`.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub report_id: i64,
    pub community_id: i64,
    pub from: Status,
    pub to: Status,
    pub action: Action,
    pub actor_id: i64,
    pub note: &'a str,
    /// Set on `assign`; other steps keep the assignee.
    pub assignee: Option<&'a str>,
    pub now: i64,
}

/// Apply a step: move the report from `from` to `to` only if it is still in `from`, and append
/// the event, in one transaction. False (and nothing written) if someone moved it first.
pub fn apply(conn: &mut DbConn, s: &Step<'_>) -> DbResult<bool> {
    write_tx(conn, |conn| {
        let target = building_reports::table
            .filter(building_reports::id.eq(s.report_id))
            .filter(building_reports::status.eq(s.from.as_str()));
        let n = match s.assignee {
            Some(a) => diesel::update(target)
                .set((
                    building_reports::status.eq(s.to.as_str()),
                    building_reports::assignee.eq(a),
                    building_reports::updated_at.eq(s.now),
                ))
                .execute(conn)?,
            None => diesel::update(target)
                .set((
                    building_reports::status.eq(s.to.as_str()),
                    building_reports::updated_at.eq(s.now),
                ))
                .execute(conn)?,
        };
        if n != 1 {
            return Ok::<_, DbError>(false);
        }
        insert_event(
            conn,
            s.report_id,
            s.actor_id,
            s.action.as_str(),
            s.note,
            s.now,
        )?;
        audit::append(
            conn,
            Some(s.community_id),
            Some(s.actor_id),
            &format!("building_report.{}", s.action.as_str()),
            &serde_json::json!({ "report": s.report_id, "status": s.from.as_str() }),
            &serde_json::json!({
                "report": s.report_id, "status": s.to.as_str(), "note": s.note,
                "assignee": s.assignee,
            }),
        )?;
        Ok(true)
    })
}

/// A report of a community.
pub fn get(conn: &mut DbConn, community_id: i64, id: i64) -> DbResult<Option<ReportRow>> {
    Ok(building_reports::table
        .filter(building_reports::id.eq(id))
        .filter(building_reports::community_id.eq(community_id))
        .select(ReportRow::as_select())
        .load(conn)?
        .into_iter()
        .next())
}

/// Which reports of a community a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every report (organisers).
    All,
    /// Those of these buildings, and those this user reported.
    Buildings { buildings: Vec<i64>, reporter: i64 },
    /// Those this user reported.
    Reporter(i64),
}

/// A community's reports in `scope`, optionally of one status, newest first.
pub fn list(
    conn: &mut DbConn,
    community_id: i64,
    scope: &Scope,
    status: Option<Status>,
) -> DbResult<Vec<ReportRow>> {
    let mut q = building_reports::table
        .filter(building_reports::community_id.eq(community_id))
        .select(ReportRow::as_select())
        .order(building_reports::id.desc())
        .into_boxed();
    match scope {
        Scope::All => {}
        Scope::Buildings {
            buildings,
            reporter,
        } => {
            q = q.filter(
                building_reports::building_id
                    .eq_any(buildings.clone())
                    .or(building_reports::reporter_id.eq(*reporter)),
            );
        }
        Scope::Reporter(uid) => q = q.filter(building_reports::reporter_id.eq(*uid)),
    }
    if let Some(s) = status {
        q = q.filter(building_reports::status.eq(s.as_str()));
    }
    Ok(q.load(conn)?)
}

/// A report's history, oldest first.
pub fn events(conn: &mut DbConn, report_id: i64) -> DbResult<Vec<EventRow>> {
    Ok(building_report_events::table
        .filter(building_report_events::report_id.eq(report_id))
        .order(building_report_events::id)
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Display names of these users.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> DbResult<HashMap<i64, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
