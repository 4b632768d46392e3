//! Where a bundle comes from: a directory, a (gzip-compressed) tar archive read as a stream,
//! or an HTTP(S) download of such an archive.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;
use std::time::Duration;

use flate2::read::GzDecoder;

use super::checks::{self, Ctx, Files};
use super::entries::{self, EntriesOutcome};
use super::records;
use super::report::{tr, Location, Report};
use super::BUNDLE_FILES;

/// The largest file other than `entries.jsonl` that is read (the snapshot of a very large
/// community is about 100 bytes per voter).
const MAX_FILE: u64 = 1 << 30;
/// What `prepare` needs before the entries can be checked.
const NEEDED_FIRST: [&str; 3] = ["bundle.json", "manifest.json", "electorate.json"];

pub(crate) fn verify_dir(dir: &Path) -> Report {
    let mut report = Report::default();
    if !dir.is_dir() {
        let d = dir.display();
        return Report::failed_to_load(tr!("{d} 不是目录", "{d} is not a directory"));
    }
    let mut files = Files::new();
    for name in BUNDLE_FILES.iter().filter(|n| **n != "entries.jsonl") {
        match std::fs::read(dir.join(name)) {
            Ok(b) => {
                files.insert((*name).to_owned(), b);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => report.fail(
                "bundle",
                Some(Location::file(name)),
                tr!("无法读取：{e}", "cannot be read: {e}"),
            ),
        }
    }
    let ctx = checks::prepare(&mut files, &mut report);
    let outcome = ctx
        .as_ref()
        .and_then(|ctx| match File::open(dir.join("entries.jsonl")) {
            Ok(f) => Some(entries::run(
                ctx,
                BufReader::with_capacity(1 << 20, f),
                &mut report,
            )),
            Err(e) => {
                let missing = e.kind() == std::io::ErrorKind::NotFound;
                report.fail(
                    "bundle",
                    Some(Location::file("entries.jsonl")),
                    if missing {
                        tr!("缺少文件", "file missing")
                    } else {
                        tr!("无法读取：{e}", "cannot be read: {e}")
                    },
                );
                None
            }
        });
    conclude(ctx.as_ref(), outcome.as_ref(), &files, None, report)
}

fn conclude(
    ctx: Option<&Ctx>,
    outcome: Option<&EntriesOutcome<'_>>,
    files: &Files,
    top: Option<&str>,
    mut report: Report,
) -> Report {
    if let Some(ctx) = ctx {
        if let Some(top) = top {
            let want = format!("ballot-{}", ctx.manifest.ballot);
            if top != want {
                report.fail(
                    "bundle",
                    Some(Location::file(top)),
                    tr!(
                        "归档的顶层目录应为 {want}/",
                        "the archive's top directory should be {want}/"
                    ),
                );
            }
        }
        records::finish(ctx, outcome, files, &mut report);
    }
    if report.failures().all(|c| c.id != "bundle") {
        report.pass(
            "bundle",
            tr!("选票包完整可读", "the bundle is complete and readable"),
        );
    }
    report.sort();
    report
}

pub(crate) fn verify_archive<R: Read>(reader: R) -> Report {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let gz = match reader.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            return Report::failed_to_load(tr!("无法读取归档：{e}", "cannot read the archive: {e}"))
        }
    };
    if gz {
        read_tar(BufReader::with_capacity(1 << 20, GzDecoder::new(reader)))
    } else {
        read_tar(reader)
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

fn corrupt(report: &mut Report, file: Option<&str>, e: &std::io::Error) {
    report.fail(
        "bundle",
        file.map(Location::file),
        tr!(
            "归档被截断或已损坏：{e}",
            "the archive is truncated or corrupt: {e}"
        ),
    );
}

fn short(report: &mut Report, file: &str, got: u64, want: u64) {
    report.fail(
        "bundle",
        Some(Location::file(file)),
        tr!(
            "被截断：只有 {got} 字节，应有 {want} 字节",
            "truncated: {got} of {want} bytes"
        ),
    );
}

/// The name of a bundle file within the top directory, or `None` (directories, other entries).
fn bundle_name<R: Read>(
    entry: &tar::Entry<'_, R>,
    top: &mut Option<String>,
    report: &mut Report,
) -> Option<String> {
    let path = entry.path().ok()?.to_string_lossy().into_owned();
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let first = parts.first()?;
    match top {
        None => *top = Some((*first).to_owned()),
        Some(t) if t != first => {
            report.fail(
                "bundle",
                Some(Location::file(&path)),
                tr!(
                    "不在唯一的顶层目录 {t}/ 下",
                    "not under the single top directory {t}/"
                ),
            );
            return None;
        }
        Some(_) => {}
    }
    let kind = entry.header().entry_type();
    (parts.len() == 2 && kind.is_file()).then(|| parts[1].to_owned())
}

fn read_small<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    files: &mut Files,
    report: &mut Report,
) -> bool {
    let want = entry.header().size().unwrap_or(0);
    if want > MAX_FILE {
        report.fail(
            "bundle",
            Some(Location::file(name)),
            tr!("文件过大（{want} 字节）", "too large ({want} bytes)"),
        );
        return false;
    }
    let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    match entry.take(MAX_FILE).read_to_end(&mut buf) {
        Ok(_) if buf.len() as u64 != want => {
            short(report, name, buf.len() as u64, want);
            false
        }
        Ok(_) => {
            files.insert(name.to_owned(), buf);
            true
        }
        Err(e) => {
            corrupt(report, Some(name), &e);
            false
        }
    }
}

