//! What the election's pages and prints read from its event log besides the service's view
//! ([`crate::elections::view`]): the published list with each candidate's ballot option id,
//! the preliminary and final results with names, the first meeting, the filing, the history,
//! and the leaves and checkpoint that tie each printed document to the signed log.

use std::collections::HashMap;

use serde::Serialize;

use crate::db::elections::{self as db, CheckpointRow};
use crate::db::DbConn;
use crate::domain::area::format_area;
use crate::domain::ballot::mask_name;
use crate::domain::election::{ElectionResult, Event, EventLeaf};
use crate::domain::merkle;
use crate::elections::ElectionView;
use crate::error::{AppError, AppResult};
use crate::ledger::election_log;

/// A candidate of the published list: `id` is the ballot's option id (`o1`, `o2`, …).
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub nomination: i64,
    pub name: String,
    pub self_nominated: bool,
    pub cosigners: usize,
    pub statement: String,
}

/// One candidate's line of a result.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    pub id: String,
    pub name: String,
    pub headcount: i64,
    pub area: String,
    pub passes: bool,
    pub elected: bool,
    /// The alternate's place (1 = first), if an alternate.
    pub alternate: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunOffView {
    pub seats: usize,
    pub alternates: usize,
    pub names: Vec<String>,
}

/// A preliminary or final result as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultView {
    pub at: i64,
    pub ballot: i64,
    pub tally_record_sha256: String,
    pub seats: usize,
    pub alternates: usize,
    pub electorate_area: String,
    pub electorate_headcount: i64,
    pub participation_area: String,
    pub participation_headcount: i64,
    pub participation_area_met: bool,
    pub participation_headcount_met: bool,
    pub participation_met: bool,
    pub rows: Vec<ResultRow>,
    pub elected: Vec<String>,
    pub run_offs: Vec<RunOffView>,
    pub vacant_seats: usize,
    pub vacant_alternates: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub recorded_at: i64,
    pub meeting_at: i64,
    pub chair: String,
    pub vice_chair: String,
}

/// A leaf of the log: where it is and its RFC 9162 leaf hash, SHA-256(0x00 ‖ leaf), in hex.
#[derive(Debug, Clone, Serialize)]
pub struct Doc {
    pub index: i64,
    pub hash: String,
    pub at: i64,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    pub size: i64,
    pub root: String,
    pub note: String,
    pub at: i64,
}

/// Everything the log says that the view does not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub listed: Vec<Listed>,
    pub counted: Option<ResultView>,
    pub certified: Option<ResultView>,
    pub meeting: Option<MeetingView>,
    /// `(recorded at, on time)`.
    pub filed: Option<(i64, bool)>,
    /// `(at, reason)`.
    pub cancelled: Option<(i64, String)>,
    /// Every leaf, oldest first.
    pub history: Vec<Doc>,
    /// The leaves that recorded the printable documents, by kind (the last of each).
    pub docs: HashMap<String, Doc>,
    pub checkpoint: Option<CheckpointView>,
}

impl Facts {
    /// The elected members (option id and name) of the final result, for the first
    /// meeting's form.
    pub fn elected(&self) -> Vec<(String, String)> {
        self.certified.as_ref().map_or_else(Vec::new, |r| {
            r.rows
                .iter()
                .filter(|row| row.elected)
                .map(|row| (row.id.clone(), row.name.clone()))
                .collect()
        })
    }
}

fn result_view(
    at: i64,
    ballot: i64,
    sha: &str,
    r: &ElectionResult,
    name: &dyn Fn(&str) -> String,
) -> ResultView {
    let rank = |id: &str| {
        r.elected_alternates
            .iter()
            .find(|a| a.candidate == id)
            .map(|a| a.rank)
    };
    ResultView {
        at,
        ballot,
        tally_record_sha256: sha.to_owned(),
        seats: r.seats,
        alternates: r.alternates,
        electorate_area: format_area(r.electorate.area_centi),
        electorate_headcount: r.electorate.headcount,
        participation_area: format_area(r.participation.area_centi),
        participation_headcount: r.participation.headcount,
        participation_area_met: r.participation_area_met,
        participation_headcount_met: r.participation_headcount_met,
        participation_met: r.participation_met,
        rows: r
            .candidates
            .iter()
            .map(|o| ResultRow {
                id: o.option.clone(),
                name: name(&o.option),
                headcount: o.approving.headcount,
                area: format_area(o.approving.area_centi),
                passes: o.passes,
                elected: r.elected.contains(&o.option),
                alternate: rank(&o.option),
            })
            .collect(),
        elected: r.elected.iter().map(|id| name(id)).collect(),
        run_offs: r
            .run_offs
            .iter()
            .map(|x| RunOffView {
                seats: x.seats,
                alternates: x.alternates,
                names: x.tied.iter().map(|id| name(id)).collect(),
            })
            .collect(),
        vacant_seats: r.vacant_seats,
        vacant_alternates: r.vacant_alternates,
    }
}

