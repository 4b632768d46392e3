//! Who counts as one person (SPC interpretation on building co-ownership, Art. 9), and the
//! totals of area and headcount for any set of units (a community, a building, a ballot's scope).
//!
//! The rules:
//! - one exclusive unit counts as one person;
//! - co-owners of one unit share that one vote;
//! - all units the developer (建设单位) has not sold, or sold but not delivered, count together
//!   as one person;
//! - one buyer owning more than one unit counts as one person. "The same buyer" is read
//!   literally: the same owner, or the same group of co-owners. A person who owns one unit alone
//!   and another jointly with someone else is two different buyers of record.
//!
//! Every unit's area counts, whatever its headcount.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::area::AreaCenti;

pub type UnitId = i64;
pub type OwnerId = i64;

/// Whether a unit has passed from the developer to its buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Sold and delivered (已交付): the buyer is the owner.
    Delivered,
    /// Not sold (未出售): the developer's.
    Unsold,
    /// Sold but not delivered (已出售未交付): still counted with the developer.
    Undelivered,
}

impl UnitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Delivered => "delivered",
            UnitStatus::Unsold => "unsold",
            UnitStatus::Undelivered => "undelivered",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delivered" => Some(UnitStatus::Delivered),
            "unsold" => Some(UnitStatus::Unsold),
            "undelivered" => Some(UnitStatus::Undelivered),
            _ => None,
        }
    }
}

/// What kind of owner (业主).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    /// 自然人
    Person,
    /// 法人或其他组织
    Organisation,
    /// 建设单位
    Developer,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Person => "person",
            OwnerKind::Organisation => "organisation",
            OwnerKind::Developer => "developer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(OwnerKind::Person),
            "organisation" => Some(OwnerKind::Organisation),
            "developer" => Some(OwnerKind::Developer),
            _ => None,
        }
    }
}

/// The facts about one unit that counting needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFacts {
    pub unit_id: UnitId,
    /// The effective exclusive area (see [`super::area::AreaRecord::effective`]).
    pub area: AreaCenti,
    pub status: UnitStatus,
    pub owners: Vec<(OwnerId, OwnerKind)>,
}

impl UnitFacts {
    /// Does this unit count with the developer? Unsold and undelivered units do, and so does
    /// a unit whose only owners of record are developers.
    pub fn is_developer_held(&self) -> bool {
        self.status != UnitStatus::Delivered
            || (!self.owners.is_empty()
                && self.owners.iter().all(|(_, k)| *k == OwnerKind::Developer))
    }
}

/// Why a voter counts as one person, for the breakdown shown to organisers and observers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoterBasis {
    /// One unit, one owner.
    SingleUnit,
    /// One unit held by co-owners, who share one vote.
    CoOwners,
    /// Several units of the same buyer: one person.
    SameBuyer,
    /// All units the developer has not sold or not delivered: one person.
    Developer,
    /// A unit with no owner on record: one unit, one person.
    NoOwner,
}

impl VoterBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            VoterBasis::SingleUnit => "single_unit",
            VoterBasis::CoOwners => "co_owners",
            VoterBasis::SameBuyer => "same_buyer",
            VoterBasis::Developer => "developer",
            VoterBasis::NoOwner => "no_owner",
        }
    }
}

/// One entry of an electorate (表决人): counts as one head, with the area of all its units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Voter {
    /// The owners of record behind this vote, ascending.
    pub owner_ids: Vec<OwnerId>,
    /// The units whose area this vote carries, ascending.
    pub unit_ids: Vec<UnitId>,
    pub area: AreaCenti,
    pub basis: VoterBasis,
}

impl Voter {
    /// Did the rules merge several units or several owners into this one head?
    pub fn is_collapse(&self) -> bool {
        self.unit_ids.len() > 1 || self.owner_ids.len() > 1
    }
}

/// The voters of a set of units and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Electorate {
    /// Ordered by each voter's first unit.
    pub voters: Vec<Voter>,
    pub total_area: AreaCenti,
    pub total_headcount: i64,
    pub unit_count: usize,
}

impl Electorate {
    /// The voters whose headcount differs from "one unit, one owner", with the reason.
    pub fn collapses(&self) -> impl Iterator<Item = &Voter> {
        self.voters.iter().filter(|v| v.is_collapse())
    }
}

