//! **Test and benchmark fixture** (not used by the service): synthetic, valid ballot bundles
//! (`yishiting/bundle/v1`) signed with fresh keys, for `tests/verify.rs`,
//! `benches/verify.rs` and `examples/make_bundle.rs`.
//!
//! A fixture is a finalised ballot with three questions (yes/no, an election of up to 2 of 3
//! candidates, a single choice), some voters voting twice (the later ballot supersedes),
//! a few voters abstaining from the ballot altogether, one answered objection, and
//! co-signatures by the first scrutineers. The leaves are deterministic functions of their
//! index; the keys are new each time. The helpers re-sign parts the way a dishonest server
//! holding the ballot key could, so tests can tamper with a bundle and still get valid
//! signatures where they want them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::entries::{Str, WireAnswer, WireLeaf};
use super::{BUNDLE_FILES, BUNDLE_FORMAT};
use crate::crypto::canonical::{to_jcs, value_to_jcs};
use crate::crypto::note::{checkpoint_body, sign_note, verifier_key};
use crate::crypto::scrutineer_key::ScrutineerKey;
use crate::crypto::tokens::{hex, sha256_hex_bytes};
use crate::crypto::{b64, fill_random};
use crate::domain::ballot::{
    mask_name, validate_questions, Basis, CountingRule, Kind, Privacy, QuestionInput,
};
use crate::domain::merkle::{leaf_hash, to_hex, Hash, MerkleTree};
use crate::domain::record::{
    ManifestCommunity, ManifestElectorate, ManifestScope, ManifestScrutineer, LEAF_FORMAT,
    MANIFEST_FORMAT, SNAPSHOT_FORMAT,
};
use crate::domain::tally::{Rule, Weights};
use crate::domain::tally_record::{
    compact_choices, cosignature_message, finalise, preliminary, record_message, Cosignature,
    Objection, RecordCheckpoint, RecordInput, Recount, SignedRecord, TallyRecord, VoterKey,
};

pub use crate::domain::record::Manifest;

pub const BALLOT_ID: i64 = 7;
pub const ORIGIN: &str = "yishiting.localhost/sanyijing/ballots/7";
const ANNOUNCED_AT: i64 = 1_767_225_600; // 2026-01-01
const DAY: i64 = 86_400;

/// What to build.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Leaves in the log.
    pub ballots: u64,
    /// Voters who vote (each at least once); the rest of the leaves are second votes.
    pub participants: u64,
    /// Voters in the electorate (at least `participants`).
    pub electorate: u64,
    pub confidential: bool,
    /// Scrutineers in the manifest, co-signatures required, co-signatures made.
    pub scrutineers: usize,
    pub cosignatures_required: i64,
    pub cosignatures: usize,
    /// Checkpoints signed along the way (the last one is at the full size).
    pub checkpoints: u64,
    /// `bundle.json`'s status.
    pub status: String,
    /// Scrutineer key files (as `yishiting key generate` writes them) to use for the last
    /// scrutineers, instead of new keys.
    pub scrutineer_key_files: Vec<String>,
}

impl Spec {
    /// `ballots` leaves: a tenth of them second votes, a tenth of the electorate not voting.
    pub fn new(ballots: u64, confidential: bool) -> Self {
        let participants = (ballots - ballots / 10).max(1);
        Self {
            ballots,
            participants,
            electorate: participants + participants / 10 + 1,
            confidential,
            scrutineers: 3,
            cosignatures_required: 2,
            cosignatures: 2,
            checkpoints: 5,
            status: "certified".into(),
            scrutineer_key_files: Vec::new(),
        }
    }
}

/// A built bundle: its files and the keys that signed them.
pub struct Fixture {
    pub spec: Spec,
    pub ballot_key: SigningKey,
    pub scrutineer_keys: Vec<ScrutineerKey>,
    pub manifest: Manifest,
    /// File name → bytes. `entries.jsonl` is here unless it was streamed elsewhere.
    pub files: BTreeMap<String, Vec<u8>>,
}

