//! The entry checks of docs/verification.md §14.4, made by the writer for each new leaf
//! under the ballot's lock: the conflict rule ([`casting::admit`]), proxy authorisations,
//! paper families and their one-time codes, scans used once, four eyes on confirmations.

use std::collections::HashMap;

use super::writer::{Cast, CastChannel};
use crate::crypto::ballot_key::BallotKey;
use crate::db::ballots::{BallotRow, LeafRow};
use crate::db::casting as db_casting;
use crate::db::DbConn;
use crate::domain::ballot::{Answer, Leaf};
use crate::domain::casting::{self, Channel, ConflictRule, Entry, ProxyAuthorisation, Refusal};
use crate::domain::record::{LeafPaper, LeafProxy};
use crate::error::{AppError, AppResult};

/// What a checked cast adds to its leaf and its row.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub channel: Channel,
    pub answers: Vec<Answer>,
    pub proxy: Option<LeafProxy>,
    pub paper: Option<LeafPaper>,
    pub corrects: Option<i64>,
    /// Confirmations: the scrutineer's user id.
    pub confirmed_by: Option<i64>,
    pub scan_sha256: Option<String>,
    pub authorisation_id: Option<i64>,
}

impl Admitted {
    fn online(answers: Vec<Answer>) -> Self {
        Admitted {
            channel: Channel::Online,
            answers,
            proxy: None,
            paper: None,
            corrects: None,
            confirmed_by: None,
            scan_sha256: None,
            authorisation_id: None,
        }
    }
}

/// The state the checks need within one group commit of one ballot: voters' ledgers and the
/// authorisations (read once, under the lock), and what this group appended so far.
pub struct Checks<'a> {
    ballot: &'a BallotRow,
    key: &'a BallotKey,
    rule: ConflictRule,
    proxy_cap: u32,
    stored: HashMap<i64, Vec<LeafRow>>,
    added: HashMap<i64, Vec<LeafRow>>,
    authorisations: Option<Vec<ProxyAuthorisation>>,
    /// Scan hashes of paper leaves appended in this group, with their family.
    scans: HashMap<String, i64>,
}

type Checked = AppResult<Result<Admitted, Refusal>>;

impl<'a> Checks<'a> {
    pub fn new(ballot: &'a BallotRow, key: &'a BallotKey) -> Self {
        let terms = ballot.casting();
        Checks {
            ballot,
            key,
            rule: terms.conflict_rule,
            proxy_cap: terms.proxy_cap,
            stored: HashMap::new(),
            added: HashMap::new(),
            authorisations: None,
            scans: HashMap::new(),
        }
    }

    /// The voter's leaves: committed ones, then this group's.
    fn ledger(&mut self, conn: &mut DbConn, voter: i64) -> AppResult<Vec<LeafRow>> {
        if !self.stored.contains_key(&voter) {
            let rows = db_casting::ledger(conn, self.ballot.id, voter)?;
            self.stored.insert(voter, rows);
        }
        let mut rows = self.stored.get(&voter).cloned().unwrap_or_default();
        rows.extend(self.added.get(&voter).cloned().unwrap_or_default());
        Ok(rows)
    }

    /// Record a leaf appended in this group.
    pub fn appended(&mut self, row: &LeafRow) {
        if let (Some(scan), true) = (&row.scan_sha256, row.channel == Channel::Paper.as_str()) {
            self.scans
                .insert(scan.clone(), row.corrects.unwrap_or(row.leaf_index));
        }
        self.added
            .entry(row.voter_index)
            .or_default()
            .push(row.clone());
    }

    /// Check `cast` as the leaf at log index `index`, accepted at `now`.
    pub fn admit(&mut self, conn: &mut DbConn, cast: &Cast, index: i64, now: i64) -> Checked {
        let seq = u64::try_from(index).map_err(AppError::internal)?;
        let voter = cast.voter.voter_index;
        let closes_at = self.ballot.closes_at;
        match &cast.channel {
            CastChannel::Online => {
                let entry = Entry::online(seq, now);
                // Under the default rule an online ballot is never refused (it is the latest).
                if self.rule != ConflictRule::LatestBeforeClose || now >= closes_at {
                    let existing = entries(&self.ledger(conn, voter)?);
                    if let Err(r) = casting::admit(&existing, &entry, self.rule, closes_at, None) {
                        return Ok(Err(r));
                    }
                }
                Ok(Ok(Admitted::online(cast.answers.clone())))
            }
            CastChannel::Proxy => self.proxy(conn, cast, seq, now),
            CastChannel::Paper {
                scan_sha256,
                corrects,
            } => self.paper(conn, cast, scan_sha256, *corrects, seq, now),
            CastChannel::Confirm { seen, position } => {
                self.confirm(conn, cast, *seen, *position, seq, now)
            }
        }
    }

