//! The verification report: one line per check, in Chinese or English, and as JSON.
//!
//! Every message is written in both languages where it is made ([`tr!`]), so the verifier
//! needs no locale files and prints the same words offline.

use serde_json::{json, Value};

use crate::domain::ballot::{Question, QuestionKind};
use crate::domain::tally::{Outcome, Weights};

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// `tr!("中文 {x}", "English {x}")`: a [`Text`] with both translations side by side.
macro_rules! tr {
    ($zh:literal, $en:literal $(,)?) => {
        $crate::verify::Text::new(format!($zh), format!($en))
    };
}
pub(crate) use tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// Where a problem is: a file, a line (1-based) or leaf index (0-based), a field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub leaf: Option<u64>,
    pub field: Option<String>,
}

impl Location {
    pub fn file(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            ..Self::default()
        }
    }

    /// Line `line` (1-based) of a file.
    pub fn line(file: &str, line: u64) -> Self {
        Self {
            line: Some(line),
            ..Self::file(file)
        }
    }

    /// Leaf `index` (0-based): line `index + 1` of `entries.jsonl`.
    pub fn leaf(index: u64) -> Self {
        Self {
            leaf: Some(index),
            ..Self::line("entries.jsonl", index + 1)
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn render(&self, lang: Lang) -> String {
        let mut s = self.file.clone();
        match lang {
            Lang::Zh => {
                if let Some(l) = self.line {
                    s.push_str(&format!(" 第 {l} 行"));
                }
                if let Some(i) = self.leaf {
                    s.push_str(&format!("（叶 {i}）"));
                }
                if let Some(f) = &self.field {
                    s.push_str(&format!("，字段 {f}"));
                }
            }
            Lang::En => {
                if let Some(l) = self.line {
                    s.push_str(&format!(" line {l}"));
                }
                if let Some(i) = self.leaf {
                    s.push_str(&format!(" (leaf {i})"));
                }
                if let Some(f) = &self.field {
                    s.push_str(&format!(", field {f}"));
                }
            }
        }
        s
    }

    fn to_json(&self) -> Value {
        json!({"file": self.file, "line": self.line, "leaf": self.leaf, "field": self.field})
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// A stable id, e.g. `manifest.signature`, `entries`, `tally.preliminary.recount`.
    pub id: &'static str,
    pub ok: bool,
    pub at: Option<Location>,
    pub detail: Text,
}

/// The outcome of one question, from the verifier's own recount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionResult {
    pub question: String,
    pub text: String,
    pub outcome: Outcome,
    pub words: Text,
}

/// What the verifier's recount decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedResult {
    pub electorate: Weights,
    pub participation: Weights,
    pub participation_met: bool,
    pub cast: u64,
    pub counted: u64,
    pub questions: Vec<QuestionResult>,
}

/// The report of a verification.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<Check>,
    pub result: Option<VerifiedResult>,
    /// `SHA-256(JCS(final record))` in hex, when a final record was read.
    pub final_record_sha256: Option<String>,
    /// The manifest's scrutineers: (name, base64 public key).
    pub scrutineers: Vec<(String, String)>,
    /// The report's heading, when it is not a ballot bundle's (an election log's).
    pub title: Option<Text>,
    /// Lines printed after the checks (an election's step and result).
    pub summary: Vec<Text>,
    /// The verifier key of the record verified (a ballot's manifest, an election's log), as
    /// it names itself; the first one read when an election's ballot is verified with it.
    pub verifier_key: Option<String>,
}

/// The order checks are listed in, by id prefix.
const ORDER: [&str; 12] = [
    "bundle",
    "manifest",
    "electorate",
    "entries",
    "ballots",
    "roll",
    "log",
    "checkpoints",
    "status",
    "tally.preliminary",
    "tally.final",
    "cosignatures",
];