fn mix(mut x: u64) -> u64 {
    // SplitMix64.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn voter_weights(v: u64) -> Weights {
    Weights {
        area_centi: 6_000 + (mix(v) % 9_000) as i64,
        headcount: i64::from(v % 97 != 5),
    }
}

fn voter_rooms(v: u64) -> Vec<String> {
    vec![format!(
        "{}号楼 {}{:02}",
        v / 120 + 1,
        (v / 4) % 30 + 1,
        v % 4 + 1
    )]
}

fn voter_tag(v: u64) -> String {
    let d = Sha256::digest(format!("fixture voter tag {v}"));
    hex(&d[..16])
}

fn answers_for(i: u64) -> Vec<WireAnswer<'static>> {
    let r = mix(i ^ 0x5eed);
    let yes_no = match r % 10 {
        0..=5 => "agree",
        6 | 7 => "disagree",
        _ => "abstain",
    };
    let mut picks: Vec<Str<'static>> = (0..3)
        .filter(|b| (r >> (8 + b)) & 1 == 1)
        .map(|b| format!("o{}", b + 1).into())
        .collect();
    picks.truncate(2);
    vec![
        WireAnswer {
            choices: vec![yes_no.into()],
            question: "q1".into(),
        },
        WireAnswer {
            choices: picks,
            question: "q2".into(),
        },
        WireAnswer {
            choices: vec![format!("o{}", 1 + (r >> 16) % 2).into()],
            question: "q3".into(),
        },
    ]
}

/// The voter of leaf `i`.
fn voter_of(spec: &Spec, i: u64) -> u64 {
    if i < spec.participants {
        i
    } else {
        mix(i) % spec.participants
    }
}

/// Leaf `i` of a fixture.
fn leaf(spec: &Spec, m: &Manifest, i: u64) -> WireLeaf<'static> {
    let v = voter_of(spec, i);
    let w = voter_weights(v);
    let window = (m.closes_at - m.opens_at) as u64;
    let (tag, voter, rooms) = if spec.confidential {
        (Some(voter_tag(v).into()), None, None)
    } else {
        let rooms = voter_rooms(v).into_iter().map(Str::from).collect();
        (None, Some(v as i64), Some(rooms))
    };
    WireLeaf {
        answers: answers_for(i),
        area_centi: w.area_centi,
        ballot: m.ballot,
        cast_at: m.opens_at + (i * window / spec.ballots.max(1)) as i64,
        cast_id: format!("{:016x}{:016x}", mix(i ^ 0xca57), mix(i ^ 0x1d)).into(),
        channel: None,
        corrects: None,
        format: LEAF_FORMAT.into(),
        headcount: w.headcount,
        origin: m.origin.clone().into(),
        paper: None,
        proxy: None,
        rooms,
        tag,
        voter,
    }
}

/// The snapshot, members in JCS order (serde_json then writes exactly `JCS(snapshot)`, without
/// the intermediate `Value` that [`to_jcs`] builds: a million voters stay cheap).
#[derive(Serialize)]
struct SnapshotJcs {
    area_centi: i64,
    ballot: i64,
    basis: Basis,
    format: &'static str,
    headcount: i64,
    origin: &'static str,
    voters: Vec<VoterJcs>,
}

#[derive(Serialize)]
struct VoterJcs {
    area_centi: i64,
    headcount: i64,
    name: String,
    rooms: Vec<String>,
    voter: i64,
}

fn snapshot(electorate: u64) -> SnapshotJcs {
    let voters: Vec<VoterJcs> = (0..electorate)
        .map(|v| {
            let w = voter_weights(v);
            VoterJcs {
                area_centi: w.area_centi,
                headcount: w.headcount,
                name: mask_name(&format!("业主{v}")),
                rooms: voter_rooms(v),
                voter: v as i64,
            }
        })
        .collect();
    SnapshotJcs {
        area_centi: voters.iter().map(|v| v.area_centi).sum(),
        ballot: BALLOT_ID,
        basis: Basis::Owners,
        format: SNAPSHOT_FORMAT,
        headcount: voters.iter().map(|v| v.headcount).sum(),
        origin: ORIGIN,
        voters,
    }
}

