//! Notifications: who hears of what (the hooks in the forum and the ballot lifecycle), the
//! immediate emails and the daily digest.
//!
//! The hooks write inbox rows inside the action's transaction, in a savepoint of their own: a
//! failure is logged and rolled back to the savepoint, never failing the action. Emails are
//! never sent inside an action: the server's background task (`run_outbox`, every few seconds)
//! sends the notifications of users whose channel is `email`, and `send_digests` the digests.

pub mod background;
pub mod mail;
pub mod settings;

use diesel::connection::TransactionManager;
use diesel::Connection;

use crate::db::comments::CommentRow;
use crate::db::communities::Community;
use crate::db::notifications as db;
use crate::db::proposals::ProposalRow;
use crate::db::{DbConn, DbResult};
use crate::domain::notification::{self as rules, Kind};
pub use mail::Mailer;

/// Add a notification for each user, honouring each one's channel (off: nothing; inbox and
/// email: a row, which the outbox emails for `email`). Returns how many rows were written.
pub fn notify(
    conn: &mut DbConn,
    user_ids: &[i64],
    community_id: i64,
    kind: Kind,
    title: &str,
    url: &str,
    now: i64,
) -> DbResult<usize> {
    if user_ids.is_empty() || !rules::is_local_path(url) {
        return Ok(0);
    }
    let channels = db::channels(conn, user_ids, kind)?;
    let to: Vec<i64> = user_ids
        .iter()
        .copied()
        .filter(|u| channels.get(u).copied().unwrap_or_default().stores())
        .collect();
    let title: String = title.chars().take(200).collect();
    db::insert(conn, &to, community_id, kind, &title, url, now)?;
    Ok(to.len())
}

/// Run a hook in a savepoint of the action's transaction (or, outside one, a write
/// transaction of its own); log and swallow its failure.
fn quietly(conn: &mut DbConn, what: &str, f: impl FnOnce(&mut DbConn) -> DbResult<usize>) {
    let in_tx = matches!(
        <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth(),
        Ok(Some(_))
    );
    let result = if in_tx {
        conn.transaction(|conn| f(conn).map_err(as_diesel))
    } else {
        crate::db::write_tx(conn, |conn| f(conn).map_err(as_diesel))
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, hook = what, "notification failed; the action went on");
    }
}

fn as_diesel(e: crate::db::DbError) -> diesel::result::Error {
    match e {
        crate::db::DbError::Query(q) => q,
        other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
    }
}

fn proposal_url(c: &Community, proposal_id: i64) -> String {
    format!("/c/{}/proposals/{proposal_id}", c.slug)
}

/// Someone replied to a comment: tell the parent's author, unless they replied to themselves.
pub fn on_reply(
    conn: &mut DbConn,
    c: &Community,
    parent: Option<&CommentRow>,
    reply: &CommentRow,
    now: i64,
) {
    let Some(parent) = parent else { return };
    if parent.author_id == reply.author_id {
        return;
    }
    quietly(conn, "reply", |conn| {
        let title = crate::db::proposals::get(conn, c.id, reply.proposal_id)?
            .map(|p| p.title)
            .unwrap_or_default();
        let url = format!(
            "{}#comment-{}",
            proposal_url(c, reply.proposal_id),
            reply.id
        );
        notify(
            conn,
            &[parent.author_id],
            c.id,
            Kind::Reply,
            &title,
            &url,
            now,
        )
    });
}

/// A proposal's co-signers reached the assembly level: tell every organiser (once: the caller
/// calls this only for the co-signature that reached it).
pub fn on_level_reached(conn: &mut DbConn, c: &Community, p: &ProposalRow, now: i64) {
    quietly(conn, "cosign_level", |conn| {
        let to = db::organisers(conn, c.id)?;
        notify(
            conn,
            &to,
            c.id,
            Kind::CosignLevel,
            &p.title,
            &proposal_url(c, p.id),
            now,
        )
    });
}

/// A proposal changed status: tell its author, unless they took the step.
pub fn on_proposal_status(conn: &mut DbConn, c: &Community, p: &ProposalRow, by: i64, now: i64) {
    if p.author_id == by {
        return;
    }
    quietly(conn, "proposal_status", |conn| {
        let to = [p.author_id];
        notify(
            conn,
            &to,
            c.id,
            Kind::ProposalStatus,
            &p.title,
            &proposal_url(c, p.id),
            now,
        )
    });
}

/// A building report was acknowledged, assigned or closed by someone else: tell its reporter.
pub fn on_report_status(
    conn: &mut DbConn,
    c: &Community,
    report: (i64, &str),
    reporter: i64,
    by: i64,
    now: i64,
) {
    if reporter == by {
        return;
    }
    quietly(conn, "report_status", |conn| {
        notify(
            conn,
            &[reporter],
            c.id,
            Kind::ReportStatus,
            report.1,
            &format!("/c/{}/building-reports/{}", c.slug, report.0),
            now,
        )
    });
}

