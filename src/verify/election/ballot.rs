//! The election's vote (docs/verification.md §15.4): its ballot's bundle verified in full,
//! the ballot matched against the published list and the announcement, and each recorded
//! result recomputed from the tally record its SHA-256 names.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::PathBuf;

use flate2::read::GzDecoder;
use serde_json::Value;

use super::log::origin_election;
use super::steps::event_type;
use super::{leaf_at, Source};
use crate::crypto::canonical::value_to_jcs;
use crate::crypto::tokens::sha256_hex_bytes;
use crate::domain::ballot::{mask_name, QuestionKind};
use crate::domain::election::{
    election_result, Announcement, CandidateVotes, ElectionResult, Event, EventLeaf,
    ListedCandidate, BALLOT_KIND, COUNTING_RULE,
};
use crate::domain::record::{self, Manifest};
use crate::domain::tally::{Rule, Weights};
use crate::domain::tally_record::{rule_of, TallyRecord};
use crate::verify::report::{tr, Location, Report, Text};

/// The largest bundle file read here (the manifest and the records are small).
const MAX_FILE: u64 = 64 << 20;
/// The bundle files these checks read, besides the full verification.
const WANTED: [&str; 4] = [
    "bundle.json",
    "manifest.json",
    "tally-preliminary.json",
    "tally-final.json",
];
/// At most this many failures of the ballot's own verification are listed.
const MAX_LISTED: usize = 20;

/// A ballot's bundle, as found.
pub(super) enum Bundle {
    Archive(File),
    Dir(PathBuf),
}

pub(super) fn rewind(f: &mut File) -> Result<(), Text> {
    f.rewind()
        .map_err(|e| tr!("无法读取选票包：{e}", "cannot read the bundle: {e}"))
}

/// The small files of an archive, by name (directories inside the top one are skipped).
fn archive_files(f: &mut File) -> Result<HashMap<String, Vec<u8>>, Text> {
    rewind(f)?;
    let mut reader = BufReader::new(f);
    let mut magic = [0u8; 2];
    let gz = reader.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    rewind(reader.get_mut())?;
    let reader: Box<dyn Read + '_> = if gz {
        Box::new(GzDecoder::new(BufReader::new(reader.into_inner())))
    } else {
        Box::new(BufReader::new(reader.into_inner()))
    };
    let bad = |e: std::io::Error| tr!("选票包无法读取：{e}", "the bundle cannot be read: {e}");
    let mut files = HashMap::new();
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let name = match parts.as_slice() {
            [_, name] if WANTED.contains(name) => (*name).to_owned(),
            _ => continue,
        };
        let mut buf = Vec::new();
        entry.take(MAX_FILE).read_to_end(&mut buf).map_err(bad)?;
        files.insert(name, buf);
    }
    Ok(files)
}

/// Verify the bundle in full; its report and the files read here.
fn load(bundle: Bundle) -> Result<(Report, HashMap<String, Vec<u8>>), Text> {
    match bundle {
        Bundle::Dir(dir) => {
            let report = crate::verify::verify_dir(&dir);
            let mut files = HashMap::new();
            for name in WANTED {
                if let Ok(b) = std::fs::read(dir.join(name)) {
                    files.insert(name.to_owned(), b);
                }
            }
            Ok((report, files))
        }
        Bundle::Archive(mut f) => {
            rewind(&mut f)?;
            let report = crate::verify::verify_archive(BufReader::with_capacity(1 << 20, &mut f));
            let files = archive_files(&mut f)?;
            Ok((report, files))
        }
    }
}

/// The first JSON path where two values differ: (path, in a, in b).
fn first_diff(a: &Value, b: &Value, path: String) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                first_diff(p, q, format!("{path}.{k}"))
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_diff(p, q, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some((path, a.to_string(), b.to_string())),
    }
}

/// What the log says about its vote.
struct Facts<'a> {
    announcement: Option<&'a Announcement>,
    list: Option<&'a [ListedCandidate]>,
    ballots: BTreeSet<i64>,
}

