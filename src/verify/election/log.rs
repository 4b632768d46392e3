//! The election log itself: its key, its signed checkpoint, its Merkle root and every leaf
//! (docs/verification.md §15.1, §15.2).

use serde::Deserialize;
use serde_json::Value;

use super::{leaf_at, LOG_FILE};
use crate::crypto::canonical::{to_jcs, value_to_jcs};
use crate::crypto::note::{open_note, parse_checkpoint_body, parse_verifier_key, Checkpoint};
use crate::domain::election::{EventLeaf, EVENT_FORMAT};
use crate::domain::merkle::{leaf_hash, root_of, to_hex, Hash};
use crate::verify::report::{tr, Location, Report, Text};

/// At most this many failing leaves are listed; then the total.
const MAX_LISTED: usize = 20;

/// The public log as served (`GET .../elections/{id}/log`).
#[derive(Debug, Deserialize)]
pub(super) struct LogDoc {
    pub origin: String,
    pub verifier_key: String,
    pub checkpoint: Option<String>,
    pub size: i64,
    /// Each leaf as its canonical JSON text.
    pub leaves: Vec<String>,
}

/// The election id an origin `<log name>/<slug>/elections/<id>` names.
pub(super) fn origin_election(origin: &str) -> Option<(&str, &str, i64)> {
    let (rest, id) = origin.rsplit_once('/')?;
    let (rest, kind) = rest.rsplit_once('/')?;
    let (log_name, slug) = rest.rsplit_once('/')?;
    let id: i64 = id.parse().ok()?;
    (kind == "elections" && !log_name.is_empty() && !slug.is_empty() && id > 0)
        .then_some((log_name, slug, id))
}

fn at(field: &str) -> Option<Location> {
    Some(Location::file(LOG_FILE).field(field))
}

/// Check the log; returns the parsed leaves when every one is an election event (the later
/// checks need them all).
pub(super) fn check(
    doc: &LogDoc,
    expected: Option<(&str, i64)>,
    report: &mut Report,
) -> Option<Vec<EventLeaf>> {
    let key = key(doc, expected, report);
    let hashes: Vec<Hash> = doc.leaves.iter().map(|l| leaf_hash(l.as_bytes())).collect();
    let cp = key.and_then(|k| checkpoint(doc, &k, report));
    root(doc, &hashes, cp.as_ref(), report);
    leaves(doc, report)
}

/// The verifier key parses and names the origin, and the origin names an election (the one
/// addressed, when known). Returns the public key.
fn key(doc: &LogDoc, expected: Option<(&str, i64)>, report: &mut Report) -> Option<[u8; 32]> {
    let origin = &doc.origin;
    let before = report.failures().count();
    match origin_election(origin) {
        None => report.fail(
            "election.key",
            at("origin"),
            tr!(
                "origin {origin} 不是 <日志名>/<小区>/elections/<编号> 的形式",
                "origin {origin} is not of the form <log name>/<community>/elections/<id>"
            ),
        ),
        Some((_, slug, id)) => {
            if let Some((want_slug, want_id)) = expected {
                if slug != want_slug || id != want_id {
                    report.fail(
                        "election.key",
                        at("origin"),
                        tr!(
                            "origin {origin} 不是所请求的选举（{want_slug} 的第 {want_id} 号选举）",
                            "origin {origin} is not the election asked for ({want_slug}, election {want_id})"
                        ),
                    );
                }
            }
        }
    }
    report.verifier_key = Some(doc.verifier_key.clone());
    let key = match parse_verifier_key(&doc.verifier_key) {
        Err(e) => {
            report.fail(
                "election.key",
                at("verifier_key"),
                tr!("无法解析：{e}", "cannot be parsed: {e}"),
            );
            None
        }
        Ok((name, _, key)) => {
            if name != *origin {
                report.fail(
                    "election.key",
                    at("verifier_key"),
                    tr!(
                        "密钥名 {name} 与 origin {origin} 不同",
                        "key name {name} differs from the origin {origin}"
                    ),
                );
            }
            Some(key)
        }
    };
    if report.failures().count() == before {
        let vk = &doc.verifier_key;
        report.pass(
            "election.key",
            tr!(
                "验证密钥与 origin 一致：{vk}（请与公告上张贴的密钥核对）",
                "the verifier key names the origin: {vk} (compare it with the key on the posted notice)"
            ),
        );
    }
    key
}

