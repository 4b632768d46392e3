//! The checks after the entries: the roll, the Merkle root and every signed checkpoint, the
//! files the status needs, then the records ([`super::tally`]) and the verifier's own
//! result (docs/verification.md §5, §6).

use std::collections::HashSet;

use serde::Deserialize;

use super::checks::{json_file, Ctx, Files};
use super::entries::EntriesOutcome;
use super::report::{outcome_words, tr, Location, QuestionResult, Report, VerifiedResult};
use super::tally::{cosignatures, final_record, record};
use crate::crypto::note::{open_note, parse_checkpoint_body};
use crate::domain::ballot::Privacy;
use crate::domain::merkle::{to_hex, Hash, MerkleTree};
use crate::domain::tally::Weights;
use crate::domain::tally_record::{rule_of, RecordCheckpoint, VoterKey};

/// Everything after the entries. `entries` is `None` when `entries.jsonl` was missing.
pub(crate) fn finish(
    ctx: &Ctx,
    entries: Option<&EntriesOutcome<'_>>,
    files: &Files,
    report: &mut Report,
) {
    let Some(e) = entries else { return };
    let c = &e.recount;
    // Leaves that do not count: superseded by a later ballot of the voter, or set aside by the
    // ballot's casting rule (docs/verification.md §14.3).
    let (cast, counted) = (c.cast(), c.counted());
    let superseded = cast - counted;
    report.pass(
        "ballots",
        tr!(
            "共投 {cast} 次，有效票 {counted} 张（每名投票人一张，以最后一次为准），被取代 {superseded} 次",
            "{cast} ballots cast, {counted} effective (one per voter, the last one counts), {superseded} superseded"
        ),
    );
    roll(ctx, e, files, report);
    let final_checkpoint = checkpoints(ctx, &e.tree, files, report);
    log_root(&e.tree, final_checkpoint, report);
    let checkpoint = final_checkpoint.map(|(size, root)| RecordCheckpoint {
        size,
        root: to_hex(&root),
    });
    status(ctx, files, report);
    let prelim = record(
        ctx,
        e,
        "tally-preliminary.json",
        checkpoint.as_ref(),
        files,
        report,
    );
    let fin = record(
        ctx,
        e,
        "tally-final.json",
        checkpoint.as_ref(),
        files,
        report,
    );
    if let Some((f, f_sha)) = &fin {
        final_record(prelim.as_ref(), f, report);
        report.final_record_sha256 = Some(f_sha.clone());
    }
    cosignatures(
        ctx,
        fin.as_ref().map(|(_, sha)| sha.as_str()),
        files,
        report,
    );
    result(ctx, e, report);
}

#[derive(Deserialize)]
struct Roll {
    voters: Vec<i64>,
}

