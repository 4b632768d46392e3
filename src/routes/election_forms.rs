//! The forms of an election's steps on its page, no JavaScript needed: owners nominate
//! themselves, organisers enter paper co-signed nominations, review each nomination with a
//! reason, publish the list with its scrutineers, answer objections, record voting opened,
//! the count, the final result, the first meeting and the filing, or cancel with a reason;
//! any member raises an objection (online co-signed nominations are in
//! [`super::election_cosign`]). Each handler checks the CSRF token and calls the service
//! ([`crate::elections`]) as the API does; success redirects to the page (303), a refusal
//! shows the page again with the typed input and its problems (422) or the reason (409).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::see_other;
use super::ballots::{field, fields, read_form, Pairs};
use super::elections::render_election;
use super::roster::authorise;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock;
use crate::db::communities::Community;
use crate::db::DbConn;
use crate::domain::election::{FirstMeetingInput, ReviewInput};
use crate::domain::roles::Action;
use crate::elections::{self as service, NominateInput, ObjectionInput, PublishInput, Scope};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::forum::Who;
use crate::i18n::Lang;
use crate::shell::PageCtx;

/// One problem of a refused form as the page lists it: the field's label, the message, and
/// the id of the input it is about (for a link to it).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub field: String,
    pub input: String,
    pub label: String,
    pub message: String,
}

/// A form that was refused: which form, what was typed into it, and why (its problems, or
/// the service's refusal for a step not possible now).
#[derive(Debug, Default, Serialize)]
pub struct Failed {
    pub form: String,
    pub values: serde_json::Map<String, serde_json::Value>,
    pub problems: Vec<Problem>,
    pub conflict: Option<String>,
    #[serde(skip)]
    pub status: StatusCode,
}

/// `members[2].name` → (`members.name`, Some(2)); `cosigner_owners[1]` → (`cosigner_owners`,
/// Some(1)); `seats` → (`seats`, None).
fn split_field(field: &str) -> (String, Option<usize>) {
    match (field.find('['), field.find(']')) {
        (Some(open), Some(close)) if open < close => {
            let index = field[open + 1..close].parse().ok();
            (format!("{}{}", &field[..open], &field[close + 1..]), index)
        }
        _ => (field.to_owned(), None),
    }
}

/// The label of a field the service names, if the pages know it.
fn label(base: &str) -> Option<Msg> {
    Some(match base {
        "title" => Msg::new("election-field-title"),
        "kind" => Msg::new("election-field-kind"),
        "members" => Msg::new("election-field-members"),
        "members.name" => Msg::new("election-field-member-name"),
        "members.role" => Msg::new("election-field-member-role"),
        "seats" => Msg::new("election-field-seats"),
        "alternates" => Msg::new("election-field-alternates"),
        "term_years" => Msg::new("election-field-term-years"),
        "candidate_requirements" => Msg::new("election-field-requirements"),
        "sitting_term_ends_at" => Msg::new("election-field-sitting-term-ends"),
        "nomination_opens_at" => Msg::new("election-field-nomination-opens"),
        "nomination_closes_at" => Msg::new("election-field-nomination-closes"),
        "review_ends_at" => Msg::new("election-field-review-ends"),
        "publication_starts_at" => Msg::new("election-field-publication-starts"),
        "publication_days" => Msg::new("election-field-publication-days"),
        "voting_opens_at" => Msg::new("election-field-voting-opens"),
        "voting_closes_at" => Msg::new("election-field-voting-closes"),
        "objection_days" => Msg::new("election-field-objection-days"),
        "cosigners_required" => Msg::new("election-field-cosigners-required"),
        "nomination_window" | "review_window" | "objection_window" => {
            Msg::new("election-field-window")
        }
        "candidate_name" | "candidate_owner" | "candidate_id" => {
            Msg::new("election-field-candidate")
        }
        "statement" => Msg::new("election-field-statement"),
        "cosigner_owners" => Msg::new("election-field-cosigners"),
        "decision" => Msg::new("election-field-decision"),
        "reason" => Msg::new("election-field-reason"),
        "text" => Msg::new("election-field-objection"),
        "answer" => Msg::new("election-field-answer"),
        "meeting_at" => Msg::new("election-field-meeting-at"),
        "chair" => Msg::new("election-field-chair"),
        "vice_chair" => Msg::new("election-field-vice-chair"),
        "scrutineers" => Msg::new("election-field-scrutineers"),
        "cosignatures_required" => Msg::new("election-field-cosignatures-required"),
        "proxy_cap" => Msg::new("editor-proxy-cap"),
        "conflict_rule" => Msg::new("editor-conflict-rule"),
        _ => return None,
    })
}

