//! `entries.jsonl`, streamed (docs/verification.md §5): every leaf is checked to be exactly
//! its own JCS, to belong to this ballot and window, and to carry its voter's weights; its
//! hash goes into the Merkle tree and its answers into the [`Recount`].
//!
//! The calling thread reads lines in batches; worker threads parse, canonicalise, check and
//! hash them; one thread takes the batches back in log order for the order-dependent part
//! (the tree, supersession). Only the leaf hashes and the recount's per-voter state are kept.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Read as _};
use std::sync::{mpsc, Mutex};

use serde::{Deserialize, Serialize};

use super::checks::{Ctx, VoterInfo};
use super::report::{tr, Location, Report, Text};
use crate::crypto::canonical::{value_to_jcs, MAX_SAFE_INTEGER};
use crate::domain::ballot::Privacy;
use crate::domain::casting::{self, Channel, ConflictRule, Entry};
use crate::domain::merkle::{leaf_hash, Hash, MerkleTree};
use crate::domain::record::LEAF_FORMAT;
use crate::domain::tally::Weights;
use crate::domain::tally_record::{compact_choices, AnswerView, Recount, RecountError, VoterKey};

/// At most this many failed leaves are listed one by one; the rest are counted.
pub(crate) const MAX_LISTED: usize = 20;
const BATCH_LINES: usize = 2048;
const BATCH_BYTES: usize = 1 << 20;
/// A longer line is refused (a leaf is a few hundred bytes).
const MAX_LINE: u64 = 4 << 20;

/// A string of a leaf: borrowed from the line when it has no escapes (nearly always), owned
/// otherwise, so that parsing a leaf allocates little.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Str<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Str<'static> {
    fn from(s: String) -> Self {
        Str(Cow::Owned(s))
    }
}

impl From<&'static str> for Str<'static> {
    fn from(s: &'static str) -> Self {
        Str(Cow::Borrowed(s))
    }
}

/// An answer as a leaf carries it, members in JCS order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireAnswer<'a> {
    #[serde(borrow)]
    pub choices: Vec<Str<'a>>,
    #[serde(borrow)]
    pub question: Str<'a>,
}

impl<'a> AnswerView for WireAnswer<'a> {
    type Choice = Str<'a>;
    fn question(&self) -> &str {
        &self.question.0
    }
    fn choices(&self) -> &[Str<'a>] {
        &self.choices
    }
}

/// A leaf, members in JCS order (sorted), so that serde_json writes exactly `JCS(leaf)`:
/// serde_json escapes strings as RFC 8785 does, and every number here is an integer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireLeaf<'a> {
    #[serde(borrow)]
    pub answers: Vec<WireAnswer<'a>>,
    pub area_centi: i64,
    pub ballot: i64,
    pub cast_at: i64,
    #[serde(borrow)]
    pub cast_id: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub channel: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
    #[serde(borrow)]
    pub format: Str<'a>,
    pub headcount: i64,
    #[serde(borrow)]
    pub origin: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub paper: Option<WirePaper<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub proxy: Option<WireProxy<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub rooms: Option<Vec<Str<'a>>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub tag: Option<Str<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter: Option<i64>,
}

/// A paper leaf's `paper` member (docs/verification.md §14.2), members in JCS order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WirePaper<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<i64>,
    #[serde(borrow)]
    pub scan_sha256: Str<'a>,
}

/// A proxy leaf's `proxy` member, members in JCS order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireProxy<'a> {
    #[serde(borrow)]
    pub holder: Str<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    pub scan_sha256: Option<Str<'a>>,
    #[serde(borrow)]
    pub source: Str<'a>,
}

fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl WireLeaf<'_> {
    /// The channel, and a problem with the proxy and paper members (§14.5), if any.
    fn channel(&self, scrutineers: usize) -> Result<Channel, Problem> {
        let channel = Channel::of_leaf(self.channel.as_ref().map(|c| c.0.as_ref()))
            .filter(|c| self.channel.is_none() || *c != Channel::Online)
            .ok_or_else(|| {
                problem(
                    "channel",
                    tr!(
                        "应为 proxy 或 paper（网上投票不写）",
                        "must be proxy or paper (absent online)"
                    ),
                )
            })?;
        let bad = |field: &str, zh: &str, en: &str| {
            Err(problem(field, Text::new(zh.to_owned(), en.to_owned())))
        };
        match (&self.proxy, channel == Channel::Proxy) {
            (Some(_), false) => {
                return bad("proxy", "只有委托投票有 proxy", "only proxy leaves have it")
            }
            (None, true) => return bad("proxy", "委托投票缺少 proxy", "missing on a proxy leaf"),
            (Some(p), true) => {
                let scan_ok = match (p.source.0.as_ref(), &p.scan_sha256) {
                    ("online", None) => true,
                    ("paper", Some(h)) => is_hex(&h.0, 64),
                    _ => false,
                };
                if !is_hex(&p.holder.0, 32) || !scan_ok {
                    return bad(
                        "proxy",
                        "holder 应为 32 位十六进制；source 为 online，或为 paper 并附 64 位扫描件哈希",
                        "holder must be 32 hex digits; source online, or paper with a 64-hex scan hash",
                    );
                }
            }
            (None, false) => {}
        }
        match (&self.paper, channel == Channel::Paper) {
            (Some(_), false) => {
                return bad(
                    "paper",
                    "只有书面表决票有 paper",
                    "only paper leaves have it",
                )
            }
            (None, true) => return bad("paper", "书面表决票缺少 paper", "missing on a paper leaf"),
            (Some(p), true) => {
                let confirmed_ok = p
                    .confirmed_by
                    .is_none_or(|i| usize::try_from(i).is_ok_and(|i| i < scrutineers));
                if !is_hex(&p.scan_sha256.0, 64) || !confirmed_ok {
                    return bad(
                        "paper",
                        "扫描件哈希应为 64 位十六进制，confirmed_by 应为 manifest.scrutineers 的序号",
                        "scan hash must be 64 hex digits, confirmed_by an index of manifest.scrutineers",
                    );
                }
            }
            (None, false) => {}
        }
        if self.corrects.is_some() && channel != Channel::Paper {
            return bad(
                "corrects",
                "只有书面表决票可以更正",
                "only paper leaves correct",
            );
        }
        Ok(channel)
    }
}

impl WireLeaf<'_> {
    /// Append `JCS(self)` to `out`.
    pub(crate) fn write_jcs(&self, out: &mut Vec<u8>) -> bool {
        serde_json::to_writer(out, self).is_ok()
    }
}

/// What the order-dependent part needs of a leaf.
struct Parsed {
    key: VoterKey,
    weights: Weights,
    /// The answers, checked and compacted ([`compact_choices`]).
    choices: Result<Box<[u16]>, RecountError>,
    /// Open mode: the voter index, when it is in the snapshot.
    voter: Option<usize>,
    /// What the casting rule looks at (docs/verification.md §14.3); the log index is added
    /// in order.
    channel: Channel,
    cast_at: i64,
    confirmed: bool,
    corrects: Option<u64>,
    /// Proxy leaves: the proxy's tag. Paper leaves: the scan's SHA-256.
    holder: Option<String>,
    scan: Option<String>,
}

struct Problem {
    field: Option<String>,
    text: Text,
}

struct Item {
    hash: Hash,
    leaf: Option<Parsed>,
    problem: Option<Problem>,
}

struct Batch {
    seq: u64,
    first: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

struct Done {
    seq: u64,
    first: u64,
    items: Vec<Item>,
}

/// What streaming the entries found.
pub(crate) struct EntriesOutcome<'q> {
    pub tree: MerkleTree,
    pub recount: Recount<'q>,
    pub superseded: u64,
    /// Leaves that failed a check.
    pub failed: u64,
    /// Open mode: which voters have a leaf.
    pub seen: Vec<bool>,
    /// Whether the whole file was read.
    pub complete: bool,
}

