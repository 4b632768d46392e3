//! Print-ready documents of an election, from the browser (CSS `@media print`, no script):
//! the announcement (公告), the candidate list (候选人名单公示), the result notice
//! (选举结果公告, or the preliminary result while objections are taken) and the filing
//! package (备案材料: all of them, the first meeting, the filing and the log's signed
//! checkpoint). Each document carries what ties it to the signed record: the log's origin,
//! the latest checkpoint (tree size and root hash), the leaf that recorded the document (its
//! index, its hash and its inclusion proof), the ballot's tally record SHA-256 for a result,
//! and a QR code to the election's public page.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::election_view::{self as facts, Doc};
use super::elections::{deadlines, load_public};
use super::roster::authorise;
use crate::app::AppState;
use crate::domain::roles::Action;
use crate::error::{AppError, AppResult, Msg};
use crate::ledger::election_log;
use crate::shell::PageCtx;

/// The printable documents and the leaves (by event type) each is tied to.
const DOCS: [(&str, &[&str]); 4] = [
    ("announcement", &["announced"]),
    ("candidates", &["published"]),
    ("result", &["certified", "counted"]),
    (
        "filing",
        &[
            "announced",
            "published",
            "certified",
            "first_meeting",
            "filed",
        ],
    ),
];

/// A leaf the document is tied to, with its inclusion proof in the latest checkpoint.
#[derive(Debug, Serialize)]
struct Tie {
    #[serde(flatten)]
    doc: Doc,
    proof: Vec<String>,
}

/// `scheme://host` of this request, for the printed link and its QR code.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// An SVG QR code of `url`.
pub fn qr_svg(url: &str) -> AppResult<String> {
    Ok(qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| AppError::internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .build())
}

pub async fn print_page(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id, doc) = path.into_inner();
    let (doc, kinds) = DOCS
        .iter()
        .find(|(name, _)| *name == doc)
        .copied()
        .ok_or(AppError::NotFound)?;
    let c = authorise(&state, page.user()?, &slug, Action::Participate).await?;
    let (v, f) = load_public(&state, &c, id, false).await?;
    let unavailable = || AppError::Conflict(Msg::new("election-print-unavailable"));
    let ready = match doc {
        "announcement" => v.announcement.is_some(),
        "candidates" => !f.listed.is_empty(),
        "result" => f.certified.is_some() || f.counted.is_some(),
        _ => f.meeting.is_some(),
    };
    if !ready {
        return Err(unavailable());
    }
    // The result notice is tied to the final result once there is one, else to the count.
    let wanted: Vec<&str> = if doc == "result" {
        kinds
            .iter()
            .copied()
            .find(|k| f.docs.contains_key(*k))
            .into_iter()
            .collect()
    } else {
        kinds.to_vec()
    };
    let size = f.checkpoint.as_ref().map_or(0, |cp| cp.size);
    let leaves: Vec<Doc> = wanted
        .iter()
        .filter_map(|k| f.docs.get(*k).cloned())
        .collect();
    let ledger = state.ledger.clone();
    let e = v.election.clone();
    let origin = v.origin.clone();
    let (ties, verifier_key) = state
        .with_db(move |conn| {
            let mut ties = Vec::new();
            for d in leaves {
                let proof = facts::proof(conn, e.id, d.index, size)?;
                ties.push(Tie { doc: d, proof });
            }
            Ok((ties, election_log::verifier_key(&ledger, &e, &origin)?))
        })
        .await?;
    let public_url = format!(
        "{}/c/{}/elections/{}/public",
        base_url(&req),
        c.slug,
        v.election.id
    );
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("doc", doc);
    ctx.insert("ties", &ties);
    ctx.insert("verifier_key", &verifier_key);
    ctx.insert("public_url", &public_url);
    ctx.insert("qr_svg", &qr_svg(&public_url)?);
    ctx.insert("printed", &state.ledger.clock.now());
    ctx.insert(
        "result",
        &f.certified.as_ref().or(f.counted.as_ref()).cloned(),
    );
    ctx.insert("deadlines", &deadlines(&v));
    ctx.insert("e", &v);
    ctx.insert("facts", &f);
    page.render(&state.tera, "election_print.html", ctx)
}
