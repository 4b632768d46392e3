//! Search over the forum: proposals and comments (and, where indexed, conventions) that a
//! member may see, for Chinese and mixed text on both databases.

use serde::Serialize;

use super::Who;
use crate::db::communities::Community;
use crate::db::{comments as db_comments, proposals as db_proposals, search as db_search, DbConn};
use crate::domain::comment::Visibility;
use crate::domain::proposal::Status;
use crate::domain::roles::Action as Role;
use crate::domain::search::{query_terms, snippet, text_matches, MAX_QUERY_CHARS};
use crate::error::{AppError, AppResult, FieldError, Msg};

/// Candidates checked per query; results shown.
const CANDIDATES: usize = 500;
pub const MAX_RESULTS: usize = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    /// proposal, comment or convention (a convention's version).
    pub kind: String,
    pub id: i64,
    /// The proposal (0 for a convention).
    pub proposal_id: i64,
    /// The proposal's or the convention's title.
    pub title: String,
    pub snippet: String,
    /// Where to read it.
    pub url: String,
}

/// Index a proposal's text.
pub fn index_proposal(
    conn: &mut DbConn,
    c: i64,
    id: i64,
    title: &str,
    body: &str,
) -> AppResult<()> {
    Ok(db_search::index(
        conn,
        c,
        "proposal",
        id,
        &format!("{title}\n{body}"),
    )?)
}

/// Index a comment's text.
pub fn index_comment(conn: &mut DbConn, c: i64, id: i64, body: &str) -> AppResult<()> {
    Ok(db_search::index(conn, c, "comment", id, body)?)
}

/// Search the community for `query`.
pub fn search(conn: &mut DbConn, c: &Community, who: &Who, query: &str) -> AppResult<Vec<Hit>> {
    who.grants
        .allows(Role::Participate, c.id)
        .then_some(())
        .ok_or(AppError::Forbidden)?;
    let query = query.trim();
    let terms = query_terms(query);
    if terms.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::Validation(vec![FieldError::new(
            "q",
            Msg::new("search-error-query"),
        )]));
    }
    let mut hits = Vec::new();
    for (kind, id) in db_search::candidates(conn, c.id, &terms, CANDIDATES)? {
        if hits.len() >= MAX_RESULTS {
            break;
        }
        match kind.as_str() {
            "proposal" => {
                let Some(p) = db_proposals::get(conn, c.id, id)? else {
                    continue;
                };
                if p.status() == Status::Draft && p.author_id != who.id {
                    continue;
                }
                let text = format!("{}\n{}", p.title, p.body);
                if text_matches(&text, query) {
                    hits.push(Hit {
                        kind,
                        id,
                        proposal_id: p.id,
                        title: p.title.clone(),
                        snippet: snippet(&p.body, query, 80),
                        url: format!("/c/{}/proposals/{}", c.slug, p.id),
                    });
                }
            }
            "comment" => {
                let Some(cm) = db_comments::by_id(conn, id)? else {
                    continue;
                };
                if cm.visibility() != Visibility::Visible || !text_matches(&cm.body, query) {
                    continue;
                }
                let Some(p) = db_proposals::get(conn, c.id, cm.proposal_id)? else {
                    continue;
                };
                if p.status() == Status::Draft {
                    continue;
                }
                hits.push(Hit {
                    kind,
                    id,
                    proposal_id: p.id,
                    title: p.title.clone(),
                    snippet: snippet(&cm.body, query, 80),
                    url: format!(
                        "/c/{}/proposals/{}/comments/{id}#comment-{id}",
                        c.slug, p.id
                    ),
                });
            }
            "convention" => {
                let Some((conv, v)) = crate::db::conventions::version_by_id(conn, c.id, id)? else {
                    continue;
                };
                let text = crate::domain::convention::canonical_text(&v.articles());
                if !text_matches(&format!("{}\n{text}", conv.title), query) {
                    continue;
                }
                hits.push(Hit {
                    kind,
                    id,
                    proposal_id: 0,
                    title: format!("{}（第 {} 版）", conv.title, v.version),
                    snippet: snippet(&text, query, 80),
                    url: format!(
                        "/c/{}/conventions/{}/versions/{}",
                        c.slug, conv.id, v.version
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(hits)
}