/// State of the order-dependent part.
struct Sequencer<'q> {
    out: EntriesOutcome<'q>,
    listed: Vec<(Location, Text)>,
    /// The ledgers of voters with a proxy or paper leaf, for the replay of §14.4.
    ledgers: HashMap<VoterKey, Vec<Entry>>,
    /// Each proxy's voters (§14.5: at most `proxy_cap`).
    holders: HashMap<String, HashSet<VoterKey>>,
    /// Each paper scan's family (§14.5: one family per scan).
    scans: HashMap<String, u64>,
    /// Each paper family's latest leaf: answers, weights, scan.
    papers: HashMap<u64, PaperSeen>,
}

/// What a confirmation must repeat of the paper it confirms.
type PaperSeen = (Option<Box<[u16]>>, Weights, String);

impl Sequencer<'_> {
    /// Keep what §14.4 and §14.5 need of an entry; a problem when a scan is another paper's.
    fn casting(&mut self, entry: Entry, key: VoterKey, p: &Parsed) -> Option<Problem> {
        if entry.channel == Channel::Online && !self.ledgers.contains_key(&key) {
            return None;
        }
        if !self.ledgers.contains_key(&key) {
            // The voter's earlier online ballot that still matters (the latest, or under
            // first_only the first) is the one the recount kept.
            let kept = self.out.recount.effective_leaf(&key);
            let seed = kept
                .map(|seq| Entry::online(seq, i64::MIN))
                .into_iter()
                .collect();
            self.ledgers.insert(key, seed);
        }
        if let Some(l) = self.ledgers.get_mut(&key) {
            l.push(entry);
        }
        if let Some(h) = &p.holder {
            self.holders.entry(h.clone()).or_default().insert(key);
        }
        let scan = p.scan.as_ref()?;
        // A scrutineer's confirmation repeats the entry it confirms: answers, weights, scan.
        let now = (p.choices.as_ref().ok().cloned(), p.weights, scan.clone());
        let mut problem = None;
        if let (true, Some(r)) = (entry.confirmed, entry.corrects) {
            if self.papers.get(&r).is_some_and(|before| *before != now) {
                problem = Some(Problem {
                    field: Some("paper".into()),
                    text: tr!(
                        "确认的内容（答案、权重、扫描件）与第 {r} 条所在的书面表决票不同",
                        "the confirmation differs from the paper it confirms (leaf {r}'s family: answers, weights or scan)"
                    ),
                });
            }
        }
        self.papers.insert(entry.rank(), now);
        let family = *self.scans.entry(scan.clone()).or_insert(entry.rank());
        problem.or_else(|| {
            (family != entry.rank()).then(|| Problem {
                field: Some("paper".into()),
                text: tr!(
                    "扫描件哈希已用于另一张书面表决票（第 {family} 条）",
                    "the scan hash is another paper's (leaf {family})"
                ),
            })
        })
    }

    /// After the last leaf: the replay of §14.4 per voter, and the proxy cap.
    fn finish_casting(&mut self, rule: ConflictRule, closes_at: i64, cap: u32) {
        let mut found: Vec<(Location, Text)> = Vec::new();
        for entries in self.ledgers.values() {
            for (seq, refusal) in casting::audit(entries, rule, closes_at) {
                let (id, why) = (refusal.message_id(), refusal.to_string());
                let mut at = Location::leaf(seq);
                at.field = Some("channel".into());
                found.push((
                    at,
                    tr!(
                        "按本表决的投票规则不应被接受（{id}）",
                        "should have been refused by the ballot's rules: {why}"
                    ),
                ));
            }
        }
        for (holder, voters) in &self.holders {
            let n = voters.len();
            if n > cap as usize {
                found.push((
                    Location::file("entries.jsonl"),
                    tr!(
                        "受托人 {holder} 代理了 {n} 名投票人，超过上限 {cap}",
                        "proxy {holder} voted for {n} voters, more than the cap of {cap}"
                    ),
                ));
            }
        }
        found.sort_by_key(|(at, _)| at.leaf);
        for (at, text) in found {
            self.out.failed += 1;
            if self.listed.len() < MAX_LISTED {
                self.listed.push((at, text));
            }
        }
    }
}