    fn proxy(&mut self, conn: &mut DbConn, cast: &Cast, seq: u64, now: i64) -> Checked {
        if self.proxy_cap == 0 {
            return Ok(Err(Refusal::ProxyDisabled));
        }
        if self.authorisations.is_none() {
            let rows = db_casting::authorisations(conn, self.ballot.id)?;
            self.authorisations = Some(rows.iter().map(|a| a.rule()).collect());
        }
        let all = self.authorisations.as_deref().unwrap_or_default();
        let grant = match casting::grant_for(all, cast.user_id, cast.voter.voter_index) {
            Ok(g) => g.clone(),
            Err(r) => return Ok(Err(r)),
        };
        let existing = entries(&self.ledger(conn, cast.voter.voter_index)?);
        let entry = Entry::proxy(seq, now);
        if let Err(r) = casting::admit(
            &existing,
            &entry,
            self.rule,
            self.ballot.closes_at,
            Some(&grant),
        ) {
            return Ok(Err(r));
        }
        let holder = self
            .key
            .proxy_tag(u64::try_from(cast.user_id).map_err(AppError::internal)?);
        Ok(Ok(Admitted {
            channel: Channel::Proxy,
            proxy: Some(LeafProxy {
                holder,
                source: grant.source.as_str().to_owned(),
                scan_sha256: grant.source.scan_sha256().map(str::to_owned),
            }),
            scan_sha256: grant.source.scan_sha256().map(str::to_owned),
            authorisation_id: Some(grant.id),
            ..Admitted::online(cast.answers.clone())
        }))
    }

    /// Whether `hash` was entered for another paper family than `family`, or for an
    /// authorisation.
    fn scan_taken(&self, conn: &mut DbConn, hash: &str, family: Option<i64>) -> AppResult<bool> {
        if self.scans.get(hash).is_some_and(|f| Some(*f) != family) {
            return Ok(true);
        }
        let (used_by, authorisation) = db_casting::scan_use(conn, self.ballot.id, hash)?;
        Ok(authorisation || used_by.is_some_and(|f| Some(f) != family))
    }

    fn paper(
        &mut self,
        conn: &mut DbConn,
        cast: &Cast,
        scan: &str,
        corrects: Option<i64>,
        seq: u64,
        now: i64,
    ) -> Checked {
        let rows = self.ledger(conn, cast.voter.voter_index)?;
        let existing = entries(&rows);
        let entry = match corrects {
            None => {
                let used = rows
                    .iter()
                    .any(|r| r.channel == Channel::Paper.as_str() && r.corrects.is_none());
                if used {
                    return Ok(Err(Refusal::PaperCodeUsed));
                }
                Entry::paper(seq, now)
            }
            Some(target) => {
                let target = u64::try_from(target).unwrap_or(u64::MAX);
                match casting::correction(&existing, target, seq, now) {
                    Ok(e) => e,
                    Err(r) => return Ok(Err(r)),
                }
            }
        };
        let family = entry.corrects.and_then(|c| i64::try_from(c).ok());
        let taken = casting::is_sha256_hex(scan) && self.scan_taken(conn, scan, family)?;
        if let Err(r) = casting::check_scan(scan, None, |_| taken) {
            return Ok(Err(r));
        }
        if let Err(r) = casting::admit(&existing, &entry, self.rule, self.ballot.closes_at, None) {
            return Ok(Err(r));
        }
        Ok(Ok(Admitted {
            channel: Channel::Paper,
            paper: Some(LeafPaper {
                scan_sha256: scan.to_owned(),
                confirmed_by: None,
            }),
            corrects: family,
            scan_sha256: Some(scan.to_owned()),
            ..Admitted::online(cast.answers.clone())
        }))
    }

    fn confirm(
        &mut self,
        conn: &mut DbConn,
        cast: &Cast,
        seen: i64,
        position: i64,
        seq: u64,
        now: i64,
    ) -> Checked {
        let rows = self.ledger(conn, cast.voter.voter_index)?;
        let existing = entries(&rows);
        let target = u64::try_from(seen).unwrap_or(u64::MAX);
        let entry = match casting::confirmation(&existing, target, seq, now) {
            Ok(e) => e,
            Err(r) => return Ok(Err(r)),
        };
        let Some(shown) = rows.iter().find(|r| r.leaf_index == seen) else {
            return Ok(Err(Refusal::CorrectionUnknown));
        };
        if let Err(r) = casting::check_confirmer(shown.cast_by.unwrap_or(-1), cast.user_id) {
            return Ok(Err(r));
        }
        if let Err(r) = casting::admit(&existing, &entry, self.rule, self.ballot.closes_at, None) {
            return Ok(Err(r));
        }
        let leaf: Leaf = serde_json::from_str(&shown.leaf).map_err(AppError::internal)?;
        let scan = shown.scan_sha256.clone().unwrap_or_default();
        Ok(Ok(Admitted {
            channel: Channel::Paper,
            paper: Some(LeafPaper {
                scan_sha256: scan.clone(),
                confirmed_by: Some(position),
            }),
            corrects: entry.corrects.and_then(|c| i64::try_from(c).ok()),
            confirmed_by: Some(cast.user_id),
            scan_sha256: Some(scan),
            ..Admitted::online(leaf.answers)
        }))
    }
}

fn entries(rows: &[LeafRow]) -> Vec<Entry> {
    rows.iter().map(LeafRow::entry).collect()
}