/// The form input a field's problem is about (its name in the form, which the templates use
/// in the input's id).
fn input_of(base: &str, index: Option<usize>) -> String {
    match (base, index) {
        ("members.name", Some(i)) => format!("member-{i}-name"),
        ("members.role", Some(i)) => format!("member-{i}-role"),
        ("candidate_owner" | "candidate_name", _) => "candidate_owner_ref".into(),
        ("cosigner_owners", _) => "cosigner_owner_refs".into(),
        ("nomination_window" | "review_window" | "objection_window", _) => "submit".into(),
        _ => base.into(),
    }
}

impl Failed {
    /// The form `form` refused with `err`, its typed `values` kept. Errors that are not about
    /// the form (not found, forbidden, a stale CSRF token) are passed on as they are.
    pub fn new(
        form: &str,
        values: serde_json::Map<String, serde_json::Value>,
        err: AppError,
        lang: Lang,
    ) -> AppResult<Failed> {
        let mut failed = Failed {
            form: form.to_owned(),
            values,
            ..Failed::default()
        };
        match err {
            AppError::Validation(errors) => {
                failed.status = StatusCode::UNPROCESSABLE_ENTITY;
                failed.problems = errors.iter().map(|e| problem(e, lang)).collect();
            }
            AppError::Conflict(msg) => {
                failed.status = StatusCode::CONFLICT;
                failed.conflict = Some(msg.render(lang));
            }
            other => return Err(other),
        }
        Ok(failed)
    }
}

fn problem(e: &FieldError, lang: Lang) -> Problem {
    let (base, index) = split_field(&e.field);
    let label = match (base.as_str(), index) {
        ("cosigner_owners", Some(i)) => Some(Msg::new("election-field-cosigner-n").arg("n", i + 1)),
        (_, Some(i)) => label(&base).map(|m| m.arg("n", i + 1)),
        (_, None) => label(&base),
    }
    .map_or_else(|| e.field.clone(), |m| m.render(lang));
    Problem {
        field: e.field.clone(),
        input: input_of(&base, index),
        label,
        message: e.message.render(lang),
    }
}

/// The named fields of a form, as typed, for showing it again.
pub fn values(pairs: &Pairs, names: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), field(pairs, n).into()))
        .collect()
}

/// Take a step for `user` (allowed `action` in the community) in one database call.
pub(super) async fn run<T: Send + 'static>(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    action: Action,
    step: impl FnOnce(&mut DbConn, &Scope<'_>, &Who) -> AppResult<T> + Send + 'static,
) -> AppResult<Community> {
    let c = authorise(state, user, slug, action).await?;
    let who = Who::from(user);
    super::elections_api::in_scope(state, c.clone(), move |conn, cx| step(conn, cx, &who)).await?;
    Ok(c)
}

/// After a step: back to the election's page at `anchor`, or the page again with the form.
pub(super) async fn done(
    page: &PageCtx,
    state: &AppState,
    (slug, id): (&str, i64),
    form: &str,
    values: serde_json::Map<String, serde_json::Value>,
    result: AppResult<Community>,
    anchor: &str,
) -> AppResult<HttpResponse> {
    match result {
        Ok(c) => Ok(see_other(&format!("/c/{}/elections/{id}#{anchor}", c.slug))),
        Err(e) => {
            let failed = Failed::new(form, values, e, page.lang)?;
            // The language switch of the page shown again leads to the election's page (the
            // form's own address takes only POST).
            let mut page = page.clone();
            page.path = format!("/c/{slug}/elections/{id}");
            render_election(&page, state, slug, id, Some(failed)).await
        }
    }
}

