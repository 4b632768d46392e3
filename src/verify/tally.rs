//! The tally records and the co-signatures (docs/verification.md §12, §13): each record's
//! signature and references, the preliminary record against the verifier's own recount,
//! the final record against the preliminary one and the objections, and the scrutineers'
//! co-signatures over the final record.

use std::collections::HashSet;

use serde_json::Value;

use super::checks::{json_file, Ctx, Files};
use super::entries::EntriesOutcome;
use super::report::{tr, Location, Report};
use crate::crypto::canonical::value_to_jcs;
use crate::crypto::scrutineer_key::verify_cosignature;
use crate::crypto::tokens::sha256_hex_bytes;
use crate::domain::tally_record::{
    finalise, preliminary, record_message, rule_of, Cosignature, RecordCheckpoint, RecordInput,
    SignedRecord, TallyRecord,
};

/// Check a signed record; returns it with `SHA-256(JCS(record))` when it parsed.
pub(crate) fn record(
    ctx: &Ctx,
    e: &EntriesOutcome<'_>,
    name: &str,
    checkpoint: Option<&RecordCheckpoint>,
    files: &Files,
    report: &mut Report,
) -> Option<(TallyRecord, String)> {
    let value: Value = json_file(files, name, false, report)?;
    let prelim = name == "tally-preliminary.json";
    let (sig_id, ref_id) = if prelim {
        (
            "tally.preliminary.signature",
            "tally.preliminary.references",
        )
    } else {
        ("tally.final.signature", "tally.final.references")
    };
    let jcs = value.get("record").map(value_to_jcs);
    let (signed, sha): (SignedRecord, String) = match (
        serde_json::from_value::<SignedRecord>(value.clone()),
        jcs,
    ) {
        (Ok(s), Some(Ok(jcs))) => {
            let ok = ctx
                .public_key
                .is_some_and(|key| verify_ed25519(&key, &record_message(&jcs), &s.signature));
            if ok {
                report.pass(
                    sig_id,
                    tr!("表决密钥的签名有效", "signed with the ballot key"),
                );
            } else {
                report.fail(
                    sig_id,
                    Some(Location::file(name).field("signature")),
                    tr!("签名与计票记录不符（记录被改动或不是表决密钥签的）", "the signature does not verify over the record (altered, or not signed with the ballot key)"),
                );
            }
            (s, sha256_hex_bytes(&jcs))
        }
        (Err(err), _) => {
            report.fail(
                "bundle",
                Some(Location::file(name)),
                tr!(
                    "不是有效的计票记录：{err}",
                    "not a valid tally record: {err}"
                ),
            );
            return None;
        }
        (_, _) => {
            report.fail(
                "bundle",
                Some(Location::file(name).field("record")),
                tr!("无法规范化", "cannot be canonicalised"),
            );
            return None;
        }
    };
    let rec = signed.record;
    let m = &ctx.manifest;
    let at = |f: &str| Some(Location::file(name).field(format!("record.{f}")));
    let before = report.failures().count();
    if rec.manifest_sha256 != ctx.manifest_sha256 {
        let (a, b) = (&rec.manifest_sha256, &ctx.manifest_sha256);
        report.fail(
            ref_id,
            at("manifest_sha256"),
            tr!(
                "为 {a}，公告内容的 SHA-256 为 {b}",
                "is {a}, SHA-256(JCS(manifest)) is {b}"
            ),
        );
    }
    if rec.snapshot_sha256 != m.electorate.snapshot_sha256 {
        let (a, b) = (&rec.snapshot_sha256, &m.electorate.snapshot_sha256);
        report.fail(
            ref_id,
            at("snapshot_sha256"),
            tr!("为 {a}，公告内容记载 {b}", "is {a}, the manifest says {b}"),
        );
    }
    match checkpoint {
        Some(cp) if *cp != rec.checkpoint => {
            let (s1, r1, s2, r2) = (rec.checkpoint.size, &rec.checkpoint.root, cp.size, &cp.root);
            report.fail(
                ref_id,
                at("checkpoint"),
                tr!(
                    "为（{s1}，{r1}），最终检查点为（{s2}，{r2}）",
                    "is ({s1}, {r1}), the final checkpoint is ({s2}, {r2})"
                ),
            );
        }
        None => report.fail(
            ref_id,
            at("checkpoint"),
            tr!(
                "没有可比对的最终检查点",
                "no final checkpoint to compare with"
            ),
        ),
        Some(_) => {}
    }
    if report.failures().count() == before {
        report.pass(
            ref_id,
            tr!(
                "公告内容、名册快照和最终检查点的引用均正确",
                "refers to this manifest, snapshot and final checkpoint"
            ),
        );
    }
    if prelim {
        let rule = rule_of(m);
        if rec.rule == rule {
            let c = &rule.citation;
            report.pass(
                "tally.preliminary.rule",
                tr!(
                    "计票规则与公告内容一致：{c}",
                    "the rule is the manifest's: {c}"
                ),
            );
        } else {
            report.fail(
                "tally.preliminary.rule",
                at("rule"),
                tr!(
                    "与公告内容规定的计票规则不同",
                    "differs from the rule the manifest fixes"
                ),
            );
        }
        let expected = preliminary(
            RecordInput {
                manifest: m,
                manifest_sha256: rec.manifest_sha256.clone(),
                checkpoint: rec.checkpoint.clone(),
                tallied_at: rec.tallied_at,
                objection_days: rec.objection_period.days,
            },
            &e.recount,
        );
        compare(
            "tally.preliminary.recount",
            name,
            &rec,
            &expected,
            report,
            "重新计票结果",
            "recount",
        );
    }
    Some((rec, sha))
}