impl<'q> Sequencer<'q> {
    fn take(&mut self, done: Done) {
        for (i, item) in done.items.into_iter().enumerate() {
            let index = done.first + i as u64;
            self.out.tree.push(item.hash);
            let mut problem = item.problem;
            if let Some(p) = item.leaf {
                if let Some(v) = p.voter.and_then(|v| self.out.seen.get_mut(v)) {
                    *v = true;
                }
                let entry = Entry {
                    seq: index,
                    channel: p.channel,
                    cast_at: p.cast_at,
                    confirmed: p.confirmed,
                    corrects: p.corrects,
                };
                if !entry.is_well_formed() {
                    problem = problem.or(Some(Problem {
                        field: Some("corrects".into()),
                        text: tr!(
                            "应为本投票人之前的书面表决票的序号",
                            "must be the index of an earlier paper leaf"
                        ),
                    }));
                }
                if entry.channel != Channel::Online || !self.ledgers.is_empty() {
                    if let Some(q) = self.casting(entry, p.key, &p) {
                        problem = problem.or(Some(q));
                    }
                }
                match p.choices {
                    Ok(choices) => {
                        let superseded =
                            self.out.recount.add_entry(entry, p.key, p.weights, choices);
                        self.out.superseded += u64::from(superseded.is_some());
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        problem = problem.or(Some(Problem {
                            field: Some("answers".into()),
                            text: tr!("答案无效：{msg}", "answers refused: {msg}"),
                        }));
                    }
                }
            }
            if let Some(p) = problem {
                self.out.failed += 1;
                if self.listed.len() < MAX_LISTED {
                    let mut at = Location::leaf(index);
                    at.field = p.field;
                    self.listed.push((at, p.text));
                }
            }
        }
    }
}