/// Owner references typed one per line, or separated by spaces, commas or 、.
fn refs(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Nominate: an owner themself (`kind=self`), or an organiser's paper nomination with its
/// co-signers (`kind=co_signed`).
pub async fn nominate_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let paper = field(&pairs, "kind") == "co_signed";
    let input = NominateInput {
        kind: if paper { "co_signed" } else { "self" }.into(),
        candidate_owner_ref: paper.then(|| field(&pairs, "candidate_owner_ref").trim().to_owned()),
        statement: field(&pairs, "statement").into(),
        cosigner_owner_refs: if paper {
            refs(field(&pairs, "cosigner_owner_refs"))
        } else {
            Vec::new()
        },
    };
    let result = run(
        &state,
        user,
        &slug,
        Action::Participate,
        move |conn, cx, who| service::nominate(conn, cx, id, who, &input),
    )
    .await;
    let (form, names): (&str, &[&str]) = if paper {
        (
            "paper",
            &["candidate_owner_ref", "cosigner_owner_refs", "statement"],
        )
    } else {
        ("nominate", &["statement"])
    };
    let v = values(&pairs, names);
    done(&page, &state, (&slug, id), form, v, result, "candidates").await
}

/// The qualification review of one nomination.
pub async fn review_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, cid) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let actor = user.user.id;
    let input = ReviewInput {
        decision: field(&pairs, "decision").into(),
        reason: field(&pairs, "reason").into(),
    };
    let result = run(
        &state,
        user,
        &slug,
        Action::ManageBallots,
        move |conn, cx, _| service::review(conn, cx, id, cid, actor, &input),
    )
    .await;
    let v = values(&pairs, &["decision", "reason"]);
    let form = format!("review-{cid}");
    done(&page, &state, (&slug, id), &form, v, result, "candidates").await
}

/// Publish the candidate list with the scrutineers of the election's ballot.
pub async fn publish_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let scrutineers: Vec<i64> = fields(&pairs, "scrutineers")
        .iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let required = field(&pairs, "cosignatures_required").trim();
    let cap = field(&pairs, "proxy_cap").trim();
    let rule = field(&pairs, "conflict_rule").trim();
    let input = PublishInput {
        // A cap that is not a number is refused by the ballot's validation.
        proxy_cap: (!cap.is_empty()).then(|| cap.parse().unwrap_or(-1)),
        conflict_rule: (!rule.is_empty()).then(|| rule.to_owned()),
        scrutineers: scrutineers.clone(),
        cosignatures_required: if required.is_empty() {
            0
        } else {
            required.parse().unwrap_or(-1)
        },
    };
    let result = run(
        &state,
        user,
        &slug,
        Action::ManageBallots,
        move |conn, cx, _| service::publish(conn, cx, id, &input),
    )
    .await;
    let mut v = values(
        &pairs,
        &["cosignatures_required", "proxy_cap", "conflict_rule"],
    );
    v.insert("scrutineers".into(), scrutineers.into());
    done(
        &page,
        &state,
        (&slug, id),
        "publish",
        v,
        result,
        "candidates",
    )
    .await
}

/// Raise an objection (any member, while objections are taken).
pub async fn object_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let input = ObjectionInput {
        text: field(&pairs, "text").into(),
        candidate_id: field(&pairs, "candidate_id").trim().parse().ok(),
    };
    let result = run(
        &state,
        user,
        &slug,
        Action::Participate,
        move |conn, cx, who| service::object(conn, cx, id, who, &input),
    )
    .await;
    let v = values(&pairs, &["text", "candidate_id"]);
    done(
        &page,
        &state,
        (&slug, id),
        "object",
        v,
        result,
        "objections",
    )
    .await
}

