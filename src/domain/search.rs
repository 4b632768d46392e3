//! Search terms for Chinese and mixed text, the same on both databases: a run of Han (CJK)
//! characters gives its overlapping bigrams and its last character on its own; a run of
//! letters or digits gives one lower-case word. Full-width letters and digits count as their
//! ASCII forms. A query matches a document holding all of the query's terms, then the
//! document's text is checked for the query itself, so bigrams never give a false match.

use std::collections::BTreeSet;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 50;

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '\u{3040}'..='\u{30FF}' | '\u{AC00}'..='\u{D7AF}')
}

/// Full-width ASCII forms to ASCII, and lower case.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A run of the text: Han characters or a word.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    Han(Vec<char>),
    Word(String),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut han: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in normalise(text).chars() {
        if is_han(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            han.push(c);
        } else if c.is_alphanumeric() {
            if !han.is_empty() {
                out.push(Run::Han(std::mem::take(&mut han)));
            }
            word.push(c);
        } else {
            if !han.is_empty() {
                out.push(Run::Han(std::mem::take(&mut han)));
            }
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !han.is_empty() {
        out.push(Run::Han(han));
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    out
}

/// The terms a document is indexed under.
pub fn document_terms(text: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for run in runs(text) {
        match run {
            Run::Han(cs) => {
                for w in cs.windows(2) {
                    terms.insert(w.iter().collect());
                }
                if let Some(last) = cs.last() {
                    terms.insert(last.to_string());
                }
            }
            Run::Word(w) => {
                terms.insert(w.chars().take(32).collect());
            }
        }
    }
    terms
}

/// One term of a query: matched exactly, or (a single Han character) as a prefix of the
/// document's terms, which finds it at any place in a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum QueryTerm {
    Exact(String),
    Prefix(String),
}

/// The terms of a query, or none when it has nothing to search for.
pub fn query_terms(query: &str) -> BTreeSet<QueryTerm> {
    let mut terms = BTreeSet::new();
    for run in runs(query) {
        match run {
            Run::Han(cs) if cs.len() == 1 => {
                terms.insert(QueryTerm::Prefix(cs[0].to_string()));
            }
            Run::Han(cs) => {
                for w in cs.windows(2) {
                    terms.insert(QueryTerm::Exact(w.iter().collect()));
                }
            }
            Run::Word(w) => {
                terms.insert(QueryTerm::Exact(w.chars().take(32).collect()));
            }
        }
    }
    terms
}

/// Does the document's text really contain the query (each of its space-separated parts)?
pub fn text_matches(text: &str, query: &str) -> bool {
    let text = normalise(text);
    normalise(query)
        .split_whitespace()
        .all(|part| text.contains(part))
}

/// A short excerpt of `text` around the first part of `query`, at most `width` characters.
pub fn snippet(text: &str, query: &str, width: usize) -> String {
    let norm: Vec<char> = normalise(text).chars().collect();
    let orig: Vec<char> = text.chars().collect();
    let first = normalise(query)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned();
    let q: Vec<char> = first.chars().collect();
    let at = if q.is_empty() || norm.len() != orig.len() {
        0
    } else {
        norm.windows(q.len())
            .position(|w| w == q.as_slice())
            .unwrap_or(0)
    };
    let start = at.saturating_sub(width / 3);
    let end = (start + width).min(orig.len());
    let mut s: String = orig[start..end].iter().collect();
    s = s.replace('\n', " ");
    if start > 0 {
        s.insert(0, '…');
    }
    if end < orig.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn han_runs_give_bigrams_and_their_last_character() {
        let t = document_terms("地下车库，Parking Ｂ2");
        let want: BTreeSet<String> = ["地下", "下车", "车库", "库", "parking", "b2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(t, want);
    }

    #[test]
    fn queries_use_bigrams_or_a_prefix_for_one_character() {
        let q = query_terms("车库 狗");
        assert!(q.contains(&QueryTerm::Exact("车库".into())));
        assert!(q.contains(&QueryTerm::Prefix("狗".into())));
        assert!(query_terms("，。 ").is_empty());
        assert!(text_matches("小区里遛狗要牵绳", "遛狗 牵绳"));
        assert!(!text_matches("遛狗要牵绳", "牵狗"));
        assert_eq!(snippet("一二三四五六七八九十", "六", 4), "…五六七八…");
    }

    proptest! {
        /// Every substring of a Han text is found: each of the query's terms is among the
        /// document's terms (exactly, or as a prefix of one of them).
        #[test]
        fn every_substring_is_found(s in "[一-龥]{1,30}", a in 0usize..30, n in 1usize..10) {
            let chars: Vec<char> = s.chars().collect();
            prop_assume!(a < chars.len());
            let end = (a + n).min(chars.len());
            let q: String = chars[a..end].iter().collect();
            let doc = document_terms(&s);
            for t in query_terms(&q) {
                match t {
                    QueryTerm::Exact(t) => prop_assert!(doc.contains(&t), "{t}"),
                    QueryTerm::Prefix(p) => prop_assert!(doc.iter().any(|d| d.starts_with(&p)), "{p}"),
                }
            }
            prop_assert!(text_matches(&s, &q));
        }
    }
}