/// The checkpoint is signed by the key, names the origin, and its size is the log's.
fn checkpoint(doc: &LogDoc, key: &[u8; 32], report: &mut Report) -> Option<Checkpoint> {
    let origin = &doc.origin;
    let Some(note) = &doc.checkpoint else {
        report.fail(
            "election.checkpoint",
            at("checkpoint"),
            tr!("没有检查点", "no checkpoint"),
        );
        return None;
    };
    let body = match open_note(note, origin, key) {
        Ok(b) => b,
        Err(e) => {
            report.fail(
                "election.checkpoint",
                at("checkpoint"),
                tr!(
                    "签名无效（不是选举密钥签的）：{e}",
                    "the signature does not verify with the election key: {e}"
                ),
            );
            return None;
        }
    };
    let cp = match parse_checkpoint_body(&body) {
        Ok(cp) => cp,
        Err(e) => {
            report.fail(
                "election.checkpoint",
                at("checkpoint"),
                tr!("格式错误：{e}", "malformed: {e}"),
            );
            return None;
        }
    };
    let before = report.failures().count();
    if cp.origin != *origin {
        let o = &cp.origin;
        report.fail(
            "election.checkpoint",
            at("checkpoint"),
            tr!(
                "origin 为 {o}，应为 {origin}",
                "origin is {o}, expected {origin}"
            ),
        );
    }
    let (size, n, said) = (cp.size, doc.leaves.len(), doc.size);
    if u64::try_from(said).ok() != Some(size) {
        report.fail(
            "election.checkpoint",
            at("size"),
            tr!(
                "size 为 {said}，检查点的树大小为 {size}",
                "size is {said}, the checkpoint's tree size is {size}"
            ),
        );
    }
    if size != n as u64 {
        report.fail(
            "election.checkpoint",
            at("leaves"),
            tr!(
                "检查点覆盖 {size} 条记录，日志中有 {n} 条（有记录被删除或添加）",
                "the checkpoint covers {size} leaves, the log has {n} (leaves were dropped or added)"
            ),
        );
    }
    if report.failures().count() == before {
        report.pass(
            "election.checkpoint",
            tr!(
                "检查点由选举密钥签名，origin 相符，覆盖全部 {n} 条记录",
                "the checkpoint is signed with the election key, names the origin and covers all {n} leaves"
            ),
        );
    }
    Some(cp)
}

fn root(doc: &LogDoc, hashes: &[Hash], cp: Option<&Checkpoint>, report: &mut Report) {
    let Some(cp) = cp else {
        report.fail(
            "election.root",
            at("checkpoint"),
            tr!(
                "没有有效的检查点可供比对",
                "no valid checkpoint to compare with"
            ),
        );
        return;
    };
    let (got, want, n) = (to_hex(&root_of(hashes)), to_hex(&cp.root), doc.leaves.len());
    if got == want {
        report.pass(
            "election.root",
            tr!(
                "{n} 条记录的默克尔根与检查点一致：{got}",
                "the Merkle root of the {n} leaves matches the checkpoint: {got}"
            ),
        );
    } else {
        report.fail(
            "election.root",
            at("leaves"),
            tr!(
                "{n} 条记录的默克尔根为 {got}，检查点为 {want}（记录被改动、删除或调换了顺序）",
                "the Merkle root of the {n} leaves is {got}, the checkpoint says {want} (leaves altered, dropped or reordered)"
            ),
        );
    }
}

