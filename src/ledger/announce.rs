//! Announcement (公告): freeze the electorate, make the ballot's key, sign the manifest.

use std::collections::HashMap;

use super::{key_context, Ledger};
use crate::crypto::ballot_key::BallotKey;
use crate::crypto::{b64, canonical, note};
use crate::db::ballots::{self as db_ballots, Announcement, BallotRow, NewVoter};
use crate::db::communities::Community;
use crate::db::{roster, DbConn};
use crate::domain::ballot::{
    self, Basis, Kind, Manifest, ManifestCommunity, ManifestElectorate, ManifestScope, Snapshot,
    SnapshotVoter, DEFAULT_NOTICE_DAYS, MANIFEST_FORMAT,
};
use crate::domain::{headcount, lifecycle, residents};
use crate::error::{AppError, AppResult, Msg};

/// The signed manifest as served (docs/verification.md §3).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub signature: String,
}

/// A snapshot voter and the owners who may cast for it.
/// A voter of the snapshot, with who may cast for it: owners (by id) or a resident (by
/// reference, residents' conventions).
type VoterWithOwners = (SnapshotVoter, Vec<i64>, Option<String>);

/// The voters of a ballot's scope, in snapshot order, with who may cast for each.
fn electorate(
    conn: &mut DbConn,
    community: &Community,
    b: &BallotRow,
    kind: Kind,
    year: i32,
) -> AppResult<(Basis, Vec<VoterWithOwners>)> {
    let scope = b.scope();
    let in_scope = |building_id: i64| scope.is_empty() || scope.contains(&building_id);
    if kind == Kind::ResidentsConvention {
        let names: HashMap<String, i64> = roster::buildings(conn, community.id)?
            .into_iter()
            .map(|bl| (bl.name, bl.id))
            .collect();
        let file = crate::db::residents::residents_file(conn, community.id)?;
        let room_of: HashMap<&str, (Option<i64>, Vec<String>)> = file
            .households
            .iter()
            .map(|h| {
                let building = h.building.as_ref().and_then(|n| names.get(n).copied());
                let rooms = match (&h.building, &h.room) {
                    (Some(bn), Some(r)) => vec![format!("{bn} {r}")],
                    _ => vec![],
                };
                (h.household_ref.as_str(), (building, rooms))
            })
            .collect();
        let e = residents::electorate(&file, residents::AssemblyMode::AllAdults, year);
        let voters = e
            .voters
            .iter()
            .filter_map(|v| {
                let (building, rooms) = room_of.get(v.household_ref.as_str())?;
                // With a building scope, only households placed in those buildings take part.
                if !scope.is_empty() && !building.is_some_and(&in_scope) {
                    return None;
                }
                Some((
                    SnapshotVoter {
                        voter: 0,
                        rooms: rooms.clone(),
                        area_centi: 0,
                        headcount: 1,
                        name: ballot::mask_name(&v.name),
                    },
                    Vec::new(),
                    Some(v.resident_ref.clone()),
                ))
            })
            .collect();
        return Ok((Basis::Residents, voters));
    }
    let views: Vec<_> = roster::unit_views(conn, community.id, None)?
        .into_iter()
        .filter(|v| in_scope(v.building_id))
        .collect();
    let by_id: HashMap<i64, &roster::UnitView> = views.iter().map(|v| (v.id, v)).collect();
    let counted = headcount::count(&roster::facts(&views));
    let voters = counted
        .voters
        .iter()
        .map(|v| {
            let units: Vec<&&roster::UnitView> =
                v.unit_ids.iter().filter_map(|id| by_id.get(id)).collect();
            let rooms = units
                .iter()
                .map(|u| format!("{} {}", u.building, u.room))
                .collect();
            let mut names: Vec<String> = Vec::new();
            for u in &units {
                for o in &u.owners {
                    if v.owner_ids.contains(&o.id) {
                        let m = ballot::mask_name(&o.name);
                        if !names.contains(&m) {
                            names.push(m);
                        }
                    }
                }
            }
            (
                SnapshotVoter {
                    voter: 0,
                    rooms,
                    area_centi: v.area,
                    headcount: 1,
                    name: names.join("、"),
                },
                v.owner_ids.clone(),
                None,
            )
        })
        .collect();
    Ok((Basis::Owners, voters))
}