impl<'a> Facts<'a> {
    fn of(leaves: &'a [EventLeaf]) -> Self {
        let mut f = Facts {
            announcement: None,
            list: None,
            ballots: BTreeSet::new(),
        };
        for l in leaves {
            match &l.event {
                Event::Announced { announcement } => f.announcement = Some(announcement),
                Event::Published { candidates } => f.list = Some(candidates),
                Event::VotingOpened { ballot }
                | Event::Counted { ballot, .. }
                | Event::Certified { ballot, .. } => {
                    f.ballots.insert(*ballot);
                }
                _ => {}
            }
        }
        f
    }
}

/// The ballot is the election's: this deployment and community, an election ballot counted
/// by Art. 278's ordinary rule, one question over exactly the published list (masked names
/// of the labels), at most `seats` choices, the announced voting window.
fn manifest_matches(m: &Manifest, origin: &str, b: i64, facts: &Facts<'_>) -> Result<(), Text> {
    if let Some((log_name, slug, _)) = origin_election(origin) {
        let want = record::origin(log_name, slug, b);
        if m.origin != want || m.ballot != b {
            let (got, gb) = (&m.origin, m.ballot);
            return Err(tr!(
                "公告内容为 {got}（表决 {gb}），应为 {want}",
                "the manifest is {got} (ballot {gb}), expected {want}"
            ));
        }
    }
    if m.kind != BALLOT_KIND || m.counting_rule != COUNTING_RULE {
        let (k, r) = (m.kind.as_str(), m.counting_rule.as_str());
        return Err(tr!(
            "表决类型为 {k}、计票规则为 {r}，应为委员选举、民法典第二百七十八条一般事项",
            "the ballot is {k} counted by {r}, expected a committee election under Art. 278's ordinary rule"
        ));
    }
    let (rule, preset) = (rule_of(m), Rule::preset(COUNTING_RULE));
    if rule.participation != preset.participation || rule.pass != preset.pass {
        return Err(tr!(
            "计票门槛与民法典第二百七十八条一般事项不同",
            "the thresholds differ from Art. 278's ordinary rule"
        ));
    }
    let [q] = m.questions.as_slice() else {
        let n = m.questions.len();
        return Err(tr!(
            "有 {n} 个问题，应只有一个",
            "{n} questions, expected exactly one"
        ));
    };
    if q.kind != QuestionKind::Approval {
        return Err(tr!(
            "问题不是差额选举（approval）",
            "the question is not an approval question"
        ));
    }
    if let Some(list) = facts.list {
        if q.options.len() != list.len() {
            let (o, l) = (q.options.len(), list.len());
            return Err(tr!(
                "选票上有 {o} 名候选人，公示名单上有 {l} 名",
                "the ballot has {o} candidates, the published list {l}"
            ));
        }
        for (o, c) in q.options.iter().zip(list) {
            let masked = mask_name(&o.label);
            if o.id != c.candidate || masked != c.name {
                let (oid, cid, cn) = (&o.id, &c.candidate, &c.name);
                return Err(tr!(
                    "选项 {oid}（{masked}）与名单上的 {cid}（{cn}）不符",
                    "option {oid} ({masked}) differs from {cid} ({cn}) on the list"
                ));
            }
        }
    }
    if let Some(a) = facts.announcement {
        let k = i64::from(a.seats).min(q.options.len() as i64);
        if q.max_choices != k {
            let got = q.max_choices;
            return Err(tr!(
                "最多可选 {got} 人，应为 {k} 人",
                "up to {got} choices, expected {k}"
            ));
        }
        let tt = &a.timetable;
        if (m.opens_at, m.closes_at) != (tt.voting_opens_at, tt.voting_closes_at) {
            return Err(tr!(
                "投票时段与选举公告的时间表不同",
                "the voting window differs from the announced timetable"
            ));
        }
    }
    Ok(())
}