/// Check one leaf; the parsed event, or the problem.
fn leaf(
    text: &str,
    origin: &str,
    election: Option<i64>,
) -> Result<EventLeaf, (&'static str, Text)> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| ("", tr!("不是 JSON：{e}", "not JSON: {e}")))?;
    match value_to_jcs(&v) {
        Ok(jcs) if jcs == text.as_bytes() => {}
        Ok(_) => {
            return Err((
                "",
                tr!(
                    "不是规范 JSON（重新规范化后字节不同）",
                    "not canonical JSON (re-canonicalising changes its bytes)"
                ),
            ))
        }
        Err(e) => return Err(("", tr!("无法规范化：{e}", "cannot be canonicalised: {e}"))),
    }
    let differs = |field: &'static str, want: String| {
        let found = v
            .get(field)
            .map_or_else(|| "—".to_owned(), Value::to_string);
        (
            field,
            tr!("为 {found}，应为 {want}", "is {found}, expected {want}"),
        )
    };
    if v.get("format").and_then(Value::as_str) != Some(EVENT_FORMAT) {
        return Err(differs("format", EVENT_FORMAT.to_owned()));
    }
    if v.get("origin").and_then(Value::as_str) != Some(origin) {
        return Err(differs("origin", origin.to_owned()));
    }
    if let Some(id) = election {
        if v.get("election").and_then(Value::as_i64) != Some(id) {
            return Err(differs("election", id.to_string()));
        }
    }
    let parsed: EventLeaf = serde_json::from_value(v).map_err(|e| {
        (
            "type",
            tr!("不是有效的选举事件：{e}", "not a valid election event: {e}"),
        )
    })?;
    // Members outside the event format (or values the format writes otherwise) would not
    // survive the round trip.
    match to_jcs(&parsed) {
        Ok(again) if again == text.as_bytes() => Ok(parsed),
        _ => Err((
            "",
            tr!(
                "含有事件格式以外的成员或取值",
                "has members or values outside the event format"
            ),
        )),
    }
}

/// Every leaf: canonical JSON of the event format, this origin and election, `at` not
/// decreasing. `None` when some leaf is not an election event.
fn leaves(doc: &LogDoc, report: &mut Report) -> Option<Vec<EventLeaf>> {
    let election = origin_election(&doc.origin).map(|(_, _, id)| id);
    let mut parsed = Vec::with_capacity(doc.leaves.len());
    let mut bad = 0usize;
    let mut last_at: Option<i64> = None;
    for (i, text) in doc.leaves.iter().enumerate() {
        let problem = match leaf(text, &doc.origin, election) {
            Ok(l) => {
                let p = match last_at {
                    Some(prev) if l.at < prev => {
                        let a = l.at;
                        Some((
                            "at",
                            tr!(
                                "时间 {a} 早于上一条记录的 {prev}（记录顺序被打乱）",
                                "time {a} is before the previous leaf's {prev} (leaves out of order)"
                            ),
                        ))
                    }
                    _ => None,
                };
                last_at = Some(l.at);
                parsed.push(l);
                p
            }
            Err(p) => Some(p),
        };
        if let Some((field, detail)) = problem {
            bad += 1;
            if bad <= MAX_LISTED {
                let f = (!field.is_empty()).then_some(field);
                report.fail("election.leaves", Some(leaf_at(i, f)), detail);
            }
        }
    }
    let n = doc.leaves.len();
    if bad > MAX_LISTED {
        report.fail(
            "election.leaves",
            None,
            tr!(
                "共 {bad} 条记录有问题（只列出前 {MAX_LISTED} 条）",
                "{bad} leaves have problems (the first {MAX_LISTED} are listed)"
            ),
        );
    } else if bad == 0 {
        report.pass(
            "election.leaves",
            tr!(
                "{n} 条记录均为规范 JSON 的选举事件（{EVENT_FORMAT}），origin 与选举编号相符，时间先后有序",
                "all {n} leaves are canonical JSON election events ({EVENT_FORMAT}) of this origin and election, in time order"
            ),
        );
    }
    (parsed.len() == n).then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_name_an_election() {
        assert_eq!(
            origin_election("y.example/sanyijing/elections/4"),
            Some(("y.example", "sanyijing", 4))
        );
        for bad in [
            "y.example/sanyijing/ballots/4",
            "sanyijing/elections/4",
            "y.example/sanyijing/elections/x",
            "y.example/sanyijing/elections/0",
        ] {
            assert_eq!(origin_election(bad), None, "{bad}");
        }
    }
}
