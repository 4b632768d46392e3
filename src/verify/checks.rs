//! The checks that need no log entries: `bundle.json`, the signed manifest and the
//! electorate snapshot (docs/verification.md §3, §4). They give the [`Ctx`] every leaf is
//! checked against.

use std::collections::HashMap;

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::report::{tr, Location, Report};
use super::BUNDLE_FORMAT;
use crate::crypto::canonical::value_to_jcs;
use crate::crypto::note::parse_verifier_key;
use crate::crypto::scrutineer_key::parse_public_key;
use crate::crypto::tokens::sha256_hex_bytes;
use crate::domain::ballot::Basis;
use crate::domain::record::{Manifest, MANIFEST_FORMAT, SNAPSHOT_FORMAT};
use crate::domain::tally::Weights;

/// The bundle's files read so far (all but `entries.jsonl`), by name.
pub(crate) type Files = HashMap<String, Vec<u8>>;

/// The lifecycle statuses `bundle.json` may carry.
pub(crate) const STATUSES: [&str; 7] = [
    "announced",
    "open",
    "closed",
    "tallied",
    "finalised",
    "certified",
    "cancelled",
];

/// One voter of the snapshot, as the leaf checks need it.
#[derive(Debug, Clone)]
pub(crate) struct VoterInfo {
    /// The JSON (JCS) of the voter's `rooms` array.
    pub rooms: Box<str>,
    pub weights: Weights,
}

/// What every later check is made against.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub manifest: Manifest,
    /// `SHA-256(JCS(manifest))`, hex.
    pub manifest_sha256: String,
    /// The ballot key from the manifest (`None` when it is not a valid key).
    pub public_key: Option<[u8; 32]>,
    /// `bundle.json`'s status (empty when unknown).
    pub status: String,
    /// The snapshot's voters (`None` when the snapshot could not be read).
    pub voters: Option<Vec<VoterInfo>>,
}

