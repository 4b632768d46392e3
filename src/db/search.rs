//! The search index: each document's terms (see [`crate::domain::search`]).

use std::collections::BTreeSet;

use diesel::prelude::*;

use super::schema::search_terms;
use super::{DbConn, DbResult};
use crate::domain::search::{document_terms, QueryTerm};

#[derive(Insertable)]
#[diesel(table_name = search_terms)]
struct Term<'a> {
    community_id: i64,
    term: &'a str,
    doc_kind: &'a str,
    doc_id: i64,
}

/// (Re)index a document: its old terms go, the terms of `text` come.
pub fn index(
    conn: &mut DbConn,
    community_id: i64,
    kind: &str,
    id: i64,
    text: &str,
) -> DbResult<()> {
    remove(conn, kind, id)?;
    let terms = document_terms(text);
    let rows: Vec<Term<'_>> = terms
        .iter()
        .map(|t| Term {
            community_id,
            term: t,
            doc_kind: kind,
            doc_id: id,
        })
        .collect();
    // diesel's MultiConnection cannot batch: insert on the concrete connection.
    for chunk in rows.chunks(500) {
        match conn {
            DbConn::Sqlite(c) => diesel::insert_into(search_terms::table)
                .values(chunk)
                .execute(c)?,
            DbConn::Postgres(c) => diesel::insert_into(search_terms::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Drop a document from the index.
pub fn remove(conn: &mut DbConn, kind: &str, id: i64) -> DbResult<()> {
    diesel::delete(
        search_terms::table
            .filter(search_terms::doc_kind.eq(kind))
            .filter(search_terms::doc_id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The documents of a community holding every term, newest first, at most `limit`.
pub fn candidates(
    conn: &mut DbConn,
    community_id: i64,
    terms: &BTreeSet<QueryTerm>,
    limit: usize,
) -> DbResult<Vec<(String, i64)>> {
    let mut acc: Option<BTreeSet<(String, i64)>> = None;
    for t in terms {
        let q = search_terms::table
            .filter(search_terms::community_id.eq(community_id))
            .select((search_terms::doc_kind, search_terms::doc_id))
            .distinct();
        let found: Vec<(String, i64)> = match t {
            QueryTerm::Exact(s) => q.filter(search_terms::term.eq(s)).load(conn)?,
            QueryTerm::Prefix(p) => q
                .filter(search_terms::term.like(format!("{p}%")))
                .load(conn)?,
        };
        let found: BTreeSet<(String, i64)> = found.into_iter().collect();
        acc = Some(match acc {
            None => found,
            Some(a) => a.intersection(&found).cloned().collect(),
        });
        if acc.as_ref().is_some_and(BTreeSet::is_empty) {
            break;
        }
    }
    let mut out: Vec<(String, i64)> = acc.unwrap_or_default().into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(limit);
    Ok(out)
}
