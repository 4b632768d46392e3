//! The documents of a ballot's public record (docs/verification.md): the manifest, the
//! electorate snapshot and the log leaves, as they are canonicalised, hashed and signed.

use serde::{Deserialize, Serialize};

use super::area::AreaCenti;
use super::ballot::{Answer, Basis, CountingRule, Kind, Privacy, Question};

/// The log origin of a ballot (docs/verification.md §2).
pub fn origin(log_name: &str, community_slug: &str, ballot_id: i64) -> String {
    format!("{log_name}/{community_slug}/ballots/{ballot_id}")
}

/// One voter in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotVoter {
    pub voter: i64,
    pub rooms: Vec<String>,
    pub area_centi: AreaCenti,
    pub headcount: i64,
    pub name: String,
}

/// The electorate snapshot document (docs/verification.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub origin: String,
    pub ballot: i64,
    pub basis: Basis,
    pub voters: Vec<SnapshotVoter>,
    pub area_centi: AreaCenti,
    pub headcount: i64,
}

pub const SNAPSHOT_FORMAT: &str = "yishiting/electorate/v1";
pub const MANIFEST_FORMAT: &str = "yishiting/manifest/v1";
pub const LEAF_FORMAT: &str = "yishiting/ballot/v1";
pub const RECEIPT_FORMAT: &str = "yishiting/receipt/v1";

impl Snapshot {
    /// Build from voters (their `voter` fields are renumbered 0..), summing the totals.
    pub fn new(origin: String, ballot: i64, basis: Basis, mut voters: Vec<SnapshotVoter>) -> Self {
        for (i, v) in voters.iter_mut().enumerate() {
            v.voter = i as i64;
        }
        Self {
            format: SNAPSHOT_FORMAT.to_owned(),
            origin,
            ballot,
            basis,
            area_centi: voters.iter().map(|v| v.area_centi).sum(),
            headcount: voters.iter().map(|v| v.headcount).sum(),
            voters,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestCommunity {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestScope {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildings: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestElectorate {
    pub basis: Basis,
    pub snapshot_sha256: String,
    pub voters: i64,
    pub area_centi: AreaCenti,
    pub headcount: i64,
}

/// The manifest (docs/verification.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub origin: String,
    pub community: ManifestCommunity,
    pub ballot: i64,
    pub title: String,
    pub description: String,
    pub kind: Kind,
    pub scope: ManifestScope,
    pub privacy: Privacy,
    pub counting_rule: CountingRule,
    pub questions: Vec<Question>,
    pub opens_at: i64,
    pub closes_at: i64,
    pub announced_at: i64,
    pub notice_days: i64,
    pub notice_reason: String,
    pub public_key: String,
    pub verifier_key: String,
    pub electorate: ManifestElectorate,
    /// The counting rule's thresholds and citation, fixed at announcement (absent only in
    /// manifests written before rules were embedded: the preset of `counting_rule` applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<super::tally::Rule>,
    /// The scrutineers (监票人) who co-sign the tally record, with their own public keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scrutineers: Vec<ManifestScrutineer>,
    /// How many co-signatures the result needs before it can be certified.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cosignatures_required: i64,
    /// The document the ballot adopts (a convention's version, with its text hash); absent
    /// for other ballots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<ManifestDocument>,
    /// Which ballot of a voter counts and how many owners one proxy may represent
    /// (docs/verification.md §14.1); absent: the defaults.
    #[serde(default, skip_serializing_if = "super::casting::Terms::is_default")]
    pub casting: super::casting::Terms,
}

/// The document a ballot decides on (docs/verification.md §3): for a convention, which
/// version of which convention, and the SHA-256 of the version's canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDocument {
    /// Always `convention` for now.
    pub kind: String,
    /// The convention's id.
    pub convention: i64,
    pub version: i64,
    pub title: String,
    pub text_sha256: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A scrutineer named in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestScrutineer {
    pub name: String,
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// A leaf of the ballot log (docs/verification.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leaf {
    pub format: String,
    pub origin: String,
    pub ballot: i64,
    pub cast_id: String,
    pub cast_at: i64,
    pub area_centi: AreaCenti,
    pub headcount: i64,
    pub answers: Vec<Answer>,
    /// Open mode: the voter index and rooms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rooms: Option<Vec<String>>,
    /// Confidential mode: the pseudonymous voter tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// How the ballot reached the log (docs/verification.md §14.2): `proxy` or `paper`;
    /// absent for an online ballot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<super::casting::Channel>,
    /// Proxy leaves: who cast it (a pseudonymous tag) under which authorisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<LeafProxy>,
    /// Paper leaves: the scan of the paper, and the scrutineer who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<LeafPaper>,
    /// Paper leaves: the leaf index of the paper entry (as first entered) this one corrects
    /// or confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
}

impl Leaf {
    /// The leaf as an entry of its voter's ledger ([`super::casting`]), at log index `seq`.
    pub fn entry(&self, seq: u64) -> super::casting::Entry {
        super::casting::Entry {
            seq,
            channel: self.channel.unwrap_or(super::casting::Channel::Online),
            cast_at: self.cast_at,
            confirmed: self
                .paper
                .as_ref()
                .is_some_and(|p| p.confirmed_by.is_some()),
            corrects: self.corrects,
        }
    }
}

/// The `proxy` member of a proxy leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafProxy {
    /// The proxy's pseudonymous tag in this ballot, 32 hex digits.
    pub holder: String,
    /// `online` (signed in the service by the owner) or `paper` (entered from a scan).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_sha256: Option<String>,
}

/// The `paper` member of a paper leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafPaper {
    pub scan_sha256: String,
    /// The index in `manifest.scrutineers` of the scrutineer who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<i64>,
}
