//! Conventions (管理规约 / 居民公约): a document of numbered articles, parsed from the text an
//! organiser writes, its canonical text and hash, amendments to single articles and the
//! organisers' decisions on them. Pure rules; the readable diff is in
//! [`super::convention_diff`].
//!
//! The canonical text of a version is what its `text_sha256` (and the ballot manifest's
//! `document.text_sha256`, docs/verification.md §3) hashes: for each article in order,
//! `第{n}条 {heading}\n{body}\n` (n in Arabic digits from 1, one ASCII space after 条 even
//! when the heading is empty, the body as stored with `\n` line ends), concatenated with
//! nothing between them, encoded as UTF-8. The hash is lowercase hex SHA-256 of those bytes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ballot::{check_text, invalid, Invalid};
pub use super::convention_amendment::*;

/// At most this many articles in a version.
pub const MAX_ARTICLES: usize = 200;
/// At most this many characters in one article (heading and body together).
pub const MAX_ARTICLE_CHARS: usize = 5_000;
pub const MAX_HEADING_CHARS: usize = 200;
/// Short enough that the adopting ballot's title (which quotes it) fits the ballot title limit.
pub const MAX_TITLE_CHARS: usize = 150;
/// Comments, reasons and decisions: 1 to 2,000 characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Which convention: owners' (管理规约, Civil Code Art. 278 item 2) or residents' (居民公约,
/// adopted by the residents' assembly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Management,
    Residents,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Management => "management",
            Kind::Residents => "residents",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "management" => Some(Kind::Management),
            "residents" => Some(Kind::Residents),
            _ => None,
        }
    }
}

/// One numbered article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub number: u32,
    pub heading: String,
    pub body: String,
}

/// Numerals accepted between 第 and 条.
fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "零〇一二三四五六七八九十百千两".contains(c)
}

/// If `line` starts an article (`第…条`, Arabic or Chinese numerals, leading spaces allowed),
/// the rest of the line, trimmed: the heading.
pub fn article_heading(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('第')?;
    let digits = rest.find(|c: char| !is_numeral(c))?;
    if digits == 0 {
        return None;
    }
    let after = rest[digits..].strip_prefix('条')?;
    Some(after.trim())
}