/// A recorded result against the record it names: the record's SHA-256, then the result
/// recomputed from its first question.
fn result_matches(
    files: &HashMap<String, Vec<u8>>,
    name: &str,
    want_sha: &str,
    result: &ElectionResult,
    a: Option<&Announcement>,
) -> Result<String, Text> {
    let Some(bytes) = files.get(name) else {
        return Err(tr!("选票包中没有 {name}", "the bundle has no {name}"));
    };
    let signed: Value = serde_json::from_slice(bytes)
        .map_err(|e| tr!("{name} 无法解析：{e}", "{name} cannot be parsed: {e}"))?;
    let rec = signed.get("record").unwrap_or(&Value::Null);
    let jcs = value_to_jcs(rec).map_err(|e| {
        tr!(
            "{name} 无法规范化：{e}",
            "{name} cannot be canonicalised: {e}"
        )
    })?;
    let sha = sha256_hex_bytes(&jcs);
    if sha != want_sha {
        return Err(tr!(
            "{name} 的 SHA-256 为 {sha}，选举日志记载的是 {want_sha}",
            "{name} has SHA-256 {sha}, the election log says {want_sha}"
        ));
    }
    let rec: TallyRecord = serde_json::from_value(rec.clone()).map_err(|e| {
        tr!(
            "{name} 不是计票记录：{e}",
            "{name} is not a tally record: {e}"
        )
    })?;
    let a = a.ok_or_else(|| tr!("日志中没有选举公告", "the log has no announcement"))?;
    let q = rec
        .questions
        .first()
        .ok_or_else(|| tr!("计票记录没有问题", "the record has no question"))?;
    let votes: Vec<CandidateVotes> = q.options.iter().map(CandidateVotes::from).collect();
    let participation = Weights {
        area_centi: rec.participation.area_centi,
        headcount: rec.participation.headcount,
    };
    let recomputed = election_result(
        a.seats as usize,
        a.alternates as usize,
        &votes,
        participation,
        rec.electorate,
    );
    if recomputed != *result {
        let (path, logged, want) = match (
            serde_json::to_value(result),
            serde_json::to_value(&recomputed),
        ) {
            (Ok(x), Ok(y)) => first_diff(&x, &y, "result".into()),
            _ => None,
        }
        .unwrap_or_else(|| ("result".into(), "?".into(), "?".into()));
        return Err(tr!(
            "结果与计票记录不符：{path} 日志为 {logged}，按记录重新计算为 {want}",
            "the result differs from the record's: {path} is {logged} in the log, {want} recomputed from the record"
        ));
    }
    Ok(sha)
}

/// Check the ballot the log names (if voting has opened), and every recorded result.
pub(super) fn check(source: &Source, origin: &str, leaves: &[EventLeaf], report: &mut Report) {
    let facts = Facts::of(leaves);
    if facts.ballots.is_empty() {
        report.pass(
            "election.ballot",
            tr!(
                "日志中尚无表决（投票未开始）",
                "the log names no ballot yet (voting has not opened)"
            ),
        );
        return;
    }
    for &b in &facts.ballots {
        let loaded = source.ballot_bundle(b).and_then(load);
        let (nested, files) = match loaded {
            Ok(x) => x,
            Err(t) => {
                let (zh, en) = (&t.zh, &t.en);
                report.fail(
                    "election.ballot",
                    None,
                    tr!("表决 {b}：{zh}", "ballot {b}: {en}"),
                );
                continue;
            }
        };
        ballot_report(b, &nested, report);
        let manifest: Option<Manifest> = files
            .get("manifest.json")
            .and_then(|m| serde_json::from_slice::<Value>(m).ok())
            .and_then(|v| serde_json::from_value(v.get("manifest")?.clone()).ok());
        match manifest.as_ref().map(|m| manifest_matches(m, origin, b, &facts)) {
            None => report.fail(
                "election.ballot",
                Some(Location::file(&format!("ballot-{b}/manifest.json"))),
                tr!("缺少或无法解析公告内容", "missing or unreadable manifest"),
            ),
            Some(Err(t)) => {
                let (zh, en) = (&t.zh, &t.en);
                report.fail(
                    "election.ballot",
                    Some(Location::file(&format!("ballot-{b}/manifest.json"))),
                    tr!(
                        "表决 {b} 不是本选举的表决：{zh}",
                        "ballot {b} is not this election's: {en}"
                    ),
                );
            }
            Some(Ok(())) => report.pass(
                "election.ballot",
                tr!(
                    "表决 {b} 即本选举的表决：同一小区，委员选举，候选人与公示名单一致，投票时段与公告相同",
                    "ballot {b} is this election's: same community, a committee election over exactly the published list, in the announced window"
                ),
            ),
        }
        results(b, &files, &facts, leaves, report);
    }
}