/// Read a JSON file of the bundle, reporting a missing or unparseable one under `bundle`.
pub(crate) fn json_file<T: serde::de::DeserializeOwned>(
    files: &Files,
    name: &str,
    required: bool,
    report: &mut Report,
) -> Option<T> {
    let Some(bytes) = files.get(name) else {
        if required {
            report.fail(
                "bundle",
                Some(Location::file(name)),
                tr!("缺少文件", "file missing"),
            );
        }
        return None;
    };
    match serde_json::from_slice(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            report.fail(
                "bundle",
                Some(Location::line(name, e.line() as u64)),
                tr!("无法解析：{e}", "cannot be parsed: {e}"),
            );
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct BundleInfo {
    pub format: String,
    pub origin: String,
    pub ballot: i64,
    pub status: String,
    #[allow(dead_code)]
    pub created_at: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    manifest: Value,
    signature: String,
}

/// Check `bundle.json`, the manifest and the snapshot. `None` when there is no usable
/// manifest (nothing else can then be checked).
/// The snapshot is taken out of `files` once read (it is the largest file but one).
pub(crate) fn prepare(files: &mut Files, report: &mut Report) -> Option<Ctx> {
    let bundle: Option<BundleInfo> = json_file(files, "bundle.json", true, report);
    let envelope: Envelope = json_file(files, "manifest.json", true, report)?;
    let manifest_jcs = match value_to_jcs(&envelope.manifest) {
        Ok(b) => b,
        Err(e) => {
            report.fail(
                "manifest.signature",
                Some(Location::file("manifest.json").field("manifest")),
                tr!(
                    "无法规范化（JCS）：{e}",
                    "cannot be canonicalised (JCS): {e}"
                ),
            );
            return None;
        }
    };
    let manifest: Manifest = match serde_json::from_value(envelope.manifest) {
        Ok(m) => m,
        Err(e) => {
            report.fail(
                "bundle",
                Some(Location::file("manifest.json").field("manifest")),
                tr!("不是有效的公告内容：{e}", "not a valid manifest: {e}"),
            );
            return None;
        }
    };
    let public_key = manifest_signature(&manifest, &manifest_jcs, &envelope.signature, report);
    verifier_key(&manifest, public_key, report);
    manifest_content(&manifest, bundle.as_ref(), report);
    let status = bundle.map(|b| b.status).unwrap_or_default();
    let voters = electorate(files, &manifest, report);
    Some(Ctx {
        manifest_sha256: sha256_hex_bytes(&manifest_jcs),
        manifest,
        public_key,
        status,
        voters,
    })
}

fn manifest_signature(
    m: &Manifest,
    jcs: &[u8],
    signature: &str,
    report: &mut Report,
) -> Option<[u8; 32]> {
    let at = Location::file("manifest.json");
    let key: Option<[u8; 32]> = B64
        .decode(&m.public_key)
        .ok()
        .and_then(|b| b.try_into().ok());
    let Some(key) = key else {
        report.fail(
            "manifest.signature",
            Some(at.field("manifest.public_key")),
            tr!(
                "不是 32 字节 Ed25519 公钥的 base64",
                "not base64 of a 32-byte Ed25519 public key"
            ),
        );
        return None;
    };
    let sig: Option<[u8; 64]> = B64.decode(signature).ok().and_then(|b| b.try_into().ok());
    let ok = match (VerifyingKey::from_bytes(&key), sig) {
        (Ok(vk), Some(sig)) => vk.verify_strict(jcs, &Signature::from_bytes(&sig)).is_ok(),
        _ => false,
    };
    if ok {
        let pk = &m.public_key;
        report.pass(
            "manifest.signature",
            tr!(
                "公告内容的签名有效（表决密钥 {pk}）",
                "the manifest's signature verifies (ballot key {pk})"
            ),
        );
    } else {
        report.fail(
            "manifest.signature",
            Some(at.field("signature")),
            tr!(
                "签名与公告内容或公钥不符（公告内容可能被改动，或用了另一把密钥签名）",
                "the signature does not verify over JCS(manifest) with manifest.public_key (altered, or signed with another key)"
            ),
        );
    }
    Some(key)
}

fn verifier_key(m: &Manifest, key: Option<[u8; 32]>, report: &mut Report) {
    if report.verifier_key.is_none() {
        report.verifier_key = Some(m.verifier_key.clone());
    }
    let at = Location::file("manifest.json").field("manifest.verifier_key");
    match parse_verifier_key(&m.verifier_key) {
        Err(e) => report.fail(
            "manifest.verifier_key",
            Some(at),
            tr!("无法解析：{e}", "cannot be parsed: {e}"),
        ),
        Ok((name, _, _)) if name != m.origin => {
            let origin = &m.origin;
            report.fail(
                "manifest.verifier_key",
                Some(at),
                tr!(
                    "密钥名 {name} 与 origin {origin} 不同",
                    "key name {name} differs from the origin {origin}"
                ),
            );
        }
        Ok((_, _, vk)) if Some(vk) != key => report.fail(
            "manifest.verifier_key",
            Some(at),
            tr!(
                "其中的公钥与 public_key 不同",
                "its public key differs from public_key"
            ),
        ),
        Ok(_) => {
            let vk = &m.verifier_key;
            report.pass(
                "manifest.verifier_key",
                tr!(
                    "验证密钥与公钥和 origin 一致：{vk}",
                    "the verifier key matches public_key and the origin: {vk}"
                ),
            );
        }
    }
}

fn manifest_content(m: &Manifest, bundle: Option<&BundleInfo>, report: &mut Report) {
    let before = report.failures().count();
    let at = |f: &str| Some(Location::file("manifest.json").field(format!("manifest.{f}")));
    if m.format != MANIFEST_FORMAT {
        let f = &m.format;
        report.fail(
            "manifest.content",
            at("format"),
            tr!("格式为 {f}", "format is {f}"),
        );
    }
    if m.opens_at >= m.closes_at {
        report.fail(
            "manifest.content",
            at("closes_at"),
            tr!("投票截止不晚于开始", "the window closes before it opens"),
        );
    }
    for (i, s) in m.scrutineers.iter().enumerate() {
        if parse_public_key(&s.public_key).is_none() {
            report.fail(
                "manifest.content",
                at(&format!("scrutineers[{i}].public_key")),
                tr!("不是有效的 Ed25519 公钥", "not a valid Ed25519 public key"),
            );
        }
    }
    let required = m.cosignatures_required;
    let listed = m.scrutineers.len();
    if required < 0 || required > listed as i64 {
        report.fail(
            "manifest.content",
            at("cosignatures_required"),
            tr!(
                "需要 {required} 个联署，但只列出 {listed} 名监票人",
                "{required} co-signatures required but {listed} scrutineers listed"
            ),
        );
    }
    if let Some(b) = bundle {
        let bat = |f: &str| Some(Location::file("bundle.json").field(f));
        if b.format != BUNDLE_FORMAT {
            let f = &b.format;
            report.fail("bundle", bat("format"), tr!("格式为 {f}", "format is {f}"));
        }
        if b.origin != m.origin {
            let (o, mo) = (&b.origin, &m.origin);
            report.fail(
                "bundle",
                bat("origin"),
                tr!(
                    "{o} 与公告内容的 {mo} 不同",
                    "{o} differs from the manifest's {mo}"
                ),
            );
        }
        if b.ballot != m.ballot {
            let (x, y) = (b.ballot, m.ballot);
            report.fail(
                "bundle",
                bat("ballot"),
                tr!(
                    "{x} 与公告内容的 {y} 不同",
                    "{x} differs from the manifest's {y}"
                ),
            );
        }
        if !STATUSES.contains(&b.status.as_str()) {
            let s = &b.status;
            report.fail(
                "bundle",
                bat("status"),
                tr!("未知状态 {s}", "unknown status {s}"),
            );
        }
    }
    if report.failures().count() == before {
        let (t, o) = (&m.title, &m.origin);
        report.pass(
            "manifest.content",
            tr!("公告内容：{t}（{o}）", "manifest: {t} ({o})"),
        );
    }
}

/// The snapshot as the verifier reads it: voters kept in compact form as they are parsed.
#[derive(Deserialize)]
struct SnapshotDoc {
    format: String,
    origin: String,
    ballot: i64,
    basis: Basis,
    voters: CompactVoters,
    area_centi: i64,
    headcount: i64,
}

/// A snapshot voter as the verifier keeps it: `rooms` as its JSON text (the snapshot is JCS,
/// so this is `JCS(rooms)`, compared with the leaves' rooms), `name` not kept.
#[derive(Deserialize)]
struct VoterRaw<'a> {
    voter: i64,
    #[serde(borrow)]
    rooms: &'a serde_json::value::RawValue,
    area_centi: i64,
    headcount: i64,
    #[allow(dead_code)]
    name: serde::de::IgnoredAny,
}

#[derive(Default)]
struct CompactVoters {
    list: Vec<VoterInfo>,
    /// The first `voters[i].voter != i`: (i, voter).
    misnumbered: Option<(usize, i64)>,
    /// The sums; `None` on overflow.
    area: Option<i64>,
    headcount: Option<i64>,
}

impl<'de> Deserialize<'de> for CompactVoters {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CompactVoters;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of voters")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CompactVoters, A::Error> {
                let mut out = CompactVoters {
                    area: Some(0),
                    headcount: Some(0),
                    ..CompactVoters::default()
                };
                while let Some(v) = seq.next_element::<VoterRaw<'de>>()? {
                    let i = out.list.len();
                    if v.voter != i as i64 && out.misnumbered.is_none() {
                        out.misnumbered = Some((i, v.voter));
                    }
                    out.area = out.area.and_then(|a| a.checked_add(v.area_centi));
                    out.headcount = out.headcount.and_then(|h| h.checked_add(v.headcount));
                    out.list.push(VoterInfo {
                        rooms: v.rooms.get().into(),
                        weights: Weights {
                            area_centi: v.area_centi,
                            headcount: v.headcount,
                        },
                    });
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

fn electorate(files: &mut Files, m: &Manifest, report: &mut Report) -> Option<Vec<VoterInfo>> {
    let name = "electorate.json";
    let Some(bytes) = files.remove(name) else {
        report.fail(
            "bundle",
            Some(Location::file(name)),
            tr!("缺少文件", "file missing"),
        );
        return None;
    };
    // Hash and parse side by side: both take a while for a large community.
    let (got, parsed) = std::thread::scope(|s| {
        let hash = s.spawn(|| sha256_hex_bytes(&bytes));
        let parsed = serde_json::from_slice::<SnapshotDoc>(&bytes);
        (hash.join().unwrap_or_default(), parsed)
    });
    drop(bytes);
    let want = &m.electorate.snapshot_sha256;
    if &got == want {
        report.pass(
            "electorate.hash",
            tr!(
                "名册快照的 SHA-256 与公告内容一致：{got}",
                "the snapshot's SHA-256 matches the manifest: {got}"
            ),
        );
    } else {
        report.fail(
            "electorate.hash",
            Some(Location::file(name)),
            tr!(
                "SHA-256 为 {got}，公告内容记载的是 {want}（名册快照被改动）",
                "SHA-256 is {got}, the manifest says {want} (the snapshot was altered)"
            ),
        );
    }
    let doc: SnapshotDoc = match parsed {
        Ok(d) => d,
        Err(e) => {
            report.fail(
                "bundle",
                Some(Location::line(name, e.line() as u64)),
                tr!("无法解析：{e}", "cannot be parsed: {e}"),
            );
            return None;
        }
    };
    let before = report.failures().count();
    let at = |f: &str| Some(Location::file(name).field(f));
    let differs = |field: &str, found: String, expected: String, report: &mut Report| {
        report.fail(
            "electorate.content",
            at(field),
            tr!(
                "为 {found}，应为 {expected}",
                "is {found}, expected {expected}"
            ),
        );
    };
    if doc.format != SNAPSHOT_FORMAT {
        differs("format", doc.format.clone(), SNAPSHOT_FORMAT.into(), report);
    }
    if doc.origin != m.origin {
        differs("origin", doc.origin.clone(), m.origin.clone(), report);
    }
    if doc.ballot != m.ballot {
        differs(
            "ballot",
            doc.ballot.to_string(),
            m.ballot.to_string(),
            report,
        );
    }
    if doc.basis != m.electorate.basis {
        let (a, b) = (doc.basis.as_str(), m.electorate.basis.as_str());
        differs("basis", a.into(), b.into(), report);
    }
    let v = &doc.voters;
    if let Some((i, found)) = v.misnumbered {
        differs(
            &format!("voters[{i}].voter"),
            found.to_string(),
            i.to_string(),
            report,
        );
    }
    if let Some((i, _)) = v
        .list
        .iter()
        .enumerate()
        .find(|(_, x)| x.weights.area_centi < 0 || x.weights.headcount < 0)
    {
        report.fail(
            "electorate.content",
            at(&format!("voters[{i}]")),
            tr!("权重为负数", "negative weight"),
        );
    }
    let sum = |s: Option<i64>| s.map_or_else(|| "overflow".to_owned(), |x| x.to_string());
    if v.area != Some(doc.area_centi) {
        differs(
            "area_centi",
            doc.area_centi.to_string(),
            sum(v.area),
            report,
        );
    }
    if v.headcount != Some(doc.headcount) {
        differs(
            "headcount",
            doc.headcount.to_string(),
            sum(v.headcount),
            report,
        );
    }
    let e = &m.electorate;
    let mat =
        |f: &str| Some(Location::file("manifest.json").field(format!("manifest.electorate.{f}")));
    for (f, manifest, snapshot) in [
        ("voters", e.voters, v.list.len() as i64),
        ("area_centi", e.area_centi, doc.area_centi),
        ("headcount", e.headcount, doc.headcount),
    ] {
        if manifest != snapshot {
            report.fail(
                "electorate.content",
                mat(f),
                tr!(
                    "公告内容为 {manifest}，名册快照为 {snapshot}",
                    "the manifest says {manifest}, the snapshot has {snapshot}"
                ),
            );
        }
    }
    if report.failures().count() == before {
        let (n, a, h) = (v.list.len(), doc.area_centi, doc.headcount);
        report.pass(
            "electorate.content",
            tr!(
                "名册快照：{n} 名投票人，面积 {a}（百分之一平方米），人数 {h}，合计无误",
                "snapshot: {n} voters, area {a} (hundredths of m²), headcount {h}; totals add up"
            ),
        );
    }
    Some(doc.voters.list)
}