/// Read the log of the election `v` shows. `masked`: names as the public log has them.
pub fn load(conn: &mut DbConn, v: &ElectionView, masked: bool) -> AppResult<Facts> {
    let id = v.election.id;
    let rows = db::events(conn, id)?;
    let checkpoint = db::latest_checkpoint(conn, id)?;
    facts(&rows, checkpoint, v, masked)
}

fn kind_of(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|j| j["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn facts(
    rows: &[db::EventRow],
    checkpoint: Option<CheckpointRow>,
    v: &ElectionView,
    masked: bool,
) -> AppResult<Facts> {
    let mut f = Facts {
        checkpoint: checkpoint.map(|c| CheckpointView {
            size: c.tree_size,
            root: c.root.iter().map(|b| format!("{b:02x}")).collect(),
            note: c.note,
            at: c.created_at,
        }),
        ..Facts::default()
    };
    let shown = |name: &str| {
        if masked {
            mask_name(name)
        } else {
            name.to_owned()
        }
    };
    let mut names: HashMap<String, String> = HashMap::new();
    for r in rows {
        let leaf: EventLeaf = serde_json::from_str(&r.body).map_err(|err| {
            AppError::internal(anyhow::anyhow!(
                "election {}: leaf {} does not parse: {err}",
                r.election_id,
                r.leaf_index
            ))
        })?;
        let hash: merkle::Hash = r.leaf_hash.as_slice().try_into().map_err(|_| {
            AppError::internal(anyhow::anyhow!("a stored leaf hash is not 32 bytes"))
        })?;
        let doc = Doc {
            index: r.leaf_index,
            hash: merkle::to_hex(&hash),
            at: leaf.at,
            kind: kind_of(&leaf.event),
        };
        f.docs.insert(doc.kind.clone(), doc.clone());
        f.history.push(doc);
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
        match &leaf.event {
            Event::Published { candidates } => {
                f.listed = candidates
                    .iter()
                    .map(|l| {
                        let c = v.candidates.iter().find(|c| c.row.id == l.nomination);
                        Listed {
                            id: l.candidate.clone(),
                            nomination: l.nomination,
                            name: c.map_or_else(|| l.name.clone(), |c| shown(&c.name)),
                            self_nominated: c.is_some_and(|c| c.row.self_nominated),
                            cosigners: c.map_or(0, |c| c.cosigners),
                            statement: if masked {
                                String::new()
                            } else {
                                c.map(|c| c.row.statement.clone()).unwrap_or_default()
                            },
                        }
                    })
                    .collect();
                names = f
                    .listed
                    .iter()
                    .map(|l| (l.id.clone(), l.name.clone()))
                    .collect();
            }
            Event::Counted {
                ballot,
                tally_record_sha256,
                result,
            } => {
                f.counted = Some(result_view(
                    leaf.at,
                    *ballot,
                    tally_record_sha256,
                    result,
                    &name,
                ));
            }
            Event::Certified {
                ballot,
                tally_record_sha256,
                result,
            } => {
                f.certified = Some(result_view(
                    leaf.at,
                    *ballot,
                    tally_record_sha256,
                    result,
                    &name,
                ));
            }
            Event::FirstMeeting {
                meeting_at,
                chair,
                vice_chair,
            } => {
                f.meeting = Some(MeetingView {
                    recorded_at: leaf.at,
                    meeting_at: *meeting_at,
                    chair: name(chair),
                    vice_chair: name(vice_chair),
                });
            }
            Event::Filed { on_time } => f.filed = Some((leaf.at, *on_time)),
            Event::Cancelled { reason } => f.cancelled = Some((leaf.at, reason.clone())),
            _ => {}
        }
    }
    Ok(f)
}

/// The inclusion proof of leaf `index` in the latest checkpoint's tree, hex hashes.
pub fn proof(conn: &mut DbConn, election_id: i64, index: i64, size: i64) -> AppResult<Vec<String>> {
    let (Ok(index), Ok(size)) = (u64::try_from(index), u64::try_from(size)) else {
        return Ok(Vec::new());
    };
    election_log::inclusion_proof(conn, election_id, index, size)
}
