//! The readable diff between two versions of a convention: articles matched in order
//! (unchanged, changed, added, removed), and inside a changed article the inserted and
//! deleted text. Uses the `similar` crate's diff algorithms (Patience over articles, Myers
//! over characters: Chinese text has no spaces between words).

use serde::Serialize;
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

use super::convention::Article;

/// What happened to an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Unchanged,
    Changed,
    Added,
    Removed,
}

/// A run of text inside a changed article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// `equal`, `insert` or `delete`.
    pub tag: &'static str,
    pub text: String,
}

/// One entry of the diff, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleDiff {
    pub change: Change,
    /// The article's number in the older version (absent when added).
    pub old_number: Option<u32>,
    /// Its number in the newer version (absent when removed).
    pub new_number: Option<u32>,
    /// The heading to show: the newer one, or the removed article's.
    pub heading: String,
    /// For a changed article, the heading and body as `heading\nbody`, in runs; for an added
    /// or removed one, its whole text as one `insert` or `delete` run; empty when unchanged.
    pub segments: Vec<Segment>,
}

fn text_of(a: &Article) -> String {
    format!("{}\n{}", a.heading, a.body)
}

/// The character diff of two texts, consecutive characters with the same tag joined.
pub fn segments(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_chars(old, new);
    let mut out: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let tag = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        match out.last_mut() {
            Some(last) if last.tag == tag => last.text.push_str(change.value()),
            _ => out.push(Segment {
                tag,
                text: change.value().to_owned(),
            }),
        }
    }
    out
}

fn one(tag: &'static str, a: &Article) -> Vec<Segment> {
    vec![Segment {
        tag,
        text: text_of(a),
    }]
}

fn added(a: &Article) -> ArticleDiff {
    ArticleDiff {
        change: Change::Added,
        old_number: None,
        new_number: Some(a.number),
        heading: a.heading.clone(),
        segments: one("insert", a),
    }
}

fn removed(a: &Article) -> ArticleDiff {
    ArticleDiff {
        change: Change::Removed,
        old_number: Some(a.number),
        new_number: None,
        heading: a.heading.clone(),
        segments: one("delete", a),
    }
}

/// The diff from `old` to `new`. Articles whose heading and body are equal are matched first
/// (so deleting an article does not show every later one as changed); within a replaced run,
/// articles are paired in order as changed, and the rest are added or removed.
pub fn diff(old: &[Article], new: &[Article]) -> Vec<ArticleDiff> {
    let key = |a: &Article| (a.heading.clone(), a.body.clone());
    let old_keys: Vec<_> = old.iter().map(key).collect();
    let new_keys: Vec<_> = new.iter().map(key).collect();
    let ops = similar::capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys);
    let mut out = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    let (o, n) = (&old[old_index + i], &new[new_index + i]);
                    out.push(ArticleDiff {
                        change: Change::Unchanged,
                        old_number: Some(o.number),
                        new_number: Some(n.number),
                        heading: n.heading.clone(),
                        segments: Vec::new(),
                    });
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(old[old_index..old_index + old_len].iter().map(removed)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(new[new_index..new_index + new_len].iter().map(added)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let paired = old_len.min(new_len);
                for i in 0..paired {
                    let (o, n) = (&old[old_index + i], &new[new_index + i]);
                    out.push(ArticleDiff {
                        change: Change::Changed,
                        old_number: Some(o.number),
                        new_number: Some(n.number),
                        heading: n.heading.clone(),
                        segments: segments(&text_of(o), &text_of(n)),
                    });
                }
                out.extend(
                    old[old_index + paired..old_index + old_len]
                        .iter()
                        .map(removed),
                );
                out.extend(
                    new[new_index + paired..new_index + new_len]
                        .iter()
                        .map(added),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::convention::{apply, parse_articles, validate_amendment};
    use proptest::prelude::*;

    fn doc() -> Vec<Article> {
        parse_articles("第一条 总则\n制定本规约。\n第二条 使用\n不得占用消防通道。\n第三条 附则\n自通过之日起生效。")
            .unwrap()
    }

    fn rebuild(segs: &[Segment], skip: &str) -> String {
        segs.iter()
            .filter(|s| s.tag != skip)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn a_changed_article_shows_its_insertions_and_deletions() {
        let a = doc();
        let am = validate_amendment(
            "replace",
            Some(2),
            "使用",
            "不得占用消防通道和楼道。",
            "补充楼道",
            &a,
        )
        .unwrap();
        let b = apply(&a, &am).unwrap();
        let d = diff(&a, &b);
        let changes: Vec<_> = d.iter().map(|x| x.change).collect();
        assert_eq!(
            changes,
            [Change::Unchanged, Change::Changed, Change::Unchanged]
        );
        let segs = &d[1].segments;
        assert!(
            segs.iter().any(|s| s.tag == "insert" && s.text == "和楼道"),
            "{segs:?}"
        );
        assert_eq!(rebuild(segs, "insert"), "使用\n不得占用消防通道。");
        assert_eq!(rebuild(segs, "delete"), "使用\n不得占用消防通道和楼道。");
    }

    #[test]
    fn deleting_an_article_does_not_change_the_later_ones() {
        let a = doc();
        let am = validate_amendment("delete", Some(1), "", "", "多余", &a).unwrap();
        let b = apply(&a, &am).unwrap();
        let d = diff(&a, &b);
        assert_eq!(d[0].change, Change::Removed);
        assert_eq!((d[0].old_number, d[0].new_number), (Some(1), None));
        assert_eq!(d[1].change, Change::Unchanged);
        assert_eq!((d[1].old_number, d[1].new_number), (Some(2), Some(1)));
        let add = validate_amendment("add", None, "解释", "由业委会解释。", "补充", &a).unwrap();
        let c = apply(&a, &add).unwrap();
        let d = diff(&a, &c);
        assert_eq!(d.last().map(|x| x.change), Some(Change::Added));
        assert_eq!(d.last().and_then(|x| x.new_number), Some(4));
    }

    proptest! {
        /// The runs of a character diff rebuild both texts.
        #[test]
        fn segments_rebuild_both_sides(old in "[甲乙丙丁a-c\n]{0,30}", new in "[甲乙丙丁a-c\n]{0,30}") {
            let s = segments(&old, &new);
            prop_assert_eq!(rebuild(&s, "insert"), old.clone());
            prop_assert_eq!(rebuild(&s, "delete"), new.clone());
            if old == new {
                prop_assert!(s.iter().all(|x| x.tag == "equal"));
            }
        }

        /// A version against itself is all unchanged.
        #[test]
        fn a_version_against_itself_is_unchanged(n in 1usize..20) {
            let text: String = (1..=n).map(|i| format!("第{i}条 标题{i}\n内容{}\n", i % 3)).collect();
            let a = parse_articles(&text).unwrap();
            let d = diff(&a, &a);
            prop_assert_eq!(d.len(), n);
            prop_assert!(d.iter().all(|x| x.change == Change::Unchanged));
        }
    }
}