fn read_tar<R: Read>(reader: R) -> Report {
    let mut report = Report::default();
    let mut archive = tar::Archive::new(reader);
    let mut files = Files::new();
    let mut top: Option<String> = None;
    let mut iter = match archive.entries() {
        Ok(i) => i,
        Err(e) => {
            return Report::failed_to_load(tr!("不是 tar 归档：{e}", "not a tar archive: {e}"))
        }
    };
    let mut damaged = false;
    // Up to entries.jsonl.
    let mut entries_entry = None;
    for next in iter.by_ref() {
        let mut entry = match next {
            Ok(e) => e,
            Err(e) => {
                corrupt(&mut report, None, &e);
                damaged = true;
                break;
            }
        };
        let Some(name) = bundle_name(&entry, &mut top, &mut report) else {
            continue;
        };
        if name == "entries.jsonl" {
            entries_entry = Some(entry);
            break;
        }
        if !read_small(&mut entry, &name, &mut files, &mut report) {
            damaged = true;
            break;
        }
    }
    let ready = NEEDED_FIRST.iter().all(|n| files.contains_key(*n));
    let mut spool: Option<File> = None;
    let mut early_ctx: Option<Ctx> = None;
    let mut early_outcome = None;
    let entries_present = entries_entry.is_some();
    if let Some(entry) = entries_entry {
        let want = entry.header().size().unwrap_or(0);
        let mut counting = Counting { inner: entry, n: 0 };
        if ready {
            early_ctx = checks::prepare(&mut files, &mut report);
        }
        if let Some(ctx) = early_ctx.as_ref() {
            early_outcome = Some(entries::run(
                ctx,
                BufReader::with_capacity(1 << 20, &mut counting),
                &mut report,
            ));
        } else if !ready {
            // The archive lists the entries before the manifest: keep them aside.
            match tempfile::tempfile().and_then(|mut f| {
                std::io::copy(&mut counting, &mut f)
                    .and(f.rewind())
                    .map(|_| f)
            }) {
                Ok(f) => spool = Some(f),
                Err(e) => corrupt(&mut report, Some("entries.jsonl"), &e),
            }
        }
        if counting.n != want && !damaged {
            // Read what is left, so that a short entry shows as truncated.
            let _ = std::io::copy(&mut counting, &mut std::io::sink());
            if counting.n != want {
                short(&mut report, "entries.jsonl", counting.n, want);
                damaged = true;
            }
        }
    }
    // The rest of the archive.
    if !damaged {
        for next in iter.by_ref() {
            let mut entry = match next {
                Ok(e) => e,
                Err(e) => {
                    corrupt(&mut report, None, &e);
                    damaged = true;
                    break;
                }
            };
            let Some(name) = bundle_name(&entry, &mut top, &mut report) else {
                continue;
            };
            if name == "entries.jsonl" {
                report.fail(
                    "bundle",
                    Some(Location::file(&name)),
                    tr!("归档中出现两次", "listed twice in the archive"),
                );
                continue;
            }
            if !read_small(&mut entry, &name, &mut files, &mut report) {
                damaged = true;
                break;
            }
        }
    }
    if !damaged {
        // The gzip trailer (CRC and length) is only checked when the stream is read to its end.
        if let Err(e) = std::io::copy(&mut archive.into_inner(), &mut std::io::sink()) {
            corrupt(&mut report, None, &e);
        }
    }
    if !entries_present {
        report.fail(
            "bundle",
            Some(Location::file("entries.jsonl")),
            tr!("缺少文件", "file missing"),
        );
    }
    if entries_present && ready {
        return conclude(
            early_ctx.as_ref(),
            early_outcome.as_ref(),
            &files,
            top.as_deref(),
            report,
        );
    }
    let ctx = checks::prepare(&mut files, &mut report);
    let outcome = match (ctx.as_ref(), spool) {
        (Some(ctx), Some(f)) => Some(entries::run(
            ctx,
            BufReader::with_capacity(1 << 20, f),
            &mut report,
        )),
        _ => None,
    };
    conclude(
        ctx.as_ref(),
        outcome.as_ref(),
        &files,
        top.as_deref(),
        report,
    )
}

