//! Convention operations shared by the pages and the API: drafting, comments, amendments and
//! the organisers' decisions, putting a version to a vote, and what the vote's certified
//! result does to the version. Each runs on a database connection (inside `web::block`).

use super::{count, Ledger};
use crate::db::ballots::{self as db_ballots, BallotRow};
use crate::db::communities::Community;
use crate::db::conventions::{self as db, AmendmentRow, CommentRow, ConventionRow, VersionRow};
use crate::db::{audit, roster, write_tx, DbConn};
use crate::domain::ballot::{self, DefinitionInput, ManifestDocument, QuestionInput};
use crate::domain::convention::{self as domain, AmendmentStatus, VersionStatus};
use crate::domain::tally::Outcome;
use crate::domain::tally_record::TallyRecord;
use crate::error::{AppError, AppResult, Msg};

fn conflict(id: &'static str) -> AppError {
    AppError::Conflict(Msg::new(id))
}

/// A convention of the community, or 404.
pub fn convention(conn: &mut DbConn, c: &Community, id: i64) -> AppResult<ConventionRow> {
    db::get(conn, c.id, id)?.ok_or(AppError::NotFound)
}

/// A version of a convention of the community, or 404.
pub fn version(
    conn: &mut DbConn,
    c: &Community,
    id: i64,
    v: i32,
) -> AppResult<(ConventionRow, VersionRow)> {
    let conv = convention(conn, c, id)?;
    let ver = db::version(conn, conv.id, v)?.ok_or(AppError::NotFound)?;
    Ok((conv, ver))
}

/// Create a convention from the organiser's text: version 1, a draft.
pub fn create(
    conn: &mut DbConn,
    c: &Community,
    actor: i64,
    now: i64,
    kind: &str,
    title: &str,
    text: &str,
) -> AppResult<(ConventionRow, VersionRow)> {
    let header = domain::validate_header(kind, title);
    let articles = domain::parse_articles(text);
    let ((kind, title), articles) = match (header, articles) {
        (Ok(h), Ok(a)) => (h, a),
        (h, a) => {
            let mut p = h.err().unwrap_or_default();
            p.extend(a.err().unwrap_or_default());
            return Err(AppError::from(p));
        }
    };
    let hash = domain::text_sha256(&articles);
    write_tx(conn, |conn| {
        let (conv, ver) = db::create(
            conn,
            c.id,
            kind.as_str(),
            &title,
            &articles,
            &hash,
            actor,
            now,
        )?;
        index(conn, c.id, &title, &ver, &articles)?;
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "convention.create",
            &serde_json::json!({}),
            &serde_json::json!({ "convention": conv.id, "title": title, "text_sha256": hash }),
        )?;
        Ok((conv, ver))
    })
}

/// Put a version's text in the search index (doc kind `convention`, id the version's id).
fn index(
    conn: &mut DbConn,
    community_id: i64,
    title: &str,
    ver: &VersionRow,
    articles: &[domain::Article],
) -> AppResult<()> {
    let text = format!("{title}\n{}", domain::canonical_text(articles));
    Ok(crate::db::search::index(
        conn,
        community_id,
        "convention",
        ver.id,
        &text,
    )?)
}

/// Replace a draft version's articles (only while it is a draft without a ballot).
pub fn edit(
    conn: &mut DbConn,
    c: &Community,
    actor: i64,
    id: i64,
    v: i32,
    text: &str,
) -> AppResult<VersionRow> {
    let articles = domain::parse_articles(text).map_err(AppError::from)?;
    let hash = domain::text_sha256(&articles);
    write_tx(conn, |conn| {
        let (_, ver) = version(conn, c, id, v)?;
        if !db::update_draft(conn, ver.id, &articles, &hash)? {
            return Err(conflict("convention-error-frozen"));
        }
        let conv = convention(conn, c, id)?;
        index(conn, c.id, &conv.title, &ver, &articles)?;
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "convention.edit",
            &serde_json::json!({ "convention": id, "version": v, "text_sha256": ver.text_sha256 }),
            &serde_json::json!({ "convention": id, "version": v, "text_sha256": hash }),
        )?;
        Ok(version(conn, c, id, v)?.1)
    })
}

fn open_for_discussion(ver: &VersionRow) -> AppResult<()> {
    match ver.status() {
        VersionStatus::Superseded | VersionStatus::Rejected => {
            Err(conflict("convention-error-closed"))
        }
        _ => Ok(()),
    }
}

