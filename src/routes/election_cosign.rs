//! Nominations co-signed online (联名推荐) on the election's page, no JavaScript needed: an
//! owner recommends a fellow owner by their owner reference and is the first co-signer; the
//! nominations still collecting co-signers are listed for every member with how many owners
//! co-signed and how many are needed, and an owner co-signs one with a button. Each form
//! checks the CSRF token and calls the service ([`crate::elections`]) as the API does
//! (`POST …/nominations` with `kind=co_signed` and no co-signers listed, and
//! `POST …/nominations/{cid}/cosignatures`); a refusal shows the election's page again with
//! the reason (409) or the problems (422), and changes nothing.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::see_other;
use super::ballots::field;
use super::ballots::read_form;
use super::election_forms::{done, run, values};
use super::roster::authorise;
use crate::app::AppState;
use crate::db::elections as db;
use crate::db::{roster, DbConn};
use crate::domain::election::NominationKind;
use crate::domain::roles::Action;
use crate::elections::{self as service, ElectionView, NominateInput};
use crate::error::{AppError, AppResult};
use crate::forum::Who;
use crate::shell::PageCtx;

/// A nomination still collecting co-signers, as the election's page lists it for the owner
/// `viewer` (if the viewer is an owner).
#[derive(Debug, Clone, Serialize)]
pub struct Collecting {
    pub id: i64,
    pub name: String,
    pub statement: String,
    pub cosigners: usize,
    pub required: u32,
    /// The viewer has co-signed it (the one who started it is its first co-signer).
    pub signed: bool,
    /// The viewer is the owner it nominates.
    pub own: bool,
}

/// The nominations of `v` still collecting co-signers, oldest first.
pub(crate) fn collecting(
    conn: &mut DbConn,
    v: &ElectionView,
    viewer: Option<i64>,
) -> AppResult<Vec<Collecting>> {
    let required = v.announcement.as_ref().map_or(0, |a| a.cosigners_required);
    let mut out = Vec::new();
    for c in v.candidates.iter().filter(|c| c.row.status == "collecting") {
        let signed = match viewer {
            Some(o) => db::cosigners(conn, c.row.id)?.contains(&o),
            None => false,
        };
        out.push(Collecting {
            id: c.row.id,
            name: c.name.clone(),
            statement: c.row.statement.clone(),
            cosigners: c.cosigners,
            required,
            signed,
            own: viewer == Some(c.row.owner_id),
        });
    }
    Ok(out)
}

/// The owner reference of the owner `owner` of community `community`, which others need to
/// recommend them.
pub(crate) fn own_ref(conn: &mut DbConn, community: i64, owner: i64) -> AppResult<Option<String>> {
    Ok(roster::owner(conn, community, owner)?.map(|o| o.owner_ref))
}

/// An owner starts a nomination of a fellow owner (by owner reference) that other owners
/// co-sign online; the owner is its first co-signer.
pub async fn start_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let input = NominateInput {
        kind: NominationKind::CoSigned.as_str().into(),
        candidate_owner_ref: Some(field(&pairs, "candidate_owner_ref").trim().to_owned()),
        statement: field(&pairs, "statement").into(),
        cosigner_owner_refs: Vec::new(),
    };
    let result = run(
        &state,
        user,
        &slug,
        Action::Participate,
        move |conn, cx, who| service::nominate(conn, cx, id, who, &input),
    )
    .await
    .map_err(about_the_candidate);
    let v = values(&pairs, &["candidate_owner_ref", "statement"]);
    done(
        &page,
        &state,
        (&slug, id),
        "online",
        v,
        result,
        "collecting",
    )
    .await
}

/// The service names "recommending oneself" as a problem of the nomination's kind; this form
/// has no kind to choose, so it is shown at the candidate's reference.
fn about_the_candidate(e: AppError) -> AppError {
    match e {
        AppError::Validation(mut errors) => {
            for e in &mut errors {
                if e.field == "kind" {
                    e.field = "candidate_owner".into();
                }
            }
            AppError::Validation(errors)
        }
        other => other,
    }
}

/// An owner co-signs a nomination collecting co-signers; the co-signature that reaches the
/// announcement's number makes it a nomination.
pub async fn cosign_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    read_form(&req, &body)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Participate).await?;
    let who = Who::from(user);
    let result = super::elections_api::in_scope(&state, c.clone(), move |conn, cx| {
        service::cosign_nomination(conn, cx, id, cid, &who)
    })
    .await;
    match result {
        Ok(s) => {
            let anchor = if s.status == "collecting" {
                format!("collecting-{cid}")
            } else {
                format!("candidate-{cid}")
            };
            Ok(see_other(&format!("/c/{}/elections/{id}#{anchor}", c.slug)))
        }
        Err(e) => {
            let form = format!("cosign-{cid}");
            let v = serde_json::Map::new();
            done(&page, &state, (&slug, id), &form, v, Err(e), "collecting").await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FieldError, Msg};

    #[test]
    fn recommending_oneself_is_shown_at_the_candidate() -> Result<(), String> {
        let e = AppError::Validation(vec![
            FieldError::new("kind", Msg::new("election-error-nominate-self-as-self")),
            FieldError::new("statement", Msg::new("election-error-duplicate-candidate")),
        ]);
        let AppError::Validation(errors) = about_the_candidate(e) else {
            return Err("not a validation error".into());
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["candidate_owner", "statement"]);
        Ok(())
    }
}