/// Announce a draft. Runs inside the caller's write transaction.
pub fn announce(
    conn: &mut DbConn,
    ledger: &Ledger,
    community: &Community,
    b: &BallotRow,
    year: i32,
) -> AppResult<BallotRow> {
    let now = ledger.clock.now();
    let clock = lifecycle::Clock {
        now,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        notice_days: i64::from(community.notice_days),
        objection_ends_at: i64::MAX,
    };
    lifecycle::transition(b.status(), lifecycle::Action::Announce, &clock, "").map_err(|r| {
        AppError::Conflict(Msg::new(r.message_id()).arg("days", community.notice_days))
    })?;
    let kind = Kind::parse(&b.kind).unwrap_or(Kind::Custom);
    let origin = ballot::origin(&ledger.log_name, &community.slug, b.id);
    let (basis, voters) = electorate(conn, community, b, kind, year)?;
    if voters.is_empty() {
        return Err(AppError::Conflict(Msg::new(
            "ballot-error-empty-electorate",
        )));
    }
    let mut snap_voters = Vec::with_capacity(voters.len());
    let mut casters = Vec::with_capacity(voters.len());
    for (v, owners, resident) in voters {
        snap_voters.push(v);
        casters.push((owners, resident));
    }
    let snapshot = Snapshot::new(origin.clone(), b.id, basis, snap_voters);
    let snapshot_bytes = canonical::to_jcs(&snapshot).map_err(AppError::internal)?;
    let snapshot_hash = crate::crypto::tokens::sha256_hex_bytes(&snapshot_bytes);

    // The scrutineers named in the manifest, each with the key registered now.
    let candidates = crate::db::tally::candidates(conn, community.id)?;
    let mut scrutineers = Vec::new();
    for (position, user_id) in b.scrutineer_ids().into_iter().enumerate() {
        let c = candidates.iter().find(|c| c.user_id == user_id);
        let Some((c, public_key)) = c.and_then(|c| Some((c, c.public_key.clone()?))) else {
            return Err(AppError::Conflict(Msg::new("ballot-error-scrutineer-key")));
        };
        scrutineers.push(crate::db::tally::BallotScrutineer {
            ballot_id: b.id,
            position: position as i32,
            user_id,
            name: c.name.clone(),
            public_key,
        });
    }
    if i64::from(b.cosignatures_required) > scrutineers.len() as i64 {
        return Err(AppError::Conflict(Msg::new(
            "ballot-error-cosignatures-required",
        )));
    }

    let key = BallotKey::generate().map_err(AppError::internal)?;
    let public_key = key.public_key();
    let building_names: HashMap<i64, String> = roster::buildings(conn, community.id)?
        .into_iter()
        .map(|bl| (bl.id, bl.name))
        .collect();
    let scope = b.scope();
    let scope = if scope.is_empty() {
        ManifestScope {
            kind: "community".into(),
            buildings: None,
        }
    } else {
        let mut names: Vec<String> = scope
            .iter()
            .filter_map(|id| building_names.get(id).cloned())
            .collect();
        names.sort();
        ManifestScope {
            kind: "buildings".into(),
            buildings: Some(names),
        }
    };
    let notice_reason = if community.notice_days == DEFAULT_NOTICE_DAYS {
        String::new()
    } else {
        community.notice_reason.clone()
    };
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        origin: origin.clone(),
        community: ManifestCommunity {
            slug: community.slug.clone(),
            name: community.name.clone(),
        },
        ballot: b.id,
        title: b.title.clone(),
        description: b.description.clone(),
        kind,
        scope,
        privacy: ballot::Privacy::parse(&b.privacy).unwrap_or(ballot::Privacy::Open),
        counting_rule: ballot::CountingRule::parse(&b.counting_rule)
            .unwrap_or(ballot::CountingRule::Ordinary),
        questions: b.questions(),
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        announced_at: now,
        notice_days: i64::from(community.notice_days),
        notice_reason: notice_reason.clone(),
        public_key: b64(&public_key),
        verifier_key: note::verifier_key(&origin, &public_key),
        electorate: ManifestElectorate {
            basis,
            snapshot_sha256: snapshot_hash,
            voters: snapshot.voters.len() as i64,
            area_centi: snapshot.area_centi,
            headcount: snapshot.headcount,
        },
        rule: Some(b.rule()),
        scrutineers: scrutineers
            .iter()
            .map(|s| ballot::ManifestScrutineer {
                name: s.name.clone(),
                public_key: s.public_key.clone(),
            })
            .collect(),
        cosignatures_required: i64::from(b.cosignatures_required),
        document: super::conventions::document_of(conn, b.id)?,
        casting: b.casting(),
    };
    let manifest_bytes = canonical::to_jcs(&manifest).map_err(AppError::internal)?;
    let signature = b64(&key.sign(&manifest_bytes));
    let sealed = key
        .seal(ledger.kek(), &key_context(b.id))
        .map_err(AppError::internal)?;
    let new_voters: Vec<NewVoter> = snapshot
        .voters
        .iter()
        .zip(casters)
        .map(|(v, (owners, resident))| NewVoter {
            voter_index: v.voter,
            area_centi: v.area_centi,
            headcount: v.headcount,
            rooms: v.rooms.clone(),
            owner_ids: owners,
            resident_ref: resident,
        })
        .collect();
    let manifest_text = String::from_utf8(manifest_bytes).map_err(AppError::internal)?;
    let snapshot_text = String::from_utf8(snapshot_bytes).map_err(AppError::internal)?;
    let done = db_ballots::announce(
        conn,
        b,
        &Announcement {
            announced_at: now,
            notice_days: community.notice_days,
            notice_reason: &notice_reason,
            manifest: &manifest_text,
            manifest_signature: &signature,
            snapshot: &snapshot_text,
            sealed_key: &sealed,
            voters: &new_voters,
        },
    )?;
    if !done {
        return Err(AppError::Conflict(Msg::new("lifecycle-illegal")));
    }
    crate::db::tally::insert_scrutineers(conn, &scrutineers)?;
    let row = db_ballots::get(conn, community.id, b.id)?.ok_or(AppError::NotFound)?;
    // The empty log's checkpoint, so the board has a signed tree head from the start.
    ledger.ensure_checkpoint(conn, &row, &origin, 0)?;
    Ok(row)
}
