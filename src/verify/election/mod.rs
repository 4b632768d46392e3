//! Verifying an election's event log (`yishiting verify` on an election, docs/verification.md
//! §15): the owners' committee election (issue #7) records every step in its own RFC 9162
//! Merkle log with checkpoints signed by the election's key, and takes its result from the
//! signed tally records of its ballot.
//!
//! The verifier reads only public JSON: the election's log (`GET
//! /api/v1/communities/{slug}/elections/{id}/log`) and its ballot's bundle (`GET
//! /api/v1/ballots/{id}/bundle`), over HTTP(S) or from a directory. It checks
//!
//! - the log ([`log`]): the verifier key names the origin, the checkpoint is signed with it
//!   and covers exactly the leaves, whose Merkle root it carries; every leaf is canonical JSON
//!   of the event format, of this election, in time order;
//! - the procedure ([`steps`]): replayed leaf by leaf with the domain's own rules
//!   ([`crate::domain::election::transition`] and the windows), every step is the next one
//!   or a cancellation while cancellable, nominations, reviews, objections and answers come
//!   when they may, and nothing follows the filing or a cancellation;
//! - the vote ([`ballot`]): the ballot's bundle verifies in full (as `yishiting verify` on the
//!   ballot), the ballot is the one the published list makes, and each recorded result is
//!   the one its tally record gives, the record named by its SHA-256.

mod ballot;
mod log;
mod steps;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::report::{tr, Location, Report, Text};
use crate::domain::election::{EventLeaf, Step};

/// The largest election log read (an election has tens of leaves; this leaves room for
/// thousands of nominations and objections).
const MAX_LOG: u64 = 64 << 20;
/// The name of the log file in an election directory.
pub const LOG_FILE: &str = "log.json";

/// The address of an election: the service's base URL (with any path prefix), the
/// community's slug and the election's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionAddress {
    pub base: String,
    pub slug: String,
    pub id: i64,
}

impl ElectionAddress {
    /// The public log: `{base}/api/v1/communities/{slug}/elections/{id}/log`.
    pub fn log_url(&self) -> String {
        format!(
            "{}/api/v1/communities/{}/elections/{}/log",
            self.base, self.slug, self.id
        )
    }

    /// A ballot's bundle: `{base}/api/v1/ballots/{ballot}/bundle`.
    pub fn bundle_url(&self, ballot: i64) -> String {
        format!("{}/api/v1/ballots/{ballot}/bundle", self.base)
    }
}

/// Read an election address: `http(s)://host[/prefix]/c/{slug}/elections/{id}[/...]` (the
/// election's page) or `http(s)://host[/prefix]/api/v1/communities/{slug}/elections/{id}[/...]`
/// (its API, e.g. the log itself).
pub fn election_address(url: &str) -> Result<ElectionAddress, String> {
    let bad = || format!("not an election address: {url}");
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err(bad());
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for i in 2..segs.len() {
        let id = match segs.get(i + 1).map(|s| s.parse::<i64>()) {
            Some(Ok(id)) if segs[i] == "elections" && id > 0 => id,
            _ => continue,
        };
        let slug = segs[i - 1];
        let prefix_end = if segs[i - 2] == "c" {
            Some(i - 2)
        } else if i >= 4 && segs[i - 2] == "communities" && segs[i - 3] == "v1" {
            (segs[i - 4] == "api").then(|| i - 4)
        } else {
            None
        };
        if let Some(end) = prefix_end {
            let prefix: String = segs[..end].iter().map(|s| format!("/{s}")).collect();
            return Ok(ElectionAddress {
                base: format!("{scheme}://{host}{prefix}"),
                slug: slug.to_owned(),
                id,
            });
        }
    }
    Err(bad())
}

/// Whether a command-line target is an election rather than a ballot bundle: an election
/// address, a directory holding `log.json` and no `bundle.json`, or a `.json` file.
pub fn is_election_target(target: &str) -> bool {
    if target.starts_with("http://") || target.starts_with("https://") {
        return election_address(target).is_ok();
    }
    let path = Path::new(target);
    if path.is_dir() {
        path.join(LOG_FILE).is_file() && !path.join("bundle.json").exists()
    } else {
        path.extension().is_some_and(|e| e == "json")
    }
}