/// A ballot opened or closed: tell the users whose owners are among its voters.
pub fn on_ballot(conn: &mut DbConn, c: &Community, ballot_id: i64, kind: Kind, now: i64) {
    quietly(conn, kind.as_str(), |conn| {
        let title = crate::db::ballots::get(conn, c.id, ballot_id)?
            .map(|b| b.title)
            .unwrap_or_default();
        let to = db::ballot_users(conn, c.id, ballot_id)?;
        let url = format!("/c/{}/ballots/{ballot_id}", c.slug);
        notify(conn, &to, c.id, kind, &title, &url, now)
    });
}

/// The subject and body of one notification's email: Chinese first, English below.
pub fn message_for(n: &db::NotificationRow, mailer: &Mailer) -> (String, String) {
    let (zh, en) = kind_names(&n.kind);
    let subject = format!("【议事亭】{zh}：{}", n.title);
    let body = format!(
        "{zh}：{}\n{}\n\n——\n{en}: {}\n{}\n",
        n.title,
        mailer.link(&n.url),
        n.title,
        mailer.link(&n.url)
    );
    (subject, body)
}

fn kind_names(kind: &str) -> (&'static str, &'static str) {
    match Kind::parse(kind) {
        Some(Kind::Reply) => ("有人回复了你的评论", "Someone replied to your comment"),
        Some(Kind::CosignLevel) => (
            "议题附议达到临时会议门槛",
            "A proposal reached the co-sign level",
        ),
        Some(Kind::ProposalStatus) => ("你的议题状态有变化", "Your proposal changed status"),
        Some(Kind::BallotOpen) => ("表决已开始", "A ballot opened"),
        Some(Kind::BallotClose) => ("表决已结束", "A ballot closed"),
        Some(Kind::ReportStatus) => ("你上报的楼栋问题有进展", "Your building report moved on"),
        None => ("通知", "Notification"),
    }
}

/// How far back the outbox looks: older notifications wait for the digest.
pub const OUTBOX_WINDOW_SECS: i64 = 3600;

/// Email the recent notifications of users whose channel for the kind is `email` and who
/// gave an address. Each is claimed before sending, so two senders never both send it; a
/// failed send is unclaimed (the digest still carries it). Returns how many were sent.
pub fn run_outbox(conn: &mut DbConn, mailer: &Mailer, now: i64) -> DbResult<usize> {
    let pending = db::unemailed_since(conn, now - OUTBOX_WINDOW_SECS)?;
    let mut sent = 0;
    for n in pending {
        let Some(kind) = Kind::parse(&n.kind) else {
            continue;
        };
        let channel = db::channels(conn, &[n.user_id], kind)?
            .get(&n.user_id)
            .copied()
            .unwrap_or_default();
        let addresses = db::addresses(conn, &[n.user_id])?;
        let to = addresses.get(&n.user_id);
        let Some(to) = to.filter(|_| channel.emails_now(true)) else {
            continue;
        };
        if db::claim_emailed(conn, &[n.id], now)?.is_empty() {
            continue;
        }
        let (subject, body) = message_for(&n, mailer);
        match mailer.send(to, &subject, body) {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(error = %e, notification = n.id, "notification email failed");
                db::unclaim_emailed(conn, &[n.id])?;
            }
        }
    }
    Ok(sent)
}

/// Send each user who asked for the digest and gave an address one message listing their
/// pending notifications (domain::notification::in_digest), at most once a day; records
/// `last_digest_at` and `emailed_at`. Returns how many digests were sent.
pub fn send_digests(conn: &mut DbConn, mailer: &Mailer, now: i64) -> DbResult<usize> {
    let mut sent = 0;
    for prefs in db::digest_users(conn)? {
        if !rules::digest_due(prefs.last_digest_at, now) {
            continue;
        }
        let items = db::digest_items(conn, prefs.user_id, prefs.last_digest_at)?;
        if items.is_empty() {
            continue;
        }
        if !db::claim_digest(conn, prefs.user_id, prefs.last_digest_at, now)? {
            continue;
        }
        let ids: Vec<i64> = items.iter().map(|n| n.id).collect();
        let claimed = db::claim_emailed(conn, &ids, now)?;
        let items: Vec<_> = items
            .into_iter()
            .filter(|n| claimed.contains(&n.id))
            .collect();
        if items.is_empty() {
            continue;
        }
        let (subject, body) = digest_message(&items, mailer);
        match mailer.send(&prefs.email, &subject, body) {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(error = %e, user = prefs.user_id, "digest email failed");
                db::unclaim_emailed(conn, &claimed)?;
            }
        }
    }
    Ok(sent)
}

fn digest_message(items: &[db::NotificationRow], mailer: &Mailer) -> (String, String) {
    let subject = format!("【议事亭】每日通知摘要（{} 条）", items.len());
    let mut zh = format!("你有 {} 条未读通知：\n\n", items.len());
    let mut en = format!("You have {} unread notifications:\n\n", items.len());
    for n in items {
        let (kz, ke) = kind_names(&n.kind);
        let link = mailer.link(&n.url);
        zh.push_str(&format!("· {kz}：{}\n  {link}\n", n.title));
        en.push_str(&format!("- {ke}: {}\n  {link}\n", n.title));
    }
    (subject, format!("{zh}\n——\n{en}"))
}