/// The ballot's own verification, summarised.
fn ballot_report(b: i64, nested: &Report, report: &mut Report) {
    if nested.ok() {
        let n = nested.checks.len();
        report.pass(
            "election.ballot",
            tr!(
                "表决 {b} 的选票包核验通过（{n} 项检查，与 yishiting verify 核验该表决相同）",
                "ballot {b}'s bundle verifies ({n} checks, as yishiting verify on the ballot)"
            ),
        );
        return;
    }
    for (k, c) in nested.failures().enumerate() {
        if k == MAX_LISTED {
            let n = nested.failures().count();
            report.fail(
                "election.ballot",
                None,
                tr!(
                    "表决 {b} 共有 {n} 项检查失败",
                    "ballot {b}: {n} checks failed in all"
                ),
            );
            break;
        }
        let at = c.at.clone().map(|at| Location {
            file: format!("ballot-{b}/{}", at.file),
            ..at
        });
        let (id, zh, en) = (c.id, &c.detail.zh, &c.detail.en);
        report.fail(
            "election.ballot",
            at,
            tr!("表决 {b}：[{id}] {zh}", "ballot {b}: [{id}] {en}"),
        );
    }
}

/// Each counted and certified leaf against its record.
fn results(
    b: i64,
    files: &HashMap<String, Vec<u8>>,
    facts: &Facts<'_>,
    leaves: &[EventLeaf],
    report: &mut Report,
) {
    for (i, l) in leaves.iter().enumerate() {
        let (id, file, sha, result) = match &l.event {
            Event::Counted {
                ballot,
                tally_record_sha256,
                result,
            } if *ballot == b => (
                "election.counted",
                "tally-preliminary.json",
                tally_record_sha256,
                result,
            ),
            Event::Certified {
                ballot,
                tally_record_sha256,
                result,
            } if *ballot == b => (
                "election.certified",
                "tally-final.json",
                tally_record_sha256,
                result,
            ),
            _ => continue,
        };
        let mut checked = result_matches(files, file, sha, result, facts.announcement);
        if id == "election.certified" && checked.is_ok() {
            let status = files
                .get("bundle.json")
                .and_then(|s| serde_json::from_slice::<Value>(s).ok())
                .and_then(|v| v.get("status")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            if status != "certified" {
                checked = Err(tr!(
                    "表决 {b} 的状态为 {status}，结果却已公告（表决须先经监票人联署认证）",
                    "ballot {b} is {status}, yet the result was announced (the ballot must be certified first)"
                ));
            }
        }
        let ty = event_type(&l.event);
        match checked {
            Ok(sha) => report.pass(
                id,
                tr!(
                    "叶 {i}（{ty}）的结果与表决 {b} 的签名计票记录 {file} 一致（SHA-256 {sha}），当选结果已重新计算核对",
                    "leaf {i} ({ty}) carries the result of ballot {b}'s signed record {file} (SHA-256 {sha}), recomputed"
                ),
            ),
            Err(t) => report.fail(id, Some(leaf_at(i, Some("result"))), t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_difference_is_named() {
        let a = json!({"elected": ["o1", "o2"], "seats": 5});
        let b = json!({"elected": ["o1", "o3"], "seats": 5});
        assert_eq!(
            first_diff(&a, &b, "result".into()),
            Some(("result.elected[1]".into(), "\"o2\"".into(), "\"o3\"".into()))
        );
        assert_eq!(first_diff(&a, &a, "result".into()), None);
    }
}
