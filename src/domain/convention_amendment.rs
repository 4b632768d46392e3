//! Amendments to a convention's version: a member's proposal to replace, delete or add an
//! article, how an accepted one makes the next version's articles, and the organisers'
//! decision rules. Pure rules, re-exported by [`super::convention`] (whose tests cover them).

use serde::{Deserialize, Serialize};

use super::ballot::{invalid, Invalid};
use super::convention::{check_article, check_note, Article, MAX_ARTICLES};

/// What an amendment does to its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentKind {
    /// Replace an article's heading and body.
    Replace,
    /// Delete an article (the later ones move up).
    Delete,
    /// Append a new article at the end.
    Add,
}

impl AmendmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentKind::Replace => "replace",
            AmendmentKind::Delete => "delete",
            AmendmentKind::Add => "add",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "replace" => Some(AmendmentKind::Replace),
            "delete" => Some(AmendmentKind::Delete),
            "add" => Some(AmendmentKind::Add),
            _ => None,
        }
    }
}

/// A checked amendment proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    pub kind: AmendmentKind,
    /// The article it changes; `None` for a new article.
    pub article: Option<u32>,
    pub heading: String,
    pub body: String,
    pub reason: String,
}

/// Check a proposal against the version's articles: `replace` and `delete` name an existing
/// article, `add` names none; `replace` and `add` carry a sound article; a reason is required;
/// deleting the only article is refused.
pub fn validate_amendment(
    kind: &str,
    article: Option<i64>,
    heading: &str,
    body: &str,
    reason: &str,
    articles: &[Article],
) -> Result<Amendment, Vec<Invalid>> {
    let mut problems = Vec::new();
    let kind = AmendmentKind::parse(kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "convention-error-amendment-kind"));
    }
    let heading = heading.trim().to_owned();
    let body = body.replace("\r\n", "\n").trim().to_owned();
    let exists = |n: i64| articles.iter().any(|a| i64::from(a.number) == n);
    let article = match (kind, article) {
        (Some(AmendmentKind::Add), _) => None,
        (Some(_), Some(n)) if exists(n) => u32::try_from(n).ok(),
        (Some(_), _) => {
            problems.push(invalid("article", "convention-error-no-such-article"));
            None
        }
        (None, _) => None,
    };
    match kind {
        Some(AmendmentKind::Replace | AmendmentKind::Add) => {
            check_article(&mut problems, "body", &heading, &body)
        }
        Some(AmendmentKind::Delete) if articles.len() <= 1 => {
            problems.push(invalid("article", "convention-error-last-article"))
        }
        _ => {}
    }
    if kind == Some(AmendmentKind::Add) && articles.len() >= MAX_ARTICLES {
        problems.push(invalid("kind", "convention-error-too-many-articles"));
    }
    let reason = check_note(&mut problems, "reason", reason);
    match kind {
        Some(kind) if problems.is_empty() => Ok(Amendment {
            kind,
            article,
            heading: if kind == AmendmentKind::Delete {
                String::new()
            } else {
                heading
            },
            body: if kind == AmendmentKind::Delete {
                String::new()
            } else {
                body
            },
            reason,
        }),
        _ => Err(problems),
    }
}

/// Why an amendment cannot be applied to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("the article no longer exists")]
    NoSuchArticle,
    #[error("a convention keeps at least one article")]
    LastArticle,
    #[error("too many articles")]
    TooMany,
}

impl ApplyError {
    pub fn message_id(self) -> &'static str {
        match self {
            ApplyError::NoSuchArticle => "convention-error-no-such-article",
            ApplyError::LastArticle => "convention-error-last-article",
            ApplyError::TooMany => "convention-error-too-many-articles",
        }
    }
}

/// The next version's articles: the amendment applied, articles renumbered 1..n.
pub fn apply(articles: &[Article], a: &Amendment) -> Result<Vec<Article>, ApplyError> {
    let mut out = articles.to_vec();
    let index = || {
        a.article
            .and_then(|n| out.iter().position(|x| x.number == n))
            .ok_or(ApplyError::NoSuchArticle)
    };
    match a.kind {
        AmendmentKind::Replace => {
            let i = index()?;
            out[i].heading = a.heading.clone();
            out[i].body = a.body.clone();
        }
        AmendmentKind::Delete => {
            let i = index()?;
            if out.len() <= 1 {
                return Err(ApplyError::LastArticle);
            }
            out.remove(i);
        }
        AmendmentKind::Add => {
            if out.len() >= MAX_ARTICLES {
                return Err(ApplyError::TooMany);
            }
            out.push(Article {
                number: 0,
                heading: a.heading.clone(),
                body: a.body.clone(),
            });
        }
    }
    for (i, x) in out.iter_mut().enumerate() {
        x.number = i as u32 + 1;
    }
    Ok(out)
}

/// Where an amendment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentStatus {
    Pending,
    Accepted,
    Rejected,
}

impl AmendmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentStatus::Pending => "pending",
            AmendmentStatus::Accepted => "accepted",
            AmendmentStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(AmendmentStatus::Pending),
            "accepted" => Some(AmendmentStatus::Accepted),
            "rejected" => Some(AmendmentStatus::Rejected),
            _ => None,
        }
    }
}

/// An organiser's decision on an amendment: only a pending one is decided, and a reason is
/// required both to accept and to reject. Returns the new status and the reason, trimmed.
pub fn decide(
    from: AmendmentStatus,
    decision: &str,
    reason: &str,
) -> Result<(AmendmentStatus, String), Vec<Invalid>> {
    let mut problems = Vec::new();
    let to = match decision.trim() {
        "accept" => Some(AmendmentStatus::Accepted),
        "reject" => Some(AmendmentStatus::Rejected),
        _ => {
            problems.push(invalid("decision", "convention-error-decision"));
            None
        }
    };
    if from != AmendmentStatus::Pending {
        problems.push(invalid("decision", "convention-error-decided"));
    }
    let reason = check_note(&mut problems, "reason", reason);
    match to {
        Some(to) if problems.is_empty() => Ok((to, reason)),
        _ => Err(problems),
    }
}