/// Parse an organiser's text into articles numbered 1..n. A line starting with `第…条`
/// starts a new article and the rest of that line is its heading; the lines up to the next
/// such line are its body (trimmed at both ends). Text before the first article is refused,
/// as are more than [`MAX_ARTICLES`] articles, an article over [`MAX_ARTICLE_CHARS`]
/// characters, an empty article and control characters. Problems name `articles` or
/// `articles[n]` (n the article's new number).
pub fn parse_articles(text: &str) -> Result<Vec<Article>, Vec<Invalid>> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut problems = Vec::new();
    let mut raw: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.split('\n') {
        if let Some(h) = article_heading(line) {
            raw.push((h.to_owned(), Vec::new()));
        } else if let Some((_, body)) = raw.last_mut() {
            body.push(line.trim_end());
        } else if !line.trim().is_empty() {
            problems.push(invalid("articles", "convention-error-preamble"));
            return Err(problems);
        }
    }
    if raw.is_empty() {
        problems.push(invalid("articles", "convention-error-no-articles"));
        return Err(problems);
    }
    if raw.len() > MAX_ARTICLES {
        problems.push(invalid("articles", "convention-error-too-many-articles"));
        return Err(problems);
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, (heading, body)) in raw.into_iter().enumerate() {
        let number = i as u32 + 1;
        let body = body.join("\n").trim().to_owned();
        check_article(
            &mut problems,
            &format!("articles[{number}]"),
            &heading,
            &body,
        );
        out.push(Article {
            number,
            heading,
            body,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// The checks every article passes, parsed or proposed.
pub(crate) fn check_article(out: &mut Vec<Invalid>, field: &str, heading: &str, body: &str) {
    if heading.trim().is_empty() && body.trim().is_empty() {
        out.push(invalid(field, "convention-error-empty-article"));
    } else if heading.contains('\n') || heading.chars().count() > MAX_HEADING_CHARS {
        out.push(invalid(field, "convention-error-heading"));
    } else if heading.chars().count() + body.chars().count() > MAX_ARTICLE_CHARS {
        out.push(invalid(field, "convention-error-article-too-long"));
    } else if has_control(heading) || has_control(body) {
        out.push(invalid(field, "ballot-error-control-chars"));
    } else if body.split('\n').any(|l| article_heading(l).is_some()) {
        // The text would read as two articles.
        out.push(invalid(field, "convention-error-nested-article"));
    }
}

/// The canonical text (module documentation).
pub fn canonical_text(articles: &[Article]) -> String {
    let mut out = String::new();
    for a in articles {
        out.push_str(&format!("第{}条 {}\n{}\n", a.number, a.heading, a.body));
    }
    out
}

/// Lowercase hex SHA-256 of the canonical text.
pub fn text_sha256(articles: &[Article]) -> String {
    Sha256::digest(canonical_text(articles).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text an organiser edits: the canonical text (which parses back to the same articles).
pub fn editable_text(articles: &[Article]) -> String {
    canonical_text(articles)
}

/// Check a convention's title and kind.
pub fn validate_header(kind: &str, title: &str) -> Result<(Kind, String), Vec<Invalid>> {
    let mut problems = Vec::new();
    let title = check_text(&mut problems, "title", title, MAX_TITLE_CHARS, true);
    let kind = Kind::parse(kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "convention-error-kind"));
    }
    match kind {
        Some(k) if problems.is_empty() => Ok((k, title)),
        _ => Err(problems),
    }
}

/// A comment, reason or decision: 1 to 2,000 characters, no control characters.
pub fn check_note(out: &mut Vec<Invalid>, field: &str, text: &str) -> String {
    check_text(out, field, text, MAX_NOTE_CHARS, true)
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    /// Put to a vote: a ballot is linked.
    Balloting,
    Adopted,
    Superseded,
    Rejected,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Balloting => "balloting",
            VersionStatus::Adopted => "adopted",
            VersionStatus::Superseded => "superseded",
            VersionStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(VersionStatus::Draft),
            "balloting" => Some(VersionStatus::Balloting),
            "adopted" => Some(VersionStatus::Adopted),
            "superseded" => Some(VersionStatus::Superseded),
            "rejected" => Some(VersionStatus::Rejected),
            _ => None,
        }
    }
}

/// The ballot that adopts a version: its title, and the kind and counting rule the law gives
/// each convention (management: an owners' assembly matter, Civil Code Art. 278 ordinary
/// majority; residents: the residents' assembly, a majority of those taking part).
pub fn ballot_shape(kind: Kind) -> (super::ballot::Kind, super::ballot::CountingRule) {
    use super::ballot::{CountingRule, Kind as BallotKind};
    match kind {
        Kind::Management => (BallotKind::AssemblyMatter, CountingRule::Ordinary),
        Kind::Residents => (
            BallotKind::ResidentsConvention,
            CountingRule::ConventionMajority,
        ),
    }
}

pub fn ballot_title(title: &str, version: i32) -> String {
    format!("关于通过《{title}》（第{version}版）的表决")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEXT: &str = "第一条 总则\n为维护全体业主的合法权益，制定本规约。\n\n  第2条　物业使用\n业主不得擅自改变房屋用途。\n不得占用消防通道。\n第十二条\n本规约自业主大会通过之日起生效。\n";

    #[test]
    fn articles_are_parsed_and_renumbered() {
        let a = parse_articles(TEXT).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].heading, "总则");
        assert_eq!(a[1].number, 2);
        assert_eq!(a[1].heading, "物业使用");
        assert_eq!(a[1].body, "业主不得擅自改变房屋用途。\n不得占用消防通道。");
        assert_eq!((a[2].number, a[2].heading.as_str()), (3, ""));
        assert_eq!(
            canonical_text(&a[..1]),
            "第1条 总则\n为维护全体业主的合法权益，制定本规约。\n"
        );
        assert_eq!(parse_articles(&canonical_text(&a)).unwrap(), a);
        assert_eq!(text_sha256(&a).len(), 64);
    }

    #[test]
    fn bad_texts_are_refused_with_the_field() {
        let fields = |t: &str| -> Vec<(String, &'static str)> {
            parse_articles(t)
                .unwrap_err()
                .into_iter()
                .map(|p| (p.field, p.message))
                .collect()
        };
        assert_eq!(
            fields("前言\n第一条 总则\n正文"),
            [("articles".into(), "convention-error-preamble")]
        );
        assert_eq!(
            fields("  \n"),
            [("articles".into(), "convention-error-no-articles")]
        );
        assert_eq!(
            fields("第1条\n\n第2条 x\ny"),
            [("articles[1]".into(), "convention-error-empty-article")]
        );
        let long = format!("第1条 a\n{}", "字".repeat(MAX_ARTICLE_CHARS));
        assert_eq!(
            fields(&long),
            [("articles[1]".into(), "convention-error-article-too-long")]
        );
        let many: String = (1..=MAX_ARTICLES + 1)
            .map(|i| format!("第{i}条 x\n"))
            .collect();
        assert_eq!(
            fields(&many),
            [("articles".into(), "convention-error-too-many-articles")]
        );
        assert!(article_heading("第条 x").is_none());
        assert!(article_heading("第三款 x").is_none());
        assert_eq!(article_heading("第二十一条：费用"), Some("：费用"));
    }

    fn sample() -> Vec<Article> {
        parse_articles(TEXT).unwrap()
    }

    #[test]
    fn amendments_apply_and_renumber() {
        let a = sample();
        let rep = validate_amendment(
            "replace",
            Some(2),
            "物业使用",
            "不得改变用途。",
            "更简洁",
            &a,
        )
        .unwrap();
        let next = apply(&a, &rep).unwrap();
        assert_eq!(next[1].body, "不得改变用途。");
        let del = validate_amendment("delete", Some(1), "x", "y", "多余", &a).unwrap();
        assert_eq!(del.heading, "");
        let next = apply(&a, &del).unwrap();
        assert_eq!(next.len(), 2);
        assert_eq!((next[0].number, next[0].heading.as_str()), (1, "物业使用"));
        let add = validate_amendment("add", Some(9), "附则", "由业委会解释。", "补充", &a).unwrap();
        assert_eq!(add.article, None);
        let next = apply(&a, &add).unwrap();
        assert_eq!((next[3].number, next[3].heading.as_str()), (4, "附则"));
        // Refusals name the field.
        let e = validate_amendment("replace", Some(7), "x", "y", "", &a).unwrap_err();
        let f: Vec<_> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(f, ["article", "reason"]);
        let e = validate_amendment("move", None, "", "", "r", &a).unwrap_err();
        assert_eq!(e[0].field, "kind");
        let e = validate_amendment("add", None, "", " ", "r", &a).unwrap_err();
        assert_eq!(e[0].message, "convention-error-empty-article");
        let one = &a[..1];
        let e = validate_amendment("delete", Some(1), "", "", "r", one).unwrap_err();
        assert_eq!(e[0].message, "convention-error-last-article");
        assert_eq!(apply(one, &del), Err(ApplyError::LastArticle));
    }

    #[test]
    fn decisions_need_a_pending_amendment_and_a_reason() {
        use AmendmentStatus::*;
        assert_eq!(
            decide(Pending, "accept", " 采纳 "),
            Ok((Accepted, "采纳".into()))
        );
        assert_eq!(decide(Pending, "reject", "与法律冲突").unwrap().0, Rejected);
        let e = decide(Pending, "reject", "  ").unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].message),
            ("reason", "ballot-error-required")
        );
        let e = decide(Accepted, "reject", "x").unwrap_err();
        assert_eq!(e[0].message, "convention-error-decided");
        assert_eq!(
            decide(Pending, "maybe", "x").unwrap_err()[0].field,
            "decision"
        );
    }

    #[test]
    fn each_convention_is_put_to_the_vote_its_law_names() {
        use crate::domain::ballot::{CountingRule, Kind as B};
        assert_eq!(
            ballot_shape(Kind::Management),
            (B::AssemblyMatter, CountingRule::Ordinary)
        );
        assert_eq!(
            ballot_shape(Kind::Residents),
            (B::ResidentsConvention, CountingRule::ConventionMajority)
        );
        assert_eq!(
            ballot_title("管理规约", 2),
            "关于通过《管理规约》（第2版）的表决"
        );
    }

    fn arb_article() -> impl Strategy<Value = (String, String)> {
        (
            "[甲乙丙丁a-z]{0,6}",
            prop::collection::vec("[甲乙丙丁，。a-z][甲乙丙丁，。a-z ]{0,8}[甲乙。a-z]", 0..4),
        )
            .prop_filter("an article is not empty", |(h, b)| {
                !h.is_empty() || !b.is_empty()
            })
            .prop_map(|(h, lines)| (h, lines.join("\n")))
    }

    proptest! {
        /// The canonical text parses back to the same articles, so its hash is well defined.
        #[test]
        fn canonical_text_round_trips(raw in prop::collection::vec(arb_article(), 1..12)) {
            let articles: Vec<Article> = raw
                .into_iter()
                .enumerate()
                .map(|(i, (heading, body))| Article { number: i as u32 + 1, heading, body })
                .collect();
            let text = canonical_text(&articles);
            prop_assert_eq!(parse_articles(&text).unwrap(), articles.clone());
            prop_assert_eq!(text_sha256(&parse_articles(&text).unwrap()), text_sha256(&articles));
        }

        /// Applying an amendment keeps the articles numbered 1..n.
        #[test]
        fn applied_versions_stay_numbered(raw in prop::collection::vec(arb_article(), 2..8), pick in 0usize..8, kind in 0u8..3) {
            let articles: Vec<Article> = raw
                .into_iter()
                .enumerate()
                .map(|(i, (heading, body))| Article { number: i as u32 + 1, heading, body })
                .collect();
            let n = (pick % articles.len()) as i64 + 1;
            let k = ["replace", "delete", "add"][kind as usize];
            let a = validate_amendment(k, Some(n), "新条", "新内容。", "理由", &articles).unwrap();
            let next = apply(&articles, &a).unwrap();
            for (i, x) in next.iter().enumerate() {
                prop_assert_eq!(x.number, i as u32 + 1);
            }
            let expected = match k { "delete" => articles.len() - 1, "add" => articles.len() + 1, _ => articles.len() };
            prop_assert_eq!(next.len(), expected);
        }
    }
}