fn roll(ctx: &Ctx, e: &EntriesOutcome<'_>, files: &Files, report: &mut Report) {
    let Some(roll) = json_file::<Roll>(files, "roll.json", true, report) else {
        return;
    };
    let Some(voters) = &ctx.voters else { return };
    let at = |f: String| Some(Location::file("roll.json").field(f));
    for (i, w) in roll.voters.windows(2).enumerate() {
        if w[0] >= w[1] {
            let j = i + 1;
            return report.fail(
                "roll",
                at(format!("voters[{j}]")),
                tr!("未严格递增", "not strictly ascending"),
            );
        }
    }
    let mut weights = Vec::with_capacity(roll.voters.len());
    for (i, &v) in roll.voters.iter().enumerate() {
        match usize::try_from(v).ok().and_then(|v| voters.get(v)) {
            Some(info) => weights.push((info.weights.area_centi, info.weights.headcount)),
            None => {
                return report.fail(
                    "roll",
                    at(format!("voters[{i}]")),
                    tr!(
                        "投票人 {v} 不在名册快照中",
                        "voter {v} is not in the electorate snapshot"
                    ),
                )
            }
        }
    }
    let n = roll.voters.len();
    match ctx.manifest.privacy {
        Privacy::Open => {
            // Voters with an effective ballot (§14.5): a voter whose leaves none counts (an
            // unconfirmed paper) is not on the roll.
            let voted = |i: usize| {
                e.seen.get(i) == Some(&true)
                    && i64::try_from(i)
                        .is_ok_and(|v| e.recount.effective_leaf(&VoterKey::Index(v)).is_some())
            };
            let listed: HashSet<usize> = roll
                .voters
                .iter()
                .filter_map(|&v| usize::try_from(v).ok())
                .collect();
            if let Some(v) = e
                .seen
                .iter()
                .enumerate()
                .find(|(i, _)| voted(*i) && !listed.contains(i))
                .map(|(i, _)| i)
            {
                return report.fail(
                    "roll",
                    at("voters".into()),
                    tr!(
                        "投票人 {v} 有计入的选票，却不在参与名单上",
                        "voter {v} has an effective ballot but is not on the roll"
                    ),
                );
            }
            if let Some(v) = roll
                .voters
                .iter()
                .find(|&&v| !usize::try_from(v).is_ok_and(voted))
            {
                return report.fail(
                    "roll",
                    at("voters".into()),
                    tr!(
                        "投票人 {v} 在参与名单上，却没有计入的选票",
                        "voter {v} is on the roll but has no effective ballot"
                    ),
                );
            }
            report.pass(
                "roll",
                tr!(
                    "参与名单（{n} 人）与有计入选票的投票人一致",
                    "the roll ({n} voters) is exactly the voters with an effective ballot"
                ),
            );
        }
        Privacy::Confidential => {
            let tags = e.recount.counted();
            if tags != n as u64 {
                return report.fail(
                    "roll",
                    at("voters".into()),
                    tr!(
                        "不同投票人标签 {tags} 个，参与名单 {n} 人",
                        "{tags} distinct voter tags but {n} voters on the roll"
                    ),
                );
            }
            let mut effective: Vec<(i64, i64)> = e
                .recount
                .effective_weights()
                .map(|w| (w.area_centi, w.headcount))
                .collect();
            effective.sort_unstable();
            weights.sort_unstable();
            if let Some((a, b)) = effective.iter().zip(&weights).find(|(a, b)| a != b) {
                let ((a1, h1), (a2, h2)) = (a, b);
                return report.fail(
                    "roll",
                    at("voters".into()),
                    tr!(
                        "有效选票的权重多重集与参与名单不符：选票中有（面积 {a1}，人数 {h1}），名单对应（面积 {a2}，人数 {h2}）",
                        "the multiset of effective weights differs from the roll's: the leaves have (area {a1}, headcount {h1}) where the roll has (area {a2}, headcount {h2})"
                    ),
                );
            }
            report.pass(
                "roll",
                tr!(
                    "不记名核对：{n} 个不同标签，有效选票的权重多重集与参与名单一致",
                    "confidential check: {n} distinct tags, and the effective weights are the roll's multiset"
                ),
            );
        }
    }
}

/// Check every checkpoint; returns the last one (size, root) if its signature verified.
fn checkpoints(
    ctx: &Ctx,
    tree: &MerkleTree,
    files: &Files,
    report: &mut Report,
) -> Option<(u64, Hash)> {
    let name = "checkpoints.jsonl";
    let Some(bytes) = files.get(name) else {
        report.fail(
            "bundle",
            Some(Location::file(name)),
            tr!("缺少文件", "file missing"),
        );
        return None;
    };
    let key = ctx.public_key?;
    let origin = &ctx.manifest.origin;
    let text = String::from_utf8_lossy(bytes);
    let before = report.failures().count();
    let mut last: Option<(u64, Hash)> = None;
    let mut prev_size = 0u64;
    let mut n = 0u64;
    for (i, line) in text.lines().enumerate() {
        n += 1;
        let at = Location::line(name, i as u64 + 1);
        last = None;
        let note: String = match serde_json::from_str(line) {
            Ok(s) => s,
            Err(e) => {
                report.fail(
                    "checkpoints",
                    Some(at),
                    tr!("不是 JSON 字符串：{e}", "not a JSON string: {e}"),
                );
                continue;
            }
        };
        let body = match open_note(&note, origin, &key) {
            Ok(b) => b,
            Err(e) => {
                report.fail(
                    "checkpoints",
                    Some(at),
                    tr!(
                        "签名无效（不是表决密钥签的）：{e}",
                        "signature does not verify with the ballot key: {e}"
                    ),
                );
                continue;
            }
        };
        let cp = match parse_checkpoint_body(&body) {
            Ok(cp) => cp,
            Err(e) => {
                report.fail(
                    "checkpoints",
                    Some(at),
                    tr!("格式错误：{e}", "malformed: {e}"),
                );
                continue;
            }
        };
        let (size, len) = (cp.size, tree.len());
        if cp.origin != *origin {
            let o = &cp.origin;
            report.fail(
                "checkpoints",
                Some(at),
                tr!(
                    "origin 为 {o}，应为 {origin}",
                    "origin is {o}, expected {origin}"
                ),
            );
            continue;
        }
        // The last validly signed checkpoint is the final one, whatever it says.
        last = Some((size, cp.root));
        if size < prev_size {
            report.fail(
                "checkpoints",
                Some(at),
                tr!(
                    "树大小 {size} 小于上一行的 {prev_size}，未按升序排列",
                    "tree size {size} is below the previous {prev_size}: not ascending"
                ),
            );
            continue;
        }
        prev_size = size;
        match tree.root_at(size) {
            Err(_) => report.fail(
                "checkpoints",
                Some(at),
                tr!(
                    "树大小 {size} 超过记录条数 {len}",
                    "tree size {size} is larger than the {len} entries"
                ),
            ),
            Ok(root) if root != cp.root => {
                let (got, want) = (to_hex(&cp.root), to_hex(&root));
                report.fail(
                    "checkpoints",
                    Some(at),
                    tr!(
                        "分叉：大小 {size} 的检查点根哈希为 {got}，而前 {size} 条记录的根哈希为 {want}",
                        "fork: the checkpoint for size {size} has root {got}, but the first {size} entries give {want}"
                    ),
                );
            }
            Ok(_) => {}
        }
    }
    if n == 0 {
        report.fail(
            "checkpoints",
            Some(Location::file(name)),
            tr!("没有检查点", "no checkpoint"),
        );
    } else if report.failures().count() == before {
        report.pass(
            "checkpoints",
            tr!(
                "{n} 个检查点均由表决密钥签名，大小递增，根哈希与对应前缀一致（无分叉）",
                "{n} checkpoints, all signed with the ballot key, ascending, each matching the root of its prefix (no fork)"
            ),
        );
    }
    last
}

