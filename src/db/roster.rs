//! The roster on record: buildings, units, owners and ownership.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{buildings, households, invitation_codes, owners, unit_owners, units, users};
use super::{DbConn, DbResult};
use crate::domain::area::{AreaRecord, AreaSource};
use crate::domain::headcount::{OwnerKind, UnitFacts, UnitStatus};
use crate::domain::roster_csv::{RosterFile, RosterOwner, RosterUnit};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = buildings)]
pub struct Building {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = owners)]
pub struct Owner {
    pub id: i64,
    pub community_id: i64,
    pub owner_ref: String,
    pub name: String,
    pub kind: String,
    pub phone: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Owner {
    pub fn kind(&self) -> OwnerKind {
        OwnerKind::parse(&self.kind).unwrap_or(OwnerKind::Person)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub community_id: i64,
    pub building_id: i64,
    pub room: String,
    pub area_registry: Option<i64>,
    pub area_survey: Option<i64>,
    pub area_contract: Option<i64>,
    pub status: String,
    pub created_at: NaiveDateTime,
}

impl UnitRow {
    pub fn area(&self) -> AreaRecord {
        AreaRecord {
            registry: self.area_registry,
            survey: self.area_survey,
            contract: self.area_contract,
        }
    }
    pub fn status(&self) -> UnitStatus {
        UnitStatus::parse(&self.status).unwrap_or(UnitStatus::Delivered)
    }
}

/// A unit as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub id: i64,
    pub building_id: i64,
    pub building: String,
    pub room: String,
    pub area: AreaRecord,
    /// The area that counts, hundredths of m².
    pub effective_area: i64,
    pub area_source: Option<AreaSource>,
    pub status: UnitStatus,
    pub owners: Vec<OwnerRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OwnerRef {
    pub id: i64,
    pub owner_ref: String,
    pub name: String,
    pub kind: OwnerKind,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

pub fn buildings(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<Building>> {
    Ok(buildings::table
        .filter(buildings::community_id.eq(community_id))
        .order(buildings::id)
        .select(Building::as_select())
        .load(conn)?)
}

pub fn add_building(conn: &mut DbConn, community_id: i64, name: &str) -> DbResult<Building> {
    Ok(diesel::insert_into(buildings::table)
        .values((
            buildings::community_id.eq(community_id),
            buildings::name.eq(name),
            buildings::created_at.eq(now()),
        ))
        .returning(buildings::all_columns)
        .get_result::<Building>(conn)?)
}

pub fn owners(conn: &mut DbConn, community_id: i64) -> DbResult<Vec<Owner>> {
    Ok(owners::table
        .filter(owners::community_id.eq(community_id))
        .order(owners::owner_ref)
        .select(Owner::as_select())
        .load(conn)?)
}

pub fn owner(conn: &mut DbConn, community_id: i64, owner_id: i64) -> DbResult<Option<Owner>> {
    Ok(owners::table
        .filter(owners::community_id.eq(community_id))
        .filter(owners::id.eq(owner_id))
        .select(Owner::as_select())
        .first(conn)
        .optional()?)
}

/// Every unit of a community (or of one building) with its owners, ordered by building and room.
pub fn unit_views(
    conn: &mut DbConn,
    community_id: i64,
    building: Option<i64>,
) -> DbResult<Vec<UnitView>> {
    let mut q = units::table
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(units::community_id.eq(community_id))
        .into_boxed();
    if let Some(b) = building {
        q = q.filter(units::building_id.eq(b));
    }
    let rows: Vec<(UnitRow, String)> = q
        .order((buildings::id, units::room))
        .select((UnitRow::as_select(), buildings::name))
        .load(conn)?;
    let links: Vec<(i64, Owner)> = unit_owners::table
        .inner_join(owners::table.on(owners::id.eq(unit_owners::owner_id)))
        .filter(unit_owners::community_id.eq(community_id))
        .order(owners::owner_ref)
        .select((unit_owners::unit_id, Owner::as_select()))
        .load(conn)?;
    let mut by_unit: BTreeMap<i64, Vec<OwnerRef>> = BTreeMap::new();
    for (unit_id, o) in links {
        by_unit.entry(unit_id).or_default().push(OwnerRef {
            id: o.id,
            kind: o.kind(),
            owner_ref: o.owner_ref,
            name: o.name,
        });
    }
    Ok(rows
        .into_iter()
        .map(|(u, building)| {
            let effective = u.area().effective();
            UnitView {
                id: u.id,
                building_id: u.building_id,
                building,
                room: u.room.clone(),
                area: u.area(),
                effective_area: effective.map(|(a, _)| a).unwrap_or(0),
                area_source: effective.map(|(_, s)| s),
                status: u.status(),
                owners: by_unit.remove(&u.id).unwrap_or_default(),
            }
        })
        .collect())
}

/// The counting facts of unit views.
pub fn facts(views: &[UnitView]) -> Vec<UnitFacts> {
    views
        .iter()
        .map(|v| UnitFacts {
            unit_id: v.id,
            area: v.effective_area,
            status: v.status,
            owners: v.owners.iter().map(|o| (o.id, o.kind)).collect(),
        })
        .collect()
}

/// The units an owner holds (alone or with co-owners).
pub fn units_of_owner(
    conn: &mut DbConn,
    community_id: i64,
    owner_id: i64,
) -> DbResult<Vec<UnitView>> {
    let ids: BTreeSet<i64> = unit_owners::table
        .filter(unit_owners::community_id.eq(community_id))
        .filter(unit_owners::owner_id.eq(owner_id))
        .select(unit_owners::unit_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(unit_views(conn, community_id, None)?
        .into_iter()
        .filter(|u| ids.contains(&u.id))
        .collect())
}

/// The roster on record, in the import file's shape (for export and for diffs).
pub fn roster_file(conn: &mut DbConn, community_id: i64) -> DbResult<RosterFile> {
    let views = unit_views(conn, community_id, None)?;
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut units: Vec<RosterUnit> = views
        .iter()
        .map(|v| {
            let mut refs: Vec<String> = v.owners.iter().map(|o| o.owner_ref.clone()).collect();
            refs.sort();
            used.extend(refs.iter().cloned());
            RosterUnit {
                building: v.building.clone(),
                room: v.room.clone(),
                area: v.area,
                status: v.status,
                owner_refs: refs,
            }
        })
        .collect();
    units.sort_by(|a, b| (&a.building, &a.room).cmp(&(&b.building, &b.room)));
    // Owners with no unit (kept because an account or a code points at them) are not part
    // of the roster file.
    let owners = owners(conn, community_id)?
        .into_iter()
        .filter(|o| used.contains(&o.owner_ref))
        .map(|o| RosterOwner {
            kind: o.kind(),
            owner_ref: o.owner_ref,
            name: o.name,
            phone: o.phone,
        })
        .collect();
    Ok(RosterFile { units, owners })
}

/// Make the roster on record equal to `file`. Run inside a write transaction.
/// Units are matched by building and room, owners by reference. Owners who leave the roster
/// are deleted unless an account or an invitation code refers to them; then they stay,
/// holding no unit.
pub fn apply(conn: &mut DbConn, community_id: i64, file: &RosterFile) -> DbResult<()> {
    let building_ids: BTreeMap<String, i64> = buildings(conn, community_id)?
        .into_iter()
        .map(|b| (b.name, b.id))
        .collect();

    // Owners.
    let existing: BTreeMap<String, Owner> = owners(conn, community_id)?
        .into_iter()
        .map(|o| (o.owner_ref.clone(), o))
        .collect();
    let mut owner_ids: BTreeMap<String, i64> = BTreeMap::new();
    for o in &file.owners {
        match existing.get(&o.owner_ref) {
            Some(e) => {
                if e.name != o.name || e.kind() != o.kind || e.phone != o.phone {
                    diesel::update(owners::table.filter(owners::id.eq(e.id)))
                        .set((
                            owners::name.eq(&o.name),
                            owners::kind.eq(o.kind.as_str()),
                            owners::phone.eq(&o.phone),
                        ))
                        .execute(conn)?;
                }
                owner_ids.insert(o.owner_ref.clone(), e.id);
            }
            None => {
                let id: i64 = diesel::insert_into(owners::table)
                    .values((
                        owners::community_id.eq(community_id),
                        owners::owner_ref.eq(&o.owner_ref),
                        owners::name.eq(&o.name),
                        owners::kind.eq(o.kind.as_str()),
                        owners::phone.eq(&o.phone),
                        owners::created_at.eq(now()),
                    ))
                    .returning(owners::id)
                    .get_result(conn)?;
                owner_ids.insert(o.owner_ref.clone(), id);
            }
        }
    }

    // Units.
    let existing_units: Vec<UnitRow> = units::table
        .filter(units::community_id.eq(community_id))
        .select(UnitRow::as_select())
        .load(conn)?;
    let mut by_key: BTreeMap<(i64, String), UnitRow> = existing_units
        .into_iter()
        .map(|u| ((u.building_id, u.room.clone()), u))
        .collect();
    diesel::delete(unit_owners::table.filter(unit_owners::community_id.eq(community_id)))
        .execute(conn)?;
    for u in &file.units {
        let Some(&building_id) = building_ids.get(&u.building) else {
            return Err(diesel::result::Error::NotFound.into());
        };
        let unit_id = match by_key.remove(&(building_id, u.room.clone())) {
            Some(row) => {
                if row.area() != u.area || row.status() != u.status {
                    diesel::update(units::table.filter(units::id.eq(row.id)))
                        .set((
                            units::area_registry.eq(u.area.registry),
                            units::area_survey.eq(u.area.survey),
                            units::area_contract.eq(u.area.contract),
                            units::status.eq(u.status.as_str()),
                        ))
                        .execute(conn)?;
                }
                row.id
            }
            None => diesel::insert_into(units::table)
                .values((
                    units::community_id.eq(community_id),
                    units::building_id.eq(building_id),
                    units::room.eq(&u.room),
                    units::area_registry.eq(u.area.registry),
                    units::area_survey.eq(u.area.survey),
                    units::area_contract.eq(u.area.contract),
                    units::status.eq(u.status.as_str()),
                    units::created_at.eq(now()),
                ))
                .returning(units::id)
                .get_result(conn)?,
        };
        for r in &u.owner_refs {
            if let Some(&owner_id) = owner_ids.get(r) {
                diesel::insert_into(unit_owners::table)
                    .values((
                        unit_owners::community_id.eq(community_id),
                        unit_owners::unit_id.eq(unit_id),
                        unit_owners::owner_id.eq(owner_id),
                    ))
                    .execute(conn)?;
            }
        }
    }
    // Units no longer on the roster.
    let gone: Vec<i64> = by_key.values().map(|u| u.id).collect();
    if !gone.is_empty() {
        // Households that lived in a removed unit keep their residents but lose the address.
        diesel::update(
            households::table
                .filter(households::community_id.eq(community_id))
                .filter(households::unit_id.eq_any(&gone)),
        )
        .set(households::unit_id.eq(None::<i64>))
        .execute(conn)?;
        diesel::delete(units::table.filter(units::id.eq_any(&gone))).execute(conn)?;
    }
    // Owners no longer on the roster, unless something refers to them.
    let leaving: Vec<i64> = existing
        .values()
        .filter(|o| !owner_ids.contains_key(&o.owner_ref))
        .map(|o| o.id)
        .collect();
    if !leaving.is_empty() {
        let referenced: BTreeSet<i64> = users::table
            .filter(users::owner_id.eq_any(&leaving))
            .select(users::owner_id.assume_not_null())
            .load::<i64>(conn)?
            .into_iter()
            .chain(
                invitation_codes::table
                    .filter(invitation_codes::owner_id.eq_any(&leaving))
                    .select(invitation_codes::owner_id)
                    .load::<i64>(conn)?,
            )
            .collect();
        let deletable: Vec<i64> = leaving
            .into_iter()
            .filter(|id| !referenced.contains(id))
            .collect();
        if !deletable.is_empty() {
            diesel::delete(owners::table.filter(owners::id.eq_any(&deletable))).execute(conn)?;
        }
    }
    Ok(())
}