/// Stream `entries.jsonl` from `reader`, checking every leaf against `ctx`.
pub(crate) fn run<'c, R: BufRead>(
    ctx: &'c Ctx,
    mut reader: R,
    report: &mut Report,
) -> EntriesOutcome<'c> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(workers * 2);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(workers * 2);
    let batch_rx = Mutex::new(batch_rx);
    let voters = ctx.voters.as_ref().map_or(0, Vec::len);
    let mut read_error: Option<Text> = None;
    let mut unterminated: Option<u64> = None;
    let mut lines = 0u64;
    let joined = std::thread::scope(|s| {
        let sequencer = s.spawn(move || {
            let mut seq = Sequencer {
                out: EntriesOutcome {
                    tree: MerkleTree::new(),
                    recount: Recount::with_capacity(&ctx.manifest.questions, voters)
                        .with_rule(ctx.manifest.casting.conflict_rule, ctx.manifest.closes_at),
                    superseded: 0,
                    failed: 0,
                    seen: vec![false; voters],
                    complete: false,
                },
                listed: Vec::new(),
                ledgers: HashMap::new(),
                holders: HashMap::new(),
                scans: HashMap::new(),
                papers: HashMap::new(),
            };
            let mut pending = BTreeMap::new();
            let mut next = 0u64;
            for done in done_rx {
                pending.insert(done.seq, done);
                while let Some(d) = pending.remove(&next) {
                    seq.take(d);
                    next += 1;
                }
            }
            let terms = ctx.manifest.casting;
            seq.finish_casting(terms.conflict_rule, ctx.manifest.closes_at, terms.proxy_cap);
            seq
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let batch_rx = &batch_rx;
            s.spawn(move || {
                let mut buf = Vec::with_capacity(1024);
                loop {
                    let batch = match batch_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(batch) = batch else { break };
                    if done_tx.send(process(ctx, batch, &mut buf)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut seq = 0u64;
        'read: loop {
            let mut batch = Batch {
                seq,
                first: lines,
                data: Vec::with_capacity(BATCH_BYTES + 4096),
                ends: Vec::with_capacity(BATCH_LINES),
            };
            let mut eof = false;
            while batch.ends.len() < BATCH_LINES && batch.data.len() < BATCH_BYTES {
                match (&mut reader)
                    .take(MAX_LINE)
                    .read_until(b'\n', &mut batch.data)
                {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        if batch.data.last() == Some(&b'\n') {
                            batch.data.pop();
                        } else if n as u64 >= MAX_LINE {
                            let line = lines + 1;
                            read_error = Some(tr!(
                                "第 {line} 行超过 {MAX_LINE} 字节，停止读取",
                                "line {line} is longer than {MAX_LINE} bytes; reading stopped"
                            ));
                            break 'read;
                        } else {
                            unterminated = Some(lines);
                        }
                        batch.ends.push(batch.data.len());
                        lines += 1;
                    }
                    Err(e) => {
                        let line = lines + 1;
                        read_error = Some(tr!(
                            "读到第 {line} 行时出错（文件被截断或归档损坏）：{e}",
                            "read error at line {line} (truncated file or corrupt archive): {e}"
                        ));
                        eof = true;
                        break;
                    }
                }
            }
            if !batch.ends.is_empty() {
                seq += 1;
                if batch_tx.send(batch).is_err() {
                    break;
                }
            }
            if eof {
                break;
            }
        }
        drop(batch_tx);
        sequencer.join()
    });
    let Ok(mut seq) = joined else {
        report.fail(
            "entries",
            Some(Location::file("entries.jsonl")),
            tr!("核验线程意外退出", "a verification thread failed"),
        );
        return EntriesOutcome {
            tree: MerkleTree::new(),
            recount: Recount::new(&ctx.manifest.questions)
                .with_rule(ctx.manifest.casting.conflict_rule, ctx.manifest.closes_at),
            superseded: 0,
            failed: 1,
            seen: Vec::new(),
            complete: false,
        };
    };
    seq.out.complete = read_error.is_none();
    if let Some(text) = read_error {
        report.fail("bundle", Some(Location::file("entries.jsonl")), text);
    }
    if let Some(i) = unterminated {
        seq.out.failed += 1;
        report.fail(
            "entries",
            Some(Location::leaf(i)),
            tr!(
                "最后一行没有换行符（文件可能被截断）",
                "the last line has no newline (the file may be truncated)"
            ),
        );
    }
    let listed = seq.listed.len() as u64;
    for (at, text) in std::mem::take(&mut seq.listed) {
        report.fail("entries", Some(at), text);
    }
    let failed = seq.out.failed;
    if failed > listed + u64::from(unterminated.is_some()) {
        report.fail(
            "entries",
            Some(Location::file("entries.jsonl")),
            tr!(
                "共 {failed} 条记录未通过检查",
                "{failed} leaves failed in total"
            ),
        );
    }
    if failed == 0 {
        report.pass(
            "entries",
            tr!(
                "全部 {lines} 条记录均为规范 JSON（JCS），属于本表决，投票时间在窗口内，答案有效，权重与名册一致",
                "all {lines} leaves are canonical JSON (JCS), of this ballot, cast within the window, with valid answers and their voters' weights"
            ),
        );
    }
    seq.out
}

fn process(ctx: &Ctx, batch: Batch, buf: &mut Vec<u8>) -> Done {
    let mut items = Vec::with_capacity(batch.ends.len());
    let mut start = 0;
    for &end in &batch.ends {
        let line = &batch.data[start..end];
        start = end;
        let (leaf, problem) = match check_leaf(ctx, line, buf) {
            Ok((leaf, problem)) => (Some(leaf), problem),
            Err(p) => (None, Some(p)),
        };
        items.push(Item {
            hash: leaf_hash(line),
            leaf,
            problem,
        });
    }
    Done {
        seq: batch.seq,
        first: batch.first,
        items,
    }
}

fn problem(field: &str, text: Text) -> Problem {
    Problem {
        field: (!field.is_empty()).then(|| field.to_owned()),
        text,
    }
}

/// Check one leaf. `Err` when it cannot be counted at all; `Ok` with a problem when it can
/// be counted (as the log says) but fails a check.
fn check_leaf(
    ctx: &Ctx,
    line: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(Parsed, Option<Problem>), Problem> {
    let text = std::str::from_utf8(line).map_err(|e| {
        let at = e.valid_up_to();
        problem(
            "",
            tr!(
                "第 {at} 字节处不是有效的 UTF-8",
                "not valid UTF-8 at byte {at}"
            ),
        )
    })?;
    let leaf: WireLeaf = serde_json::from_str(text)
        .map_err(|e| problem("", tr!("不是有效的选票记录：{e}", "not a valid leaf: {e}")))?;
    buf.clear();
    if !leaf.write_jcs(buf) || buf.as_slice() != line {
        return Err(not_canonical(line));
    }
    let m = &ctx.manifest;
    for (field, n) in [
        ("area_centi", Some(leaf.area_centi)),
        ("ballot", Some(leaf.ballot)),
        ("cast_at", Some(leaf.cast_at)),
        ("headcount", Some(leaf.headcount)),
        ("voter", leaf.voter),
    ] {
        if n.is_some_and(|n| n.unsigned_abs() > MAX_SAFE_INTEGER) {
            return Err(problem(
                field,
                tr!(
                    "超出 ±(2^53-1) 的整数范围",
                    "outside the integer range ±(2^53-1)"
                ),
            ));
        }
    }
    let weights = Weights {
        area_centi: leaf.area_centi,
        headcount: leaf.headcount,
    };
    let (key, voter, mode_problem) = match m.privacy {
        Privacy::Open => {
            let Some(v) = leaf.voter else {
                return Err(problem(
                    "voter",
                    tr!("记名公开的表决缺少 voter", "missing in an open ballot"),
                ));
            };
            let info = usize::try_from(v)
                .ok()
                .and_then(|i| ctx.voters.as_ref()?.get(i).map(|info| (i, info)));
            let p = match (&info, &leaf.rooms, &leaf.tag) {
                (_, _, Some(_)) => Some(problem(
                    "tag",
                    tr!("记名公开的表决不应有 tag", "a tag in an open ballot"),
                )),
                (_, None, _) => Some(problem(
                    "rooms",
                    tr!("记名公开的表决缺少 rooms", "missing in an open ballot"),
                )),
                (None, _, _) if ctx.voters.is_some() => Some(problem(
                    "voter",
                    tr!(
                        "投票人 {v} 不在名册快照中",
                        "voter {v} is not in the electorate snapshot"
                    ),
                )),
                (Some((_, info)), Some(rooms), _) => weights_problem(info, rooms, weights),
                _ => None,
            };
            (VoterKey::Index(v), info.map(|(i, _)| i), p)
        }
        Privacy::Confidential => {
            let Some(key) = leaf.tag.as_ref().and_then(|t| VoterKey::tag(&t.0)) else {
                return Err(problem(
                    "tag",
                    tr!(
                        "应为 32 位小写十六进制的投票人标签",
                        "must be a voter tag of 32 lower-case hex digits"
                    ),
                ));
            };
            let p = if leaf.voter.is_some() {
                Some(problem(
                    "voter",
                    tr!(
                        "不记名的表决不应有 voter",
                        "a voter index in a confidential ballot"
                    ),
                ))
            } else if leaf.rooms.is_some() {
                Some(problem(
                    "rooms",
                    tr!("不记名的表决不应有 rooms", "rooms in a confidential ballot"),
                ))
            } else if weights.area_centi < 0 || weights.headcount < 0 {
                Some(problem("area_centi", tr!("权重为负数", "negative weight")))
            } else {
                None
            };
            (key, None, p)
        }
    };
    let p = if leaf.format.0 != LEAF_FORMAT {
        let f = &leaf.format;
        Some(problem("format", tr!("格式为 {f}", "format is {f}")))
    } else if *leaf.origin.0 != *m.origin {
        let (o, mo) = (&leaf.origin, &m.origin);
        Some(problem(
            "origin",
            tr!("{o} 不是本表决的 {mo}", "{o} is not this ballot's {mo}"),
        ))
    } else if leaf.ballot != m.ballot {
        let (b, mb) = (leaf.ballot, m.ballot);
        Some(problem(
            "ballot",
            tr!("{b} 不是本表决的 {mb}", "{b} is not this ballot's {mb}"),
        ))
    } else if leaf.cast_at < m.opens_at || leaf.cast_at >= m.closes_at {
        let (t, o, c) = (leaf.cast_at, m.opens_at, m.closes_at);
        Some(problem(
            "cast_at",
            tr!(
                "{t} 不在投票窗口 [{o}, {c}) 内",
                "{t} is outside the voting window [{o}, {c})"
            ),
        ))
    } else if leaf.cast_id.0.len() != 32
        || !leaf
            .cast_id
            .0
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Some(problem(
            "cast_id",
            tr!("应为 32 位小写十六进制", "must be 32 lower-case hex digits"),
        ))
    } else {
        mode_problem
    };
    let channel = leaf.channel(m.scrutineers.len())?;
    Ok((
        Parsed {
            key,
            weights,
            choices: compact_choices(&m.questions, &leaf.answers),
            voter,
            channel,
            cast_at: leaf.cast_at,
            confirmed: leaf
                .paper
                .as_ref()
                .is_some_and(|p| p.confirmed_by.is_some()),
            corrects: leaf.corrects,
            holder: leaf.proxy.as_ref().map(|p| p.holder.0.to_string()),
            scan: leaf.paper.as_ref().map(|p| p.scan_sha256.0.to_string()),
        },
        p,
    ))
}

fn weights_problem(info: &VoterInfo, rooms: &[Str<'_>], weights: Weights) -> Option<Problem> {
    let w = info.weights;
    if weights.area_centi != w.area_centi {
        let (a, b) = (weights.area_centi, w.area_centi);
        return Some(problem(
            "area_centi",
            tr!("为 {a}，名册快照为 {b}", "is {a}, the snapshot has {b}"),
        ));
    }
    if weights.headcount != w.headcount {
        let (a, b) = (weights.headcount, w.headcount);
        return Some(problem(
            "headcount",
            tr!("为 {a}，名册快照为 {b}", "is {a}, the snapshot has {b}"),
        ));
    }
    let rooms = serde_json::to_string(rooms).unwrap_or_default();
    if *rooms != *info.rooms {
        let want = &info.rooms;
        return Some(problem(
            "rooms",
            tr!(
                "为 {rooms}，名册快照为 {want}",
                "is {rooms}, the snapshot has {want}"
            ),
        ));
    }
    None
}

/// Why a line is not its own JCS: extra or null members, or another serialisation.
fn not_canonical(line: &[u8]) -> Problem {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(v) => match value_to_jcs(&v) {
            Ok(jcs) if jcs == line => problem(
                "",
                tr!(
                    "含有选票格式以外的成员（或值为 null 的成员）",
                    "has members outside the leaf format (or null members)"
                ),
            ),
            Ok(jcs) => {
                let at = jcs
                    .iter()
                    .zip(line)
                    .position(|(a, b)| a != b)
                    .unwrap_or(jcs.len().min(line.len()));
                problem(
                    "",
                    tr!(
                        "不是规范形式（JCS）：自第 {at} 字节起与重新规范化的结果不同",
                        "not in canonical form (JCS): differs from its re-canonicalisation from byte {at}"
                    ),
                )
            }
            Err(e) => problem("", tr!("无法规范化：{e}", "cannot be canonicalised: {e}")),
        },
        Err(e) => problem("", tr!("不是有效的 JSON：{e}", "not valid JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_strings_are_borrowed_unless_escaped_and_write_back_the_same() {
        let line = r#"{"answers":[{"choices":["agree"],"question":"q1"}],"area_centi":8950,"ballot":3,"cast_at":1800000000,"cast_id":"0123456789abcdef0123456789abcdef","format":"yishiting/ballot/v1","headcount":1,"origin":"o","rooms":["1号楼 \"A\" 101"],"voter":0}"#;
        let leaf: WireLeaf<'_> = serde_json::from_str(line).unwrap();
        assert!(matches!(leaf.format.0, Cow::Borrowed(_)));
        assert!(matches!(leaf.answers[0].choices[0].0, Cow::Borrowed(_)));
        let rooms = leaf.rooms.as_ref().unwrap();
        assert!(matches!(rooms[0].0, Cow::Owned(_)), "escaped: owned");
        assert_eq!(rooms[0].as_ref(), "1号楼 \"A\" 101");
        let mut out = Vec::new();
        assert!(leaf.write_jcs(&mut out));
        assert_eq!(out, line.as_bytes());
    }
}