/// The bundle address for a ballot address: a URL ending in `/bundle` is used as it is;
/// `http(s)://host[/prefix]/c/{slug}/ballots/{id}[/...]` and
/// `.../api/v1/communities/{slug}/ballots/{id}[/...]` map to
/// `http(s)://host[/prefix]/api/v1/ballots/{id}/bundle`.
pub fn bundle_url(url: &str) -> Result<String, String> {
    let bad = || format!("not a ballot address: {url}");
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err(bad());
    }
    if path.trim_end_matches('/').ends_with("/bundle") {
        return Ok(url.to_owned());
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    for i in 0..segs.len() {
        if segs[i] != "ballots" || !segs.get(i + 1).is_some_and(|s| is_id(s)) {
            continue;
        }
        let id = segs[i + 1];
        let prefix_end = if i >= 2 && segs[i - 2] == "c" {
            Some(i - 2)
        } else if i >= 4
            && segs[i - 2] == "communities"
            && segs[i - 3] == "v1"
            && segs[i - 4] == "api"
        {
            Some(i - 4)
        } else if i >= 2 && segs[i - 1] == "v1" && segs[i - 2] == "api" {
            Some(i - 2)
        } else {
            None
        };
        if let Some(end) = prefix_end {
            let prefix: String = segs[..end].iter().map(|s| format!("/{s}")).collect();
            return Ok(format!(
                "{scheme}://{host}{prefix}/api/v1/ballots/{id}/bundle"
            ));
        }
    }
    Err(bad())
}

pub(crate) fn verify_url(url: &str) -> Report {
    let target = match bundle_url(url) {
        Ok(t) => t,
        Err(e) => {
            return Report::failed_to_load(tr!("无法识别的地址：{e}", "unrecognised address: {e}"))
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .user_agent(concat!("yishiting-verify/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    match agent.get(&target).call() {
        Ok(response) => verify_archive(response.into_body().into_reader()),
        Err(e) => Report::failed_to_load(tr!(
            "无法下载 {target}：{e}",
            "cannot download {target}: {e}"
        )),
    }
}