fn verify_ed25519(key: &[u8; 32], msg: &[u8], sig_b64: &str) -> bool {
    use base64::Engine as _;
    let sig: Option<[u8; 64]> = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .ok()
        .and_then(|b| b.try_into().ok());
    match (ed25519_dalek::VerifyingKey::from_bytes(key), sig) {
        (Ok(vk), Some(sig)) => vk
            .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok(),
        _ => false,
    }
}

/// Compare a record with what it should be; report the first differing JSON path.
fn compare(
    id: &'static str,
    file: &str,
    rec: &TallyRecord,
    expected: &TallyRecord,
    report: &mut Report,
    zh: &str,
    en: &str,
) {
    let (a, b) = (serde_json::to_value(rec), serde_json::to_value(expected));
    let diff = match (&a, &b) {
        (Ok(a), Ok(b)) => first_diff(a, b, String::new()),
        _ => Some(("record".into(), Value::Null, Value::Null)),
    };
    match diff {
        None => report.pass(id, tr!("与{zh}逐项一致", "equals the {en}, field by field")),
        Some((path, got, want)) => report.fail(
            id,
            Some(Location::file(file).field(format!("record.{path}"))),
            tr!(
                "{path}：记录为 {got}，{zh}为 {want}",
                "{path}: record {got}, {en} {want}"
            ),
        ),
    }
}

/// The first path where `a` and `b` differ, e.g. `questions[1].options[0].approving.headcount`.
pub(crate) fn first_diff(a: &Value, b: &Value, path: String) -> Option<(String, Value, Value)> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_diff(va, vb, join(k)) {
                            return Some(d);
                        }
                    }
                    None => return Some((join(k), va.clone(), Value::Null)),
                }
            }
            y.iter()
                .find(|(k, _)| !x.contains_key(*k))
                .map(|(k, vb)| (join(k), Value::Null, vb.clone()))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_diff(va, vb, format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| (format!("{path}.length"), x.len().into(), y.len().into()))
        }
        _ => (a != b).then(|| (path, a.clone(), b.clone())),
    }
}