impl Report {
    /// Compare the record's verifier key with the one the observer trusts (copied from the
    /// posted notice, `yishiting verify --key`): without that comparison a server could
    /// re-sign a whole record with another key of its own.
    pub fn pin_key(&mut self, trusted: &str) {
        let trusted = trusted.trim();
        match self.verifier_key.clone() {
            Some(k) if k == trusted => self.pass(
                "key.pinned",
                tr!(
                    "验证密钥与您提供的（公告上张贴的）密钥相同",
                    "the verifier key is the one you gave (from the posted notice)"
                ),
            ),
            Some(k) => self.fail(
                "key.pinned",
                None,
                tr!(
                    "验证密钥 {k} 不是您提供的 {trusted}：这份记录不是用公告上的密钥签署的",
                    "the verifier key {k} is not the one you gave, {trusted}: this record was not signed with the posted key"
                ),
            ),
            None => self.fail(
                "key.pinned",
                None,
                tr!(
                    "没有读到验证密钥，无法与您提供的密钥比对",
                    "no verifier key was read to compare with the one you gave"
                ),
            ),
        }
    }

    pub(crate) fn pass(&mut self, id: &'static str, detail: Text) {
        self.checks.push(Check {
            id,
            ok: true,
            at: None,
            detail,
        });
    }

    pub(crate) fn fail(&mut self, id: &'static str, at: Option<Location>, detail: Text) {
        self.checks.push(Check {
            id,
            ok: false,
            at,
            detail,
        });
    }

    /// A report for a bundle that could not be opened at all.
    pub fn failed_to_load(detail: Text) -> Self {
        let mut r = Report::default();
        r.fail("bundle", None, detail);
        r
    }

    pub(crate) fn sort(&mut self) {
        let rank = |id: &str| {
            ORDER
                .iter()
                .position(|p| id == *p || id.starts_with(&format!("{p}.")))
                .unwrap_or(ORDER.len())
        };
        self.checks.sort_by_key(|c| rank(c.id));
    }

    /// Whether every check passed (and there was at least one).
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// The first failed check with this id.
    pub fn failure(&self, id: &str) -> Option<&Check> {
        self.failures().find(|c| c.id == id)
    }

    /// The readable report.
    pub fn render_text(&self, lang: Lang) -> String {
        let mut out = String::new();
        match &self.title {
            Some(t) => out.push_str(&format!("{}\n", t.get(lang))),
            None => out.push_str(match lang {
                Lang::Zh => "议事亭 选票包核验（yishiting/bundle/v1）\n",
                Lang::En => "yishiting ballot bundle verification (yishiting/bundle/v1)\n",
            }),
        }
        for c in &self.checks {
            let mark = if c.ok { '✓' } else { '✗' };
            match &c.at {
                Some(at) => out.push_str(&format!(
                    "{mark} [{}] {}: {}\n",
                    c.id,
                    at.render(lang),
                    c.detail.get(lang)
                )),
                None => out.push_str(&format!("{mark} [{}] {}\n", c.id, c.detail.get(lang))),
            }
        }
        if let Some(r) = &self.result {
            out.push_str(match lang {
                Lang::Zh => "\n结果（核验程序独立重新计票）：\n",
                Lang::En => "\nResult (the verifier's own recount):\n",
            });
            out.push_str(&match lang {
                Lang::Zh => format!(
                    "  有效票 {}（共投 {} 次），参与面积 {} / {}（百分之一平方米），参与人数 {} / {}，{}\n",
                    r.counted,
                    r.cast,
                    r.participation.area_centi,
                    r.electorate.area_centi,
                    r.participation.headcount,
                    r.electorate.headcount,
                    if r.participation_met { "达到参与门槛" } else { "未达参与门槛" }
                ),
                Lang::En => format!(
                    "  {} effective ballots ({} cast), area {} of {} (hundredths of m²), headcount {} of {}, participation threshold {}\n",
                    r.counted,
                    r.cast,
                    r.participation.area_centi,
                    r.electorate.area_centi,
                    r.participation.headcount,
                    r.electorate.headcount,
                    if r.participation_met { "met" } else { "not met" }
                ),
            });
            for q in &r.questions {
                out.push_str(&format!(
                    "  {} {}：{}\n",
                    q.question,
                    q.text,
                    q.words.get(lang)
                ));
            }
        }
        if !self.summary.is_empty() {
            out.push('\n');
            for line in &self.summary {
                out.push_str(&format!("  {}\n", line.get(lang)));
            }
        }
        let failed = self.failures().count();
        out.push('\n');
        out.push_str(&match (lang, self.ok()) {
            (Lang::Zh, true) => "核验通过：全部检查均成立。\n".to_owned(),
            (Lang::Zh, false) => format!("核验未通过：{failed} 项检查失败。\n"),
            (Lang::En, true) => "Verified: every check passed.\n".to_owned(),
            (Lang::En, false) => format!("NOT verified: {failed} checks failed.\n"),
        });
        out
    }