/// Answer an objection (organisers).
pub async fn answer_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id, oid) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let actor = user.user.id;
    let answer = field(&pairs, "answer").to_owned();
    let result = run(
        &state,
        user,
        &slug,
        Action::ManageBallots,
        move |conn, cx, _| service::answer(conn, cx, id, oid, actor, &answer),
    )
    .await;
    let v = values(&pairs, &["answer"]);
    let form = format!("answer-{oid}");
    done(&page, &state, (&slug, id), &form, v, result, "objections").await
}

/// The steps an organiser records with one button: voting opened, the count, the final
/// result, the filing.
#[derive(Debug, Clone, Copy)]
enum Button {
    OpenVoting,
    Count,
    Certify,
    File,
}

async fn button(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
    which: Button,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    read_form(&req, &body)?;
    let user = page.user()?;
    let result = run(
        &state,
        user,
        &slug,
        Action::ManageBallots,
        move |conn, cx, _| match which {
            Button::OpenVoting => service::open_voting(conn, cx, id),
            Button::Count => service::count(conn, cx, id).map(|_| ()),
            Button::Certify => service::certify(conn, cx, id).map(|_| ()),
            Button::File => service::file(conn, cx, id).map(|_| ()),
        },
    )
    .await;
    let (form, anchor) = match which {
        Button::OpenVoting => ("open-voting", "voting"),
        Button::Count => ("count", "results"),
        Button::Certify => ("certify", "results"),
        Button::File => ("file", "filing"),
    };
    let v = serde_json::Map::new();
    done(&page, &state, (&slug, id), form, v, result, anchor).await
}

pub async fn voting_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    button(req, page, state, path, body, Button::OpenVoting).await
}

pub async fn count_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    button(req, page, state, path, body, Button::Count).await
}

pub async fn certify_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    button(req, page, state, path, body, Button::Certify).await
}

pub async fn file_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    button(req, page, state, path, body, Button::File).await
}

/// Record the new committee's first meeting: when (Asia/Shanghai), its chair and vice-chair.
pub async fn meeting_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let v = values(&pairs, &["meeting_at", "chair", "vice_chair"]);
    let result = match clock::parse_shanghai(field(&pairs, "meeting_at")) {
        Some(meeting_at) => {
            let input = FirstMeetingInput {
                meeting_at,
                chair: field(&pairs, "chair").into(),
                vice_chair: field(&pairs, "vice_chair").into(),
            };
            run(
                &state,
                user,
                &slug,
                Action::ManageBallots,
                move |conn, cx, _| service::first_meeting(conn, cx, id, &input),
            )
            .await
        }
        None => Err(AppError::Validation(vec![FieldError::new(
            "meeting_at",
            Msg::new("ballot-error-time"),
        )])),
    };
    done(&page, &state, (&slug, id), "meeting", v, result, "meeting").await
}

/// Call the election off, with a reason.
pub async fn cancel_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let reason = field(&pairs, "reason").to_owned();
    let result = run(
        &state,
        user,
        &slug,
        Action::ManageBallots,
        move |conn, cx, _| service::cancel(conn, cx, id, &reason),
    )
    .await;
    let v = values(&pairs, &["reason"]);
    done(&page, &state, (&slug, id), "cancel", v, result, "top").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_their_inputs() {
        assert_eq!(
            split_field("members[2].name"),
            ("members.name".to_owned(), Some(2))
        );
        assert_eq!(input_of("members.name", Some(2)), "member-2-name");
        assert_eq!(
            split_field("cosigner_owners[0]"),
            ("cosigner_owners".to_owned(), Some(0))
        );
        assert_eq!(input_of("cosigner_owners", Some(0)), "cosigner_owner_refs");
        assert_eq!(split_field("seats"), ("seats".to_owned(), None));
        assert_eq!(refs("A1, B2、C3\nD4；E5"), ["A1", "B2", "C3", "D4", "E5"]);
    }
}
