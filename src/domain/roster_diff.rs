//! What re-importing a roster would change, and the totals before and after.

use std::collections::BTreeMap;

use serde::Serialize;

use super::area::AreaCenti;
use super::headcount::{self, Electorate, UnitFacts};
use super::roster_csv::{RosterFile, RosterOwner, RosterUnit};

/// Area, headcount and number of units of a roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Totals {
    pub area: AreaCenti,
    pub headcount: i64,
    pub units: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitChange {
    pub before: RosterUnit,
    pub after: RosterUnit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerChange {
    pub before: RosterOwner,
    pub after: RosterOwner,
}

/// The difference between the roster on record and an uploaded one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterDiff {
    pub units_added: Vec<RosterUnit>,
    pub units_removed: Vec<RosterUnit>,
    pub units_changed: Vec<UnitChange>,
    pub owners_added: Vec<RosterOwner>,
    pub owners_removed: Vec<RosterOwner>,
    pub owners_changed: Vec<OwnerChange>,
    pub before: Totals,
    pub after: Totals,
}

impl RosterDiff {
    pub fn is_empty(&self) -> bool {
        self.units_added.is_empty()
            && self.units_removed.is_empty()
            && self.units_changed.is_empty()
            && self.owners_added.is_empty()
            && self.owners_removed.is_empty()
            && self.owners_changed.is_empty()
    }

    pub fn area_change(&self) -> AreaCenti {
        self.after.area - self.before.area
    }

    pub fn headcount_change(&self) -> i64 {
        self.after.headcount - self.before.headcount
    }
}

/// Count a roster file by the headcount rules (owners identified by their reference).
pub fn electorate_of(file: &RosterFile) -> Electorate {
    let owner_ids: BTreeMap<&str, (i64, headcount::OwnerKind)> = file
        .owners
        .iter()
        .enumerate()
        .map(|(i, o)| (o.owner_ref.as_str(), (i as i64 + 1, o.kind)))
        .collect();
    let facts: Vec<UnitFacts> = file
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| UnitFacts {
            unit_id: i as i64 + 1,
            area: u.area.effective().map(|(a, _)| a).unwrap_or(0),
            status: u.status,
            owners: u
                .owner_refs
                .iter()
                .filter_map(|r| owner_ids.get(r.as_str()).copied())
                .collect(),
        })
        .collect();
    headcount::count(&facts)
}

pub fn totals(file: &RosterFile) -> Totals {
    let e = electorate_of(file);
    Totals {
        area: e.total_area,
        headcount: e.total_headcount,
        units: e.unit_count,
    }
}

pub fn diff(old: &RosterFile, new: &RosterFile) -> RosterDiff {
    let key = |u: &RosterUnit| (u.building.clone(), u.room.clone());
    let old_units: BTreeMap<_, &RosterUnit> = old.units.iter().map(|u| (key(u), u)).collect();
    let new_units: BTreeMap<_, &RosterUnit> = new.units.iter().map(|u| (key(u), u)).collect();
    let old_owners: BTreeMap<&str, &RosterOwner> = old
        .owners
        .iter()
        .map(|o| (o.owner_ref.as_str(), o))
        .collect();
    let new_owners: BTreeMap<&str, &RosterOwner> = new
        .owners
        .iter()
        .map(|o| (o.owner_ref.as_str(), o))
        .collect();

    RosterDiff {
        units_added: new_units
            .iter()
            .filter(|(k, _)| !old_units.contains_key(*k))
            .map(|(_, u)| (*u).clone())
            .collect(),
        units_removed: old_units
            .iter()
            .filter(|(k, _)| !new_units.contains_key(*k))
            .map(|(_, u)| (*u).clone())
            .collect(),
        units_changed: new_units
            .iter()
            .filter_map(|(k, after)| {
                old_units
                    .get(k)
                    .filter(|before| **before != *after)
                    .map(|before| UnitChange {
                        before: (*before).clone(),
                        after: (*after).clone(),
                    })
            })
            .collect(),
        owners_added: new_owners
            .iter()
            .filter(|(k, _)| !old_owners.contains_key(*k))
            .map(|(_, o)| (*o).clone())
            .collect(),
        owners_removed: old_owners
            .iter()
            .filter(|(k, _)| !new_owners.contains_key(*k))
            .map(|(_, o)| (*o).clone())
            .collect(),
        owners_changed: new_owners
            .iter()
            .filter_map(|(k, after)| {
                old_owners
                    .get(k)
                    .filter(|before| **before != *after)
                    .map(|before| OwnerChange {
                        before: (*before).clone(),
                        after: (*after).clone(),
                    })
            })
            .collect(),
        before: totals(old),
        after: totals(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::area::AreaRecord;
    use crate::domain::headcount::{OwnerKind, UnitStatus};

    fn owner(r: &str, name: &str) -> RosterOwner {
        RosterOwner {
            owner_ref: r.into(),
            name: name.into(),
            kind: OwnerKind::Person,
            phone: None,
        }
    }
    fn unit(room: &str, area: i64, owners: &[&str]) -> RosterUnit {
        RosterUnit {
            building: "1号楼".into(),
            room: room.into(),
            area: AreaRecord {
                registry: Some(area),
                survey: None,
                contract: None,
            },
            status: UnitStatus::Delivered,
            owner_refs: owners.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn shows_every_kind_of_change_and_the_totals() {
        let old = RosterFile {
            units: vec![
                unit("101", 9000, &["A"]),
                unit("102", 8000, &["B"]),
                unit("103", 7000, &["C"]),
            ],
            owners: vec![owner("A", "张三"), owner("B", "李四"), owner("C", "王五")],
        };
        let new = RosterFile {
            // 101 unchanged, 102 area corrected, 103 gone, 104 new and bought by A.
            units: vec![
                unit("101", 9000, &["A"]),
                unit("102", 8050, &["B"]),
                unit("104", 6000, &["A"]),
            ],
            owners: vec![owner("A", "张三"), owner("B", "李四四")],
        };
        let d = diff(&old, &new);
        assert_eq!(d.units_added.len(), 1);
        assert_eq!(d.units_added[0].room, "104");
        assert_eq!(d.units_removed[0].room, "103");
        assert_eq!(d.units_changed.len(), 1);
        assert_eq!(d.units_changed[0].after.area.registry, Some(8050));
        assert_eq!(d.owners_removed[0].owner_ref, "C");
        assert_eq!(d.owners_changed[0].after.name, "李四四");
        assert!(d.owners_added.is_empty());
        assert_eq!(
            d.before,
            Totals {
                area: 24000,
                headcount: 3,
                units: 3
            }
        );
        // A holds two units now: one person.
        assert_eq!(
            d.after,
            Totals {
                area: 23050,
                headcount: 2,
                units: 3
            }
        );
        assert_eq!(d.area_change(), -950);
        assert_eq!(d.headcount_change(), -1);
        assert!(!d.is_empty());
        assert!(diff(&new, &new).is_empty());
    }
}