fn new_key() -> anyhow::Result<SigningKey> {
    let mut seed = [0u8; 32];
    fill_random(&mut seed)?;
    Ok(SigningKey::from_bytes(&seed))
}

impl Fixture {
    /// Build a bundle in memory (entries included).
    pub fn build(spec: Spec) -> anyhow::Result<Fixture> {
        let mut entries = Vec::new();
        let mut f = Self::build_to(spec, &mut entries)?;
        f.files.insert("entries.jsonl".into(), entries);
        Ok(f)
    }

    /// Build a bundle, writing `entries.jsonl` to `entries` as it goes (for large bundles).
    pub fn build_to(spec: Spec, entries: &mut dyn Write) -> anyhow::Result<Fixture> {
        let ballot_key = new_key()?;
        let given = spec.scrutineer_key_files.len().min(spec.scrutineers);
        let mut scrutineer_keys = (given..spec.scrutineers)
            .map(|_| ScrutineerKey::generate())
            .collect::<anyhow::Result<Vec<_>>>()?;
        for text in spec.scrutineer_key_files.iter().take(given) {
            scrutineer_keys.push(ScrutineerKey::from_key_file(text)?);
        }
        let public = ballot_key.verifying_key().to_bytes();
        let snapshot = snapshot(spec.electorate);
        let snapshot_jcs = serde_json::to_vec(&snapshot)?;
        let q = |kind: &str, text: &str, options: &[&str], max: Option<i64>| QuestionInput {
            kind: kind.into(),
            text: text.into(),
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            max_choices: max,
        };
        let questions = validate_questions(&[
            q("yes_no", "是否同意续聘物业服务企业？", &[], None),
            q(
                "approval",
                "选举业主委员会委员（至多两名）",
                &["张三", "李四", "王五"],
                Some(2),
            ),
            q("single", "电梯维修方案", &["方案一", "方案二"], None),
        ])
        .map_err(|e| anyhow::anyhow!("fixture questions: {e:?}"))?;
        let opens_at = ANNOUNCED_AT + 15 * DAY;
        let manifest = Manifest {
            format: MANIFEST_FORMAT.into(),
            origin: ORIGIN.into(),
            community: ManifestCommunity {
                slug: "sanyijing".into(),
                name: "三义井社区".into(),
            },
            ballot: BALLOT_ID,
            title: "2026 年业主大会表决".into(),
            description: "续聘物业、选举委员、电梯维修。".into(),
            kind: Kind::AssemblyMatter,
            scope: ManifestScope {
                kind: "community".into(),
                buildings: None,
            },
            privacy: if spec.confidential {
                Privacy::Confidential
            } else {
                Privacy::Open
            },
            counting_rule: CountingRule::Ordinary,
            questions,
            opens_at,
            closes_at: opens_at + 14 * DAY,
            announced_at: ANNOUNCED_AT,
            notice_days: 15,
            notice_reason: String::new(),
            public_key: b64(&public),
            verifier_key: verifier_key(ORIGIN, &public),
            electorate: ManifestElectorate {
                basis: Basis::Owners,
                snapshot_sha256: sha256_hex_bytes(&snapshot_jcs),
                voters: spec.electorate as i64,
                area_centi: snapshot.area_centi,
                headcount: snapshot.headcount,
            },
            rule: Some(Rule::preset(CountingRule::Ordinary)),
            scrutineers: scrutineer_keys
                .iter()
                .enumerate()
                .map(|(i, k)| ManifestScrutineer {
                    name: format!("监票人{}", ["甲", "乙", "丙", "丁", "戊"][i % 5]),
                    public_key: k.public_key_b64(),
                })
                .collect(),
            cosignatures_required: spec.cosignatures_required,
            document: None,
            casting: Default::default(),
        };
        let mut f = Fixture {
            spec,
            ballot_key,
            scrutineer_keys,
            manifest,
            files: BTreeMap::new(),
        };
        f.files.insert("electorate.json".into(), snapshot_jcs);
        f.files
            .insert("manifest.json".into(), f.sign_manifest(&f.ballot_key)?);

        // The log.
        let mut tree = MerkleTree::new();
        let mut recount = Recount::new(&f.manifest.questions);
        let mut checkpoints = String::new();
        let step = (f.spec.ballots / f.spec.checkpoints.max(1)).max(1);
        let mut line = Vec::with_capacity(1024);
        let mut out = std::io::BufWriter::with_capacity(1 << 20, entries);
        for i in 0..f.spec.ballots {
            let l = leaf(&f.spec, &f.manifest, i);
            line.clear();
            if !l.write_jcs(&mut line) {
                anyhow::bail!("fixture leaf {i} does not serialise");
            }
            tree.push(leaf_hash(&line));
            line.push(b'\n');
            out.write_all(&line)?;
            let key = match (&l.tag, l.voter) {
                (Some(t), _) => VoterKey::tag(t.as_ref()).context("fixture tag")?,
                (None, Some(v)) => VoterKey::Index(v),
                (None, None) => anyhow::bail!("fixture leaf without voter"),
            };
            let w = Weights {
                area_centi: l.area_centi,
                headcount: l.headcount,
            };
            let choices = compact_choices(&f.manifest.questions, &l.answers)
                .map_err(|e| anyhow::anyhow!("fixture leaf {i}: {e}"))?;
            recount.add_compact(i, key, w, choices);
            let size = i + 1;
            if size % step == 0 && size != f.spec.ballots {
                checkpoints.push_str(&f.checkpoint_line(size, &tree.root())?);
            }
        }
        out.flush()?;
        drop(out);
        let root = tree.root();
        checkpoints.push_str(&f.checkpoint_line(f.spec.ballots, &root)?);
        f.files
            .insert("checkpoints.jsonl".into(), checkpoints.into_bytes());
        let roll: Vec<u64> = (0..f.spec.participants.min(f.spec.ballots)).collect();
        let roll = serde_json::to_vec(&json!({ "voters": roll }))?;

        // The records.
        let tallied_at = f.manifest.closes_at + 600;
        let prelim = preliminary(
            RecordInput {
                manifest: &f.manifest,
                manifest_sha256: sha256_hex_bytes(&to_jcs(&f.manifest)?),
                checkpoint: RecordCheckpoint {
                    size: f.spec.ballots,
                    root: to_hex(&root),
                },
                tallied_at,
                objection_days: 7,
            },
            &recount,
        );
        drop(recount);
        f.files.insert("roll.json".into(), roll);
        let objections = vec![Objection {
            id: 1,
            received_at: tallied_at + DAY,
            text: "3号楼 201 的投票是否计入？".into(),
            response: "已核对：该户最后一次投票计入，之前的一次被取代。".into(),
            responded_at: tallied_at + 2 * DAY,
        }];
        let finalised_at = prelim.objection_period.ends_at + 3600;
        let fin = finalise(&prelim, record_sha256(&prelim)?, objections, finalised_at);
        let fin_sha = record_sha256(&fin)?;
        f.files
            .insert("tally-preliminary.json".into(), f.sign_record(&prelim)?);
        f.files
            .insert("tally-final.json".into(), f.sign_record(&fin)?);
        let cosigs: Vec<Cosignature> = (0..f.spec.cosignatures.min(f.scrutineer_keys.len()))
            .map(|k| f.cosign(k, &fin_sha, finalised_at + 600 + k as i64))
            .collect();
        f.set_json("cosignatures.json", &serde_json::to_value(&cosigs)?)?;
        let status = f.spec.status.clone();
        f.set_json(
            "bundle.json",
            &json!({"format": BUNDLE_FORMAT, "origin": ORIGIN, "ballot": BALLOT_ID, "status": status, "created_at": finalised_at + 7200}),
        )?;
        Ok(f)
    }