fn log_root(tree: &MerkleTree, last: Option<(u64, Hash)>, report: &mut Report) {
    let len = tree.len();
    let root = to_hex(&tree.root());
    match last {
        None => report.fail(
            "log.root",
            Some(Location::file("checkpoints.jsonl")),
            tr!(
                "没有有效的最终检查点可供比对",
                "no valid final checkpoint to compare with"
            ),
        ),
        Some((size, _)) if size != len => report.fail(
            "log.root",
            Some(Location::file("entries.jsonl")),
            tr!(
                "最终检查点覆盖 {size} 条记录，文件中有 {len} 条",
                "the final checkpoint covers {size} entries, the file has {len}"
            ),
        ),
        Some((_, r)) if to_hex(&r) != root => {
            let want = to_hex(&r);
            report.fail(
                "log.root",
                Some(Location::file("entries.jsonl")),
                tr!(
                    "全部记录的默克尔根为 {root}，最终检查点为 {want}",
                    "the Merkle root of all entries is {root}, the final checkpoint says {want}"
                ),
            );
        }
        Some(_) => report.pass(
            "log.root",
            tr!(
                "{len} 条记录的默克尔根与最终检查点一致：{root}",
                "the Merkle root of the {len} entries matches the final checkpoint: {root}"
            ),
        ),
    }
}

fn status(ctx: &Ctx, files: &Files, report: &mut Report) {
    let s = ctx.status.as_str();
    let need: &[&str] = match s {
        "tallied" => &["tally-preliminary.json"],
        "finalised" | "certified" => &["tally-preliminary.json", "tally-final.json"],
        _ => &[],
    };
    let missing: Vec<&str> = need
        .iter()
        .copied()
        .filter(|f| !files.contains_key(*f))
        .collect();
    if missing.is_empty() {
        report.pass(
            "status",
            tr!(
                "状态 {s}，所需文件齐全",
                "status {s}: the files it needs are present"
            ),
        );
    }
    for f in missing {
        report.fail(
            "status",
            Some(Location::file(f)),
            tr!(
                "状态为 {s}，却缺少此文件",
                "missing although the status is {s}"
            ),
        );
    }
}

fn result(ctx: &Ctx, e: &EntriesOutcome<'_>, report: &mut Report) {
    let m = &ctx.manifest;
    let electorate = Weights {
        area_centi: m.electorate.area_centi,
        headcount: m.electorate.headcount,
    };
    let t = e.recount.tally(&rule_of(m), electorate);
    let questions = m
        .questions
        .iter()
        .zip(&t.questions)
        .map(|(q, qt)| QuestionResult {
            question: q.id.clone(),
            text: q.text.clone(),
            outcome: qt.outcome.clone(),
            words: outcome_words(q, &qt.outcome),
        })
        .collect();
    report.result = Some(VerifiedResult {
        electorate,
        participation: t.participation,
        participation_met: t.participation_met,
        cast: e.recount.cast(),
        counted: e.recount.counted(),
        questions,
    });
    report.scrutineers = m
        .scrutineers
        .iter()
        .map(|s| (s.name.clone(), s.public_key.clone()))
        .collect();
}