    /// The JSON report: `{"ok", "checks": [{"id", "ok", "detail", "location"}], "result"}`.
    pub fn to_json(&self, lang: Lang) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut v = json!({"id": c.id, "ok": c.ok, "detail": c.detail.get(lang)});
                if let Some(at) = &c.at {
                    v["location"] = at.to_json();
                }
                v
            })
            .collect();
        let result = self.result.as_ref().map(|r| {
            json!({
                "electorate": r.electorate,
                "participation": r.participation,
                "participation_met": r.participation_met,
                "cast": r.cast,
                "counted": r.counted,
                "questions": r.questions.iter().map(|q| json!({
                    "question": q.question,
                    "text": q.text,
                    "outcome": q.outcome,
                    "words": q.words.get(lang),
                })).collect::<Vec<_>>(),
            })
        });
        let mut doc = json!({
            "format": "yishiting/verify-report/v1",
            "ok": self.ok(),
            "checks": checks,
            "result": result,
            "final_record_sha256": self.final_record_sha256,
        });
        if !self.summary.is_empty() {
            doc["summary"] = self.summary.iter().map(|t| t.get(lang)).collect();
        }
        doc
    }
}

/// An outcome in words: 通过 / 未通过 / 未达参与门槛 / 当选 / 需要决选.
pub(crate) fn outcome_words(q: &Question, outcome: &Outcome) -> Text {
    let label = |id: &String| {
        q.options
            .iter()
            .find(|o| &o.id == id)
            .map_or_else(|| id.clone(), |o| o.label.clone())
    };
    let labels = |ids: &[String], sep: &str| ids.iter().map(label).collect::<Vec<_>>().join(sep);
    match outcome {
        Outcome::NoQuorum => tr!(
            "未达参与门槛，未作决定",
            "participation threshold not met: nothing decided"
        ),
        Outcome::Decided { adopted: true } => tr!("通过", "adopted"),
        Outcome::Decided { adopted: false } => tr!("未通过", "not adopted"),
        Outcome::Chosen { options } if options.is_empty() => {
            tr!("无选项达到通过门槛", "no option reached the pass threshold")
        }
        Outcome::Chosen { options } => {
            let (zh, en) = (labels(options, "、"), labels(options, ", "));
            if q.kind == QuestionKind::Approval {
                tr!("当选：{zh}", "elected: {en}")
            } else {
                tr!("选定：{zh}", "chosen: {en}")
            }
        }
        Outcome::RunOff {
            chosen,
            tied,
            seats,
        } => {
            let (tz, te) = (labels(tied, "、"), labels(tied, ", "));
            let (cz, ce) = (labels(chosen, "、"), labels(chosen, ", "));
            if chosen.is_empty() {
                tr!(
                    "需要决选：{tz} 争 {seats} 席",
                    "run-off needed: {te} for {seats} seat(s)"
                )
            } else {
                tr!(
                    "当选：{cz}；需要决选：{tz} 争 {seats} 席",
                    "elected: {ce}; run-off needed: {te} for {seats} seat(s)"
                )
            }
        }
    }
}