    /// The manifest envelope, signed with `key` (the ballot key, or another to tamper).
    pub fn sign_manifest(&self, key: &SigningKey) -> anyhow::Result<Vec<u8>> {
        let value = serde_json::to_value(&self.manifest)?;
        sign_manifest_value(&value, key)
    }

    /// A tally record file, signed with the ballot key.
    pub fn sign_record(&self, record: &TallyRecord) -> anyhow::Result<Vec<u8>> {
        let signature = b64(&self
            .ballot_key
            .sign(&record_message(&to_jcs(record)?))
            .to_bytes());
        Ok(serde_json::to_vec(&SignedRecord {
            record: record.clone(),
            signature,
        })?)
    }

    /// One line of `checkpoints.jsonl` for `(size, root)`, signed with the ballot key.
    pub fn checkpoint_line(&self, size: u64, root: &Hash) -> anyhow::Result<String> {
        let note = sign_note(
            &checkpoint_body(ORIGIN, size, root),
            ORIGIN,
            &self.ballot_key,
        )?;
        Ok(format!("{}\n", serde_json::to_string(&note)?))
    }

    /// Scrutineer `k`'s co-signature over the final record with SHA-256 `record_sha256`.
    pub fn cosign(&self, k: usize, record_sha256: &str, signed_at: i64) -> Cosignature {
        let s = &self.manifest.scrutineers[k];
        Cosignature {
            scrutineer: k as i64,
            name: s.name.clone(),
            public_key: s.public_key.clone(),
            signed_at,
            signature: self.scrutineer_keys[k].cosign(record_sha256),
        }
    }