/// Where the log and the ballot bundles come from.
pub(super) enum Source {
    Url(ElectionAddress),
    /// A directory with `log.json` (or the log file given) and the ballots' bundles beside
    /// it: `ballot-<id>.tar.gz`, `ballot-<id>.tar` or a directory `ballot-<id>/`.
    Local {
        dir: PathBuf,
        log: PathBuf,
    },
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("yishiting-verify/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

impl Source {
    fn of(target: &str) -> Result<Source, Text> {
        if target.starts_with("http://") || target.starts_with("https://") {
            return election_address(target)
                .map(Source::Url)
                .map_err(|e| tr!("无法识别的地址：{e}", "unrecognised address: {e}"));
        }
        let path = Path::new(target);
        if path.is_dir() {
            Ok(Source::Local {
                dir: path.to_owned(),
                log: path.join(LOG_FILE),
            })
        } else if path.is_file() {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            Ok(Source::Local {
                dir: dir.to_owned(),
                log: path.to_owned(),
            })
        } else {
            let d = path.display();
            Err(tr!("找不到 {d}", "{d} does not exist"))
        }
    }

    /// The address's community and election, which the origin must name.
    fn expected(&self) -> Option<(&str, i64)> {
        match self {
            Source::Url(a) => Some((a.slug.as_str(), a.id)),
            Source::Local { .. } => None,
        }
    }

    fn log_name(&self) -> String {
        match self {
            Source::Url(a) => a.log_url(),
            Source::Local { log, .. } => log.display().to_string(),
        }
    }

    fn read_log(&self) -> Result<Vec<u8>, Text> {
        let mut buf = Vec::new();
        let read = match self {
            Source::Url(a) => {
                let url = a.log_url();
                let response = agent()
                    .get(&url)
                    .call()
                    .map_err(|e| tr!("无法下载 {url}：{e}", "cannot download {url}: {e}"))?;
                response
                    .into_body()
                    .into_reader()
                    .take(MAX_LOG + 1)
                    .read_to_end(&mut buf)
            }
            Source::Local { log, .. } => {
                File::open(log).and_then(|f| f.take(MAX_LOG + 1).read_to_end(&mut buf))
            }
        };
        let name = self.log_name();
        read.map_err(|e| tr!("无法读取 {name}：{e}", "cannot read {name}: {e}"))?;
        if buf.len() as u64 > MAX_LOG {
            return Err(tr!(
                "{name} 超过 {MAX_LOG} 字节",
                "{name} is larger than {MAX_LOG} bytes"
            ));
        }
        Ok(buf)
    }

    /// The ballot's bundle: an archive file (downloaded into a temporary file) or a
    /// directory.
    fn ballot_bundle(&self, ballot: i64) -> Result<ballot::Bundle, Text> {
        match self {
            Source::Url(a) => {
                let url = a.bundle_url(ballot);
                let response = agent()
                    .get(&url)
                    .call()
                    .map_err(|e| tr!("无法下载 {url}：{e}", "cannot download {url}: {e}"))?;
                let mut file = tempfile::tempfile()
                    .and_then(|mut f| {
                        std::io::copy(&mut response.into_body().into_reader(), &mut f)?;
                        f.flush()?;
                        Ok(f)
                    })
                    .map_err(|e| tr!("无法下载 {url}：{e}", "cannot download {url}: {e}"))?;
                ballot::rewind(&mut file)?;
                Ok(ballot::Bundle::Archive(file))
            }
            Source::Local { dir, .. } => {
                let d = dir.join(format!("ballot-{ballot}"));
                if d.join("bundle.json").is_file() {
                    return Ok(ballot::Bundle::Dir(d));
                }
                for name in [
                    format!("ballot-{ballot}.tar.gz"),
                    format!("ballot-{ballot}.tgz"),
                    format!("ballot-{ballot}.tar"),
                ] {
                    let p = dir.join(&name);
                    if p.is_file() {
                        return File::open(&p)
                            .map(ballot::Bundle::Archive)
                            .map_err(|e| tr!("无法打开 {name}：{e}", "cannot open {name}: {e}"));
                    }
                }
                let d = dir.display();
                Err(tr!(
                    "{d} 中没有表决 {ballot} 的选票包（ballot-{ballot}.tar.gz 或目录 ballot-{ballot}/）",
                    "{d} has no bundle of ballot {ballot} (ballot-{ballot}.tar.gz or a directory ballot-{ballot}/)"
                ))
            }
        }
    }
}

/// Verify an election: `target` is an election address (see [`election_address`]), a
/// directory holding `log.json` and the ballot's bundle, or the log file itself (the bundle
/// beside it).
pub fn verify_election(target: &str) -> Report {
    let mut report = Report {
        title: Some(tr!(
            "议事亭 选举过程核验（yishiting/election-event/v1）",
            "yishiting election verification (yishiting/election-event/v1)"
        )),
        ..Report::default()
    };
    let source = match Source::of(target) {
        Ok(s) => s,
        Err(t) => {
            report.fail("election.source", None, t);
            return report;
        }
    };
    let doc = match source.read_log().and_then(|b| {
        serde_json::from_slice::<log::LogDoc>(&b).map_err(|e| {
            tr!(
                "不是选举日志（origin、verifier_key、checkpoint、size、leaves）：{e}",
                "not an election log (origin, verifier_key, checkpoint, size, leaves): {e}"
            )
        })
    }) {
        Ok(d) => d,
        Err(t) => {
            let at = Location::file(&source.log_name());
            report.fail("election.source", Some(at), t);
            return report;
        }
    };
    let n = doc.leaves.len();
    let name = source.log_name();
    report.pass(
        "election.source",
        tr!(
            "已读取选举日志 {name}（{n} 条记录）",
            "read the election log {name} ({n} leaves)"
        ),
    );
    let Some(leaves) = log::check(&doc, source.expected(), &mut report) else {
        report.fail(
            "election.steps",
            None,
            tr!(
                "无法核对步骤：有记录不能解析为选举事件",
                "the steps cannot be checked: some leaves are not election events"
            ),
        );
        return report;
    };
    let reached = steps::check(&leaves, &mut report);
    ballot::check(&source, &doc.origin, &leaves, &mut report);
    summarise(&leaves, reached, &mut report);
    report
}

/// A Fluent message of the service in both languages (step names, refusals), compiled
/// into the binary like the rest of the verifier's words.
pub(super) fn fluent(id: &str) -> Text {
    use crate::i18n::Lang as L;
    Text::new(L::ZhCn.t(id), L::En.t(id))
}

pub(super) fn step_words(step: Step) -> Text {
    fluent(&format!("election-step-{}", step.as_str()))
}

/// Where the log's leaf `i` is.
pub(super) fn leaf_at(i: usize, field: Option<&str>) -> Location {
    let loc = Location {
        file: LOG_FILE.to_owned(),
        leaf: Some(i as u64),
        ..Location::default()
    };
    match field {
        Some(f) => loc.field(f),
        None => loc,
    }
}

/// The step reached, and the certified result (with the names on the published list).
fn summarise(leaves: &[EventLeaf], reached: Option<Step>, report: &mut Report) {
    use crate::domain::election::Event;
    if let Some(step) = reached {
        let w = step_words(step);
        let (zh, en, n) = (&w.zh, &w.en, leaves.len());
        report.summary.push(tr!(
            "选举进行到：{zh}（{n} 条记录）",
            "the election has reached: {en} ({n} leaves)"
        ));
    }
    let names: Vec<(String, String)> = leaves
        .iter()
        .filter_map(|l| match &l.event {
            Event::Published { candidates } => Some(candidates),
            _ => None,
        })
        .next_back()
        .map(|c| {
            c.iter()
                .map(|c| (c.candidate.clone(), c.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let name = |id: &String| {
        names
            .iter()
            .find(|(c, _)| c == id)
            .map_or_else(|| id.clone(), |(_, n)| format!("{id} {n}"))
    };
    let result = leaves.iter().rev().find_map(|l| match &l.event {
        Event::Certified { result, .. } => Some(result),
        _ => None,
    });
    if let Some(r) = result {
        let elected: Vec<String> = r.elected.iter().map(name).collect();
        let alternates: Vec<String> = r
            .elected_alternates
            .iter()
            .map(|a| name(&a.candidate))
            .collect();
        let or_none = |v: &[String], sep: &str, none: &str| {
            if v.is_empty() {
                none.to_owned()
            } else {
                v.join(sep)
            }
        };
        let (ez, ee) = (
            or_none(&elected, "、", "无"),
            or_none(&elected, ", ", "none"),
        );
        let (az, ae) = (
            or_none(&alternates, "、", "无"),
            or_none(&alternates, ", ", "none"),
        );
        let (vs, va) = (r.vacant_seats, r.vacant_alternates);
        report.summary.push(tr!(
            "当选委员：{ez}；候补委员：{az}；空缺 {vs} 席委员、{va} 席候补",
            "elected members: {ee}; alternates: {ae}; {vs} seat(s) and {va} alternate place(s) vacant"
        ));
        if !r.run_offs.is_empty() {
            let n = r.run_offs.len();
            report.summary.push(tr!(
                "有 {n} 处票数相同需要决选",
                "{n} tie(s) need a run-off"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_addresses_map_to_the_log() {
        for (url, base) in [
            (
                "https://v.example/c/sanyijing/elections/3",
                "https://v.example",
            ),
            (
                "http://127.0.0.1:8080/c/sanyijing/elections/3/",
                "http://127.0.0.1:8080",
            ),
            (
                "https://v.example/vote/c/sanyijing/elections/3?lang=en",
                "https://v.example/vote",
            ),
            (
                "https://v.example/api/v1/communities/sanyijing/elections/3/log",
                "https://v.example",
            ),
        ] {
            let a = election_address(url).unwrap();
            assert_eq!(
                (a.base.as_str(), a.slug.as_str(), a.id),
                (base, "sanyijing", 3)
            );
        }
        let a = election_address("https://v.example/c/s/elections/3").unwrap();
        assert_eq!(
            a.log_url(),
            "https://v.example/api/v1/communities/s/elections/3/log"
        );
        assert_eq!(a.bundle_url(9), "https://v.example/api/v1/ballots/9/bundle");
        for bad in [
            "https://v.example/c/sanyijing/ballots/3",
            "https://v.example/elections/3",
            "https://v.example/c/s/elections/x",
            "https://v.example/c/s/elections/0",
            "ftp://v.example/c/s/elections/3",
            "election-3/log.json",
        ] {
            assert!(election_address(bad).is_err(), "{bad}");
        }
        assert!(is_election_target("https://v.example/c/s/elections/3"));
        assert!(!is_election_target("https://v.example/c/s/ballots/3"));
        assert!(is_election_target("saved/log.json"));
        assert!(!is_election_target("ballot-3.tar.gz"));
    }
}