/// A member's comment on one article.
#[allow(clippy::too_many_arguments)]
pub fn comment(
    conn: &mut DbConn,
    c: &Community,
    actor: i64,
    now: i64,
    id: i64,
    v: i32,
    article: i64,
    body: &str,
) -> AppResult<CommentRow> {
    let (_, ver) = version(conn, c, id, v)?;
    let mut problems = Vec::new();
    let number = i32::try_from(article)
        .ok()
        .filter(|n| ver.articles().iter().any(|a| a.number as i32 == *n));
    if number.is_none() {
        problems.push(ballot::Invalid {
            field: "article".into(),
            message: "convention-error-no-such-article",
        });
    }
    let body = domain::check_note(&mut problems, "body", body);
    let Some(number) = number.filter(|_| problems.is_empty()) else {
        return Err(AppError::from(problems));
    };
    open_for_discussion(&ver)?;
    write_tx(conn, |conn| {
        Ok(db::insert_comment(conn, ver.id, number, actor, &body, now)?)
    })
}

/// What a member proposes.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AmendmentInput {
    /// `replace`, `delete` or `add`.
    pub kind: String,
    /// The article (absent for `add`).
    #[serde(default)]
    pub article: Option<i64>,
    #[serde(default)]
    pub heading: String,
    #[serde(default)]
    pub body: String,
    pub reason: String,
}

/// The newest version of a convention.
fn latest(conn: &mut DbConn, convention_id: i64) -> AppResult<VersionRow> {
    db::versions(conn, convention_id)?
        .pop()
        .ok_or(AppError::NotFound)
}

/// A member's amendment proposal, to the newest version only.
pub fn propose(
    conn: &mut DbConn,
    c: &Community,
    actor: i64,
    now: i64,
    id: i64,
    v: i32,
    input: &AmendmentInput,
) -> AppResult<AmendmentRow> {
    let (conv, ver) = version(conn, c, id, v)?;
    let a = domain::validate_amendment(
        &input.kind,
        input.article,
        &input.heading,
        &input.body,
        &input.reason,
        &ver.articles(),
    )
    .map_err(AppError::from)?;
    if latest(conn, conv.id)?.id != ver.id {
        return Err(conflict("convention-error-not-latest"));
    }
    write_tx(conn, |conn| {
        Ok(db::insert_amendment(conn, ver.id, &a, actor, now)?)
    })
}

/// An organiser accepts (a new draft version with the amendment applied) or rejects an
/// amendment, with a reason either way.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    conn: &mut DbConn,
    c: &Community,
    actor: i64,
    now: i64,
    id: i64,
    amendment_id: i64,
    decision: &str,
    reason: &str,
) -> AppResult<AmendmentRow> {
    write_tx(conn, |conn| {
        let conv = convention(conn, c, id)?;
        let row = db::amendment(conn, amendment_id)?.ok_or(AppError::NotFound)?;
        let versions = db::versions(conn, conv.id)?;
        let Some(ver) = versions.iter().find(|x| x.id == row.version_id) else {
            return Err(AppError::NotFound);
        };
        let (to, reason) = match domain::decide(row.status(), decision, reason) {
            Ok(d) => d,
            Err(p) if p.iter().any(|x| x.message == "convention-error-decided") => {
                return Err(conflict("convention-error-decided"))
            }
            Err(p) => return Err(AppError::from(p)),
        };
        let mut result = None;
        if to == AmendmentStatus::Accepted {
            let newest = versions.last().ok_or(AppError::NotFound)?;
            if newest.id != ver.id {
                return Err(conflict("convention-error-not-latest"));
            }
            let a = row.amendment().ok_or(AppError::NotFound)?;
            let articles = domain::apply(&ver.articles(), &a)
                .map_err(|e| AppError::Conflict(Msg::new(e.message_id())))?;
            let hash = domain::text_sha256(&articles);
            let next =
                db::insert_version(conn, conv.id, ver.version + 1, &articles, &hash, actor, now)?;
            index(conn, conv.community_id, &conv.title, &next, &articles)?;
            // A draft is replaced by the next one; a version being voted on, adopted or
            // rejected stays as it is.
            db::set_status(
                conn,
                ver.id,
                VersionStatus::Draft,
                VersionStatus::Superseded,
            )?;
            result = Some(next.id);
        }
        if !db::decide(conn, row.id, to, &reason, actor, now, result)? {
            return Err(conflict("convention-error-decided"));
        }
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            &format!("convention.amendment.{}", to.as_str()),
            &serde_json::json!({ "convention": id, "amendment": row.id, "status": row.status }),
            &serde_json::json!({ "convention": id, "amendment": row.id, "status": to.as_str(),
                "reason": reason, "result_version": result }),
        )?;
        db::amendment(conn, row.id)?.ok_or(AppError::NotFound)
    })
}