    /// A file parsed as JSON (`Null` when absent or not JSON).
    pub fn json(&self, name: &str) -> Value {
        self.files
            .get(name)
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null)
    }

    pub fn set_json(&mut self, name: &str, value: &Value) -> anyhow::Result<()> {
        self.files.insert(name.into(), serde_json::to_vec(value)?);
        Ok(())
    }

    /// The lines of `entries.jsonl` (without their newlines).
    pub fn entry_lines(&self) -> Vec<String> {
        let text = self
            .files
            .get("entries.jsonl")
            .map_or(&[][..], Vec::as_slice);
        String::from_utf8_lossy(text)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Replace `entries.jsonl` with `lines`; with `resign`, also re-sign every checkpoint
    /// over the new entries (as a server holding the ballot key could).
    pub fn set_entry_lines(&mut self, lines: &[String], resign: bool) -> anyhow::Result<()> {
        let mut text = String::new();
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        self.files.insert("entries.jsonl".into(), text.into_bytes());
        if resign {
            let tree: MerkleTree = lines.iter().map(|l| leaf_hash(l.as_bytes())).collect();
            let sizes: Vec<u64> = self.checkpoint_sizes();
            let mut out = String::new();
            for size in sizes.into_iter().filter(|s| *s <= tree.len()) {
                out.push_str(&self.checkpoint_line(size, &tree.root_at(size)?)?);
            }
            if !out.is_empty() {
                self.files
                    .insert("checkpoints.jsonl".into(), out.into_bytes());
            }
        }
        Ok(())
    }

    /// The sizes of the checkpoints in `checkpoints.jsonl`.
    pub fn checkpoint_sizes(&self) -> Vec<u64> {
        let text = self
            .files
            .get("checkpoints.jsonl")
            .map_or(&[][..], Vec::as_slice);
        String::from_utf8_lossy(text)
            .lines()
            .filter_map(|l| serde_json::from_str::<String>(l).ok())
            .filter_map(|note| note.lines().nth(1).and_then(|s| s.parse().ok()))
            .collect()
    }

    /// A record file's record.
    pub fn record(&self, name: &str) -> anyhow::Result<TallyRecord> {
        let signed: SignedRecord = serde_json::from_value(self.json(name))?;
        Ok(signed.record)
    }

    /// Write the bundle as a directory.
    pub fn write_dir(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }

    /// The bundle as `ballot-<id>.tar.gz`, files in [`BUNDLE_FILES`] order.
    pub fn tar_gz(&self) -> anyhow::Result<Vec<u8>> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let top = format!("ballot-{BALLOT_ID}");
        append_dir(&mut tar, &top)?;
        for name in BUNDLE_FILES {
            if let Some(bytes) = self.files.get(name) {
                let mut h = file_header(bytes.len() as u64);
                tar.append_data(&mut h, format!("{top}/{name}"), bytes.as_slice())?;
            }
        }
        Ok(tar.into_inner()?.finish()?)
    }
}

