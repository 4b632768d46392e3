//! Households and residents on record.

use std::collections::BTreeMap;

use chrono::Utc;
use diesel::prelude::*;

use super::schema::{buildings, households, residents, units};
use super::{DbConn, DbResult};
use crate::domain::residents::{Household, Resident, ResidentsFile};

/// (building name, room) → unit id, for placing households.
pub fn unit_index(
    conn: &mut DbConn,
    community_id: i64,
) -> DbResult<BTreeMap<(String, String), i64>> {
    let rows: Vec<(String, String, i64)> = units::table
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(units::community_id.eq(community_id))
        .select((buildings::name, units::room, units::id))
        .load(conn)?;
    Ok(rows.into_iter().map(|(b, r, id)| ((b, r), id)).collect())
}

/// The register on record, in the import file's shape.
pub fn residents_file(conn: &mut DbConn, community_id: i64) -> DbResult<ResidentsFile> {
    let homes: Vec<(i64, String, String, Option<i64>)> = households::table
        .filter(households::community_id.eq(community_id))
        .order(households::household_ref)
        .select((
            households::id,
            households::household_ref,
            households::name,
            households::unit_id,
        ))
        .load(conn)?;
    let people: Vec<(i64, String, String, i32, bool)> = residents::table
        .filter(residents::community_id.eq(community_id))
        .order(residents::resident_ref)
        .select((
            residents::household_id,
            residents::resident_ref,
            residents::name,
            residents::birth_year,
            residents::representative,
        ))
        .load(conn)?;
    let addresses: BTreeMap<i64, (String, String)> = unit_index(conn, community_id)?
        .into_iter()
        .map(|(k, id)| (id, k))
        .collect();
    let mut by_home: BTreeMap<i64, Vec<Resident>> = BTreeMap::new();
    for (hid, resident_ref, name, birth_year, representative) in people {
        by_home.entry(hid).or_default().push(Resident {
            resident_ref,
            name,
            birth_year,
            representative,
        });
    }
    Ok(ResidentsFile {
        households: homes
            .into_iter()
            .map(|(id, household_ref, name, unit_id)| {
                let address = unit_id.and_then(|u| addresses.get(&u).cloned());
                Household {
                    household_ref,
                    name,
                    building: address.as_ref().map(|a| a.0.clone()),
                    room: address.map(|a| a.1),
                    residents: by_home.remove(&id).unwrap_or_default(),
                }
            })
            .collect(),
    })
}

/// Replace the register with `file` (inside a write transaction). `units` places households;
/// the caller has checked that every address exists.
pub fn apply(
    conn: &mut DbConn,
    community_id: i64,
    file: &ResidentsFile,
    units: &BTreeMap<(String, String), i64>,
) -> DbResult<()> {
    diesel::delete(residents::table.filter(residents::community_id.eq(community_id)))
        .execute(conn)?;
    diesel::delete(households::table.filter(households::community_id.eq(community_id)))
        .execute(conn)?;
    let now = Utc::now().naive_utc();
    for h in &file.households {
        let unit_id = match (&h.building, &h.room) {
            (Some(b), Some(r)) => units.get(&(b.clone(), r.clone())).copied(),
            _ => None,
        };
        let hid: i64 = diesel::insert_into(households::table)
            .values((
                households::community_id.eq(community_id),
                households::household_ref.eq(&h.household_ref),
                households::name.eq(&h.name),
                households::unit_id.eq(unit_id),
                households::created_at.eq(now),
            ))
            .returning(households::id)
            .get_result(conn)?;
        for r in &h.residents {
            diesel::insert_into(residents::table)
                .values((
                    residents::community_id.eq(community_id),
                    residents::household_id.eq(hid),
                    residents::resident_ref.eq(&r.resident_ref),
                    residents::name.eq(&r.name),
                    residents::birth_year.eq(r.birth_year),
                    residents::representative.eq(r.representative),
                    residents::created_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