/// Count a set of units by the rules above. The order of `units` does not matter.
pub fn count(units: &[UnitFacts]) -> Electorate {
    let mut developer: Option<Voter> = None;
    let mut by_owners: BTreeMap<Vec<OwnerId>, Voter> = BTreeMap::new();
    let mut voters = Vec::new();
    let mut total_area: AreaCenti = 0;

    for unit in units {
        total_area += unit.area;
        let mut owner_ids: Vec<OwnerId> = unit.owners.iter().map(|(id, _)| *id).collect();
        owner_ids.sort_unstable();
        owner_ids.dedup();
        if unit.is_developer_held() {
            let v = developer.get_or_insert_with(|| Voter {
                owner_ids: Vec::new(),
                unit_ids: Vec::new(),
                area: 0,
                basis: VoterBasis::Developer,
            });
            // The developer's own ids (buyers of undelivered units do not vote yet).
            v.owner_ids.extend(
                unit.owners
                    .iter()
                    .filter(|(_, k)| *k == OwnerKind::Developer)
                    .map(|(id, _)| *id),
            );
            v.unit_ids.push(unit.unit_id);
            v.area += unit.area;
        } else if owner_ids.is_empty() {
            voters.push(Voter {
                owner_ids,
                unit_ids: vec![unit.unit_id],
                area: unit.area,
                basis: VoterBasis::NoOwner,
            });
        } else {
            let v = by_owners.entry(owner_ids.clone()).or_insert_with(|| Voter {
                owner_ids,
                unit_ids: Vec::new(),
                area: 0,
                basis: VoterBasis::SingleUnit,
            });
            v.unit_ids.push(unit.unit_id);
            v.area += unit.area;
        }
    }

    for mut v in by_owners.into_values() {
        v.basis = if v.unit_ids.len() > 1 {
            VoterBasis::SameBuyer
        } else if v.owner_ids.len() > 1 {
            VoterBasis::CoOwners
        } else {
            VoterBasis::SingleUnit
        };
        voters.push(v);
    }
    voters.extend(developer);
    for v in &mut voters {
        v.unit_ids.sort_unstable();
        v.owner_ids.sort_unstable();
        v.owner_ids.dedup();
    }
    voters.sort_by_key(|v| v.unit_ids.first().copied());
    Electorate {
        total_headcount: voters.len() as i64,
        voters,
        total_area,
        unit_count: units.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeSet, HashMap};

    const P: OwnerKind = OwnerKind::Person;
    const D: OwnerKind = OwnerKind::Developer;

    fn unit(
        id: UnitId,
        area: AreaCenti,
        status: UnitStatus,
        owners: &[(OwnerId, OwnerKind)],
    ) -> UnitFacts {
        UnitFacts {
            unit_id: id,
            area,
            status,
            owners: owners.to_vec(),
        }
    }

    #[test]
    fn one_unit_one_person() {
        let e = count(&[
            unit(1, 8950, UnitStatus::Delivered, &[(10, P)]),
            unit(2, 12000, UnitStatus::Delivered, &[(11, P)]),
        ]);
        assert_eq!(e.total_headcount, 2);
        assert_eq!(e.total_area, 20950);
        assert_eq!(e.collapses().count(), 0);
    }

    #[test]
    fn co_owners_share_one_vote() {
        let e = count(&[unit(1, 9000, UnitStatus::Delivered, &[(10, P), (11, P)])]);
        assert_eq!(e.total_headcount, 1);
        assert_eq!(e.voters[0].basis, VoterBasis::CoOwners);
        assert_eq!(e.voters[0].owner_ids, vec![10, 11]);
    }

    #[test]
    fn a_buyer_of_several_units_is_one_person() {
        let e = count(&[
            unit(1, 9000, UnitStatus::Delivered, &[(10, P)]),
            unit(2, 8000, UnitStatus::Delivered, &[(10, P)]),
            unit(3, 7000, UnitStatus::Delivered, &[(11, P)]),
        ]);
        assert_eq!(e.total_headcount, 2);
        let merged = e.collapses().next().unwrap();
        assert_eq!(merged.basis, VoterBasis::SameBuyer);
        assert_eq!(merged.unit_ids, vec![1, 2]);
        assert_eq!(merged.area, 17000);
        assert_eq!(e.total_area, 24000);
    }

    #[test]
    fn co_owner_groups_are_buyers_too() {
        // The same couple owning two units is one buyer; one of them alone is another.
        let e = count(&[
            unit(1, 100, UnitStatus::Delivered, &[(10, P), (11, P)]),
            unit(2, 100, UnitStatus::Delivered, &[(11, P), (10, P)]),
            unit(3, 100, UnitStatus::Delivered, &[(10, P)]),
        ]);
        assert_eq!(e.total_headcount, 2);
    }

    #[test]
    fn developer_units_are_one_person_together() {
        let e = count(&[
            unit(1, 100, UnitStatus::Unsold, &[]),
            unit(2, 200, UnitStatus::Unsold, &[(99, D)]),
            // Sold but not delivered: still the developer's for counting; the buyer does not vote.
            unit(3, 300, UnitStatus::Undelivered, &[(12, P)]),
            // Delivered, but the developer is the owner of record.
            unit(4, 400, UnitStatus::Delivered, &[(99, D)]),
            unit(5, 500, UnitStatus::Delivered, &[(12, P)]),
        ]);
        assert_eq!(e.total_headcount, 2);
        assert_eq!(e.total_area, 1500);
        let dev = e
            .voters
            .iter()
            .find(|v| v.basis == VoterBasis::Developer)
            .unwrap();
        assert_eq!(dev.unit_ids, vec![1, 2, 3, 4]);
        assert_eq!(dev.owner_ids, vec![99]);
        assert_eq!(dev.area, 1000);
    }

    #[test]
    fn units_without_owners_still_count() {
        let e = count(&[unit(1, 100, UnitStatus::Delivered, &[])]);
        assert_eq!(e.total_headcount, 1);
        assert_eq!(e.voters[0].basis, VoterBasis::NoOwner);
    }

    #[test]
    fn empty_scope() {
        let e = count(&[]);
        assert_eq!((e.total_headcount, e.total_area, e.unit_count), (0, 0, 0));
    }

    fn arb_units() -> impl Strategy<Value = Vec<UnitFacts>> {
        let status = prop_oneof![
            6 => Just(UnitStatus::Delivered),
            1 => Just(UnitStatus::Unsold),
            1 => Just(UnitStatus::Undelivered),
        ];
        let owner = (0i64..12).prop_map(|id| (id, if id == 0 { D } else { P }));
        let one = (1i64..50_000, status, proptest::collection::vec(owner, 0..4));
        proptest::collection::vec(one, 0..40).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (area, status, owners))| UnitFacts {
                    unit_id: i as i64 + 1,
                    area,
                    status,
                    owners,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn every_unit_counts_once_and_all_area_is_kept(units in arb_units()) {
            let e = count(&units);
            let mut seen = BTreeSet::new();
            for v in &e.voters {
                for u in &v.unit_ids {
                    prop_assert!(seen.insert(*u), "unit {} in two voters", u);
                }
                let area: AreaCenti = units.iter().filter(|u| v.unit_ids.contains(&u.unit_id)).map(|u| u.area).sum();
                prop_assert_eq!(v.area, area);
            }
            prop_assert_eq!(seen.len(), units.len());
            prop_assert_eq!(e.total_area, units.iter().map(|u| u.area).sum::<AreaCenti>());
            prop_assert_eq!(e.total_headcount, e.voters.len() as i64);
            prop_assert!(e.total_headcount <= units.len() as i64);
        }

        #[test]
        fn headcount_matches_a_naive_recount(units in arb_units()) {
            // Naively: one head for the developer if it holds anything, plus one per distinct
            // owner set among the other units, plus one per ownerless unit.
            let dev = units.iter().any(|u| u.is_developer_held());
            let mut sets = BTreeSet::new();
            let mut ownerless = 0;
            for u in units.iter().filter(|u| !u.is_developer_held()) {
                let set: BTreeSet<_> = u.owners.iter().map(|(id, _)| *id).collect();
                if set.is_empty() { ownerless += 1 } else { sets.insert(set); }
            }
            let e = count(&units);
            prop_assert_eq!(e.total_headcount, dev as i64 + sets.len() as i64 + ownerless);
            prop_assert!(e.voters.iter().filter(|v| v.basis == VoterBasis::Developer).count() <= 1);
        }

        #[test]
        fn order_does_not_matter(units in arb_units(), seed in any::<u64>()) {
            let mut shuffled = units.clone();
            // A deterministic shuffle from the seed.
            let mut keys: HashMap<UnitId, u64> = HashMap::new();
            for u in &shuffled {
                keys.insert(u.unit_id, (u.unit_id as u64).wrapping_mul(seed | 1).rotate_left(17));
            }
            shuffled.sort_by_key(|u| keys[&u.unit_id]);
            prop_assert_eq!(count(&units), count(&shuffled));
        }
    }
}