/// `SHA-256(JCS(record))`, hex.
pub fn record_sha256(record: &TallyRecord) -> anyhow::Result<String> {
    Ok(sha256_hex_bytes(&to_jcs(record)?))
}

/// A manifest envelope `{"manifest", "signature"}` for a manifest value, signed with `key`.
pub fn sign_manifest_value(manifest: &Value, key: &SigningKey) -> anyhow::Result<Vec<u8>> {
    let signature = b64(&key.sign(&value_to_jcs(manifest)?).to_bytes());
    Ok(serde_json::to_vec(
        &json!({"manifest": manifest, "signature": signature}),
    )?)
}

/// Ed25519 signature of the co-signature message, for tests that forge with other keys.
pub fn cosign_with(key: &SigningKey, record_sha256: &str) -> String {
    b64(&key.sign(&cosignature_message(record_sha256)).to_bytes())
}

fn file_header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(ANNOUNCED_AT as u64);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, top: &str) -> anyhow::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(0);
    h.set_mode(0o755);
    h.set_mtime(ANNOUNCED_AT as u64);
    h.set_entry_type(tar::EntryType::Directory);
    tar.append_data(&mut h, format!("{top}/"), std::io::empty())?;
    Ok(())
}

/// Write a bundle directory as `ballot-<id>.tar.gz` to `out`, files in [`BUNDLE_FILES`]
/// order (entries last), streaming each file.
pub fn tar_gz_dir(dir: &Path, ballot: i64, out: impl Write) -> anyhow::Result<()> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let top = format!("ballot-{ballot}");
    append_dir(&mut tar, &top)?;
    for name in BUNDLE_FILES {
        let path = dir.join(name);
        if let Ok(mut file) = std::fs::File::open(&path) {
            let mut h = file_header(file.metadata()?.len());
            tar.append_data(&mut h, format!("{top}/{name}"), &mut file)?;
        }
    }
    tar.into_inner()?.finish()?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::{Snapshot, SnapshotVoter};

    #[test]
    fn the_fast_snapshot_is_its_jcs() {
        let fast = serde_json::to_vec(&snapshot(50)).unwrap();
        let voters = (0..50)
            .map(|v| {
                let w = voter_weights(v);
                SnapshotVoter {
                    voter: v as i64,
                    rooms: voter_rooms(v),
                    area_centi: w.area_centi,
                    headcount: w.headcount,
                    name: mask_name(&format!("业主{v}")),
                }
            })
            .collect();
        let slow = Snapshot::new(ORIGIN.into(), BALLOT_ID, Basis::Owners, voters);
        assert_eq!(fast, to_jcs(&slow).unwrap());
    }

    #[test]
    fn leaves_serialise_as_their_jcs() {
        let f = Fixture::build(Spec::new(20, false)).unwrap();
        for line in f.entry_lines() {
            let v: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(value_to_jcs(&v).unwrap(), line.as_bytes());
        }
    }
}