/// The definition of the ballot that adopts a version (docs: the kind and counting rule the
/// law gives the convention, one yes/no question, the window after the notice period).
pub fn ballot_definition(
    c: &Community,
    conv: &ConventionRow,
    ver: &VersionRow,
    now: i64,
) -> DefinitionInput {
    let (kind, rule) = domain::ballot_shape(conv.kind());
    let opens_at = now + i64::from(c.notice_days + 1) * 86_400;
    DefinitionInput {
        title: domain::ballot_title(&conv.title, ver.version),
        description: format!(
            "本表决决定是否通过《{title}》第{v}版（共{n}条）。\n\n\
             该版本规范文本的 SHA-256：`{hash}`\n\n\
             全文、修改记录与版本对照：/c/{slug}/conventions/{id}/versions/{v}",
            title = conv.title,
            v = ver.version,
            n = ver.articles().len(),
            hash = ver.text_sha256,
            slug = c.slug,
            id = conv.id,
        ),
        kind: kind.as_str().into(),
        privacy: ballot::Privacy::Open.as_str().into(),
        counting_rule: rule.as_str().into(),
        questions: vec![QuestionInput {
            kind: ballot::QuestionKind::YesNo.as_str().into(),
            text: format!("是否同意通过《{}》（第{}版）？", conv.title, ver.version),
            options: Vec::new(),
            max_choices: None,
        }],
        opens_at,
        closes_at: opens_at + 7 * 86_400,
        ..Default::default()
    }
}

/// Put a draft version to a vote: a draft ballot, linked to the version (now `balloting`).
pub fn put_to_vote(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    actor: i64,
    id: i64,
    v: i32,
) -> AppResult<(VersionRow, BallotRow)> {
    let now = ledger.clock.now();
    let (conv, ver) = version(conn, c, id, v)?;
    let buildings: Vec<i64> = roster::buildings(conn, c.id)?
        .iter()
        .map(|b| b.id)
        .collect();
    let def = ballot::validate_definition(&ballot_definition(c, &conv, &ver, now), &buildings)
        .map_err(AppError::from)?;
    write_tx(conn, |conn| {
        let b = db_ballots::insert_draft(
            conn,
            c.id,
            &def,
            c.notice_days,
            &c.notice_reason,
            actor,
            now,
        )?;
        if !db::link_ballot(conn, ver.id, b.id)? {
            return Err(conflict("convention-error-not-draft"));
        }
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "ballot.create",
            &serde_json::json!({}),
            &serde_json::json!({ "ballot": b.id, "title": b.title }),
        )?;
        audit::append(
            conn,
            Some(c.id),
            Some(actor),
            "convention.vote",
            &serde_json::json!({ "convention": id, "version": v, "status": ver.status }),
            &serde_json::json!({ "convention": id, "version": v, "ballot": b.id,
                "text_sha256": ver.text_sha256 }),
        )?;
        Ok((version(conn, c, id, v)?.1, b))
    })
}

/// The document a ballot adopts, for its manifest.
pub fn document_of(conn: &mut DbConn, ballot_id: i64) -> AppResult<Option<ManifestDocument>> {
    Ok(
        db::by_ballot(conn, ballot_id)?.map(|(conv, ver)| ManifestDocument {
            kind: "convention".into(),
            convention: conv.id,
            version: i64::from(ver.version),
            title: conv.title,
            text_sha256: ver.text_sha256,
        }),
    )
}

/// Whether a final tally record says question q1 was adopted.
pub fn q1_adopted(record: &TallyRecord) -> bool {
    record
        .questions
        .iter()
        .find(|q| q.question == "q1")
        .is_some_and(|q| q.outcome == Outcome::Decided { adopted: true })
}

/// A certified ballot settles the version it decides: adopted or rejected.
pub fn on_certified(conn: &mut DbConn, ledger: &Ledger, b: &BallotRow) -> AppResult<()> {
    if db::by_ballot(conn, b.id)?.is_none() {
        return Ok(());
    }
    let row = crate::db::tally::record(conn, b.id, count::FINAL)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ballot {}: no final record", b.id)))?;
    let record: TallyRecord = serde_json::from_str(&row.record).map_err(AppError::internal)?;
    db::settle(conn, b.id, q1_adopted(&record), ledger.clock.now())?;
    Ok(())
}