pub(crate) fn final_record(
    prelim: Option<&(TallyRecord, String)>,
    fin: &TallyRecord,
    report: &mut Report,
) {
    let name = "tally-final.json";
    let Some((p, p_sha)) = prelim else {
        report.fail(
            "tally.final.content",
            Some(Location::file(name)),
            tr!(
                "没有初步结果记录可供比对",
                "no preliminary record to compare with"
            ),
        );
        return;
    };
    let objections = fin.objections.clone().unwrap_or_default();
    let expected = finalise(
        p,
        p_sha.clone(),
        objections.clone(),
        fin.finalised_at.unwrap_or(i64::MIN),
    );
    compare(
        "tally.final.content",
        name,
        fin,
        &expected,
        report,
        "由初步结果与异议处理得出的最终结果",
        "final record made from the preliminary record and the objections",
    );
    let before = report.failures().count();
    for (i, o) in objections.iter().enumerate() {
        if o.response.trim().is_empty() {
            let id = o.id;
            report.fail(
                "tally.final.objections",
                Some(Location::file(name).field(format!("record.objections[{i}].response"))),
                tr!("异议 {id} 没有答复", "objection {id} has no response"),
            );
        }
    }
    let ends = fin.objection_period.ends_at;
    if let Some(at) = fin.finalised_at.filter(|&t| t < ends) {
        report.fail(
            "tally.final.objections",
            Some(Location::file(name).field("record.finalised_at")),
            tr!(
                "{at} 早于异议期结束 {ends}",
                "{at} is before the objection period ends ({ends})"
            ),
        );
    }
    if report.failures().count() == before {
        let n = objections.len();
        report.pass(
            "tally.final.objections",
            tr!(
                "{n} 条异议均已答复，异议期结束后才定稿",
                "{n} objections, each answered; finalised after the objection period"
            ),
        );
    }
}

pub(crate) fn cosignatures(ctx: &Ctx, final_sha: Option<&str>, files: &Files, report: &mut Report) {
    let name = "cosignatures.json";
    let list: Vec<Cosignature> = json_file(files, name, false, report).unwrap_or_default();
    let m = &ctx.manifest;
    let required = m.cosignatures_required;
    let Some(sha) = final_sha else {
        if !list.is_empty() {
            report.fail(
                "cosignatures",
                Some(Location::file(name)),
                tr!(
                    "没有最终结果记录，却有联署",
                    "co-signatures but no final record"
                ),
            );
        }
        return;
    };
    let before = report.failures().count();
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let at = |f: &str| Some(Location::file(name).field(format!("[{i}].{f}")));
        let idx = c.scrutineer;
        let Some(s) = usize::try_from(idx).ok().and_then(|k| m.scrutineers.get(k)) else {
            report.fail(
                "cosignatures",
                at("scrutineer"),
                tr!(
                    "公告内容中没有第 {idx} 名监票人",
                    "the manifest has no scrutineer {idx}"
                ),
            );
            continue;
        };
        if c.public_key != s.public_key {
            let who = &s.name;
            report.fail(
                "cosignatures",
                at("public_key"),
                tr!(
                    "不是公告内容中监票人 {who} 的公钥",
                    "not the key the manifest lists for scrutineer {who}"
                ),
            );
            continue;
        }
        if c.name != s.name {
            let (a, b) = (&c.name, &s.name);
            report.fail(
                "cosignatures",
                at("name"),
                tr!("为 {a}，公告内容为 {b}", "is {a}, the manifest says {b}"),
            );
            continue;
        }
        if !verify_cosignature(&s.public_key, sha, &c.signature) {
            let who = &s.name;
            report.fail(
                "cosignatures",
                at("signature"),
                tr!("监票人 {who} 的联署签名无效（伪造或不是针对本最终结果）", "scrutineer {who}'s signature does not verify over this final record (forged or for another record)"),
            );
            continue;
        }
        if !seen.insert(idx) {
            let who = &s.name;
            report.fail(
                "cosignatures",
                at("scrutineer"),
                tr!(
                    "监票人 {who} 联署了两次",
                    "scrutineer {who} co-signed twice"
                ),
            );
            continue;
        }
        names.push(s.name.clone());
    }
    let valid = names.len();
    let who = names.join("、");
    let who_en = names.join(", ");
    if ctx.status == "certified" && (valid as i64) < required {
        report.fail(
            "cosignatures",
            Some(Location::file(name)),
            tr!(
                "状态为已认证（certified），但有效联署只有 {valid} 个，需要 {required} 个",
                "the status is certified but only {valid} of the {required} required co-signatures are valid"
            ),
        );
    } else if report.failures().count() == before {
        report.pass(
            "cosignatures",
            tr!(
                "有效联署 {valid} 个（需要 {required} 个）：{who}",
                "{valid} valid co-signatures ({required} required): {who_en}"
            ),
        );
    }
}
