//! The organisers' first two steps of an election, each on its own page: forming the
//! preparation group (筹备组) and posting the announcement (公告), whose timetable is typed as
//! Asia/Shanghai wall-clock times (`datetime-local`). No JavaScript needed; a refused form is
//! shown again with everything typed and its problems (422) or the refusal (409).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::see_other;
use super::ballots::{field, read_form, Pairs};
use super::election_forms::Failed;
use super::roster::authorise;
use crate::app::AppState;
use crate::clock;
use crate::db::communities::Community;
use crate::db::elections as db_elections;
use crate::db::elections::ElectionRow;
use crate::domain::election::{
    AnnouncementInput, MemberInput, MemberRole, PreparationGroupInput, Step,
    DEFAULT_COSIGNERS_REQUIRED, DEFAULT_OBJECTION_DAYS, DEFAULT_PUBLICATION_DAYS,
};
use crate::domain::roles::Action;
use crate::elections::{self as service, CreateInput};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::shell::PageCtx;

const ORGANISE: Action = Action::ManageBallots;
const DAY: i64 = 86_400;

/// Member rows the new-election form shows (more when more were typed).
pub const MEMBER_SLOTS: usize = 8;

#[derive(Debug, Default, Serialize)]
struct MemberSlot {
    name: String,
    role: String,
}

#[derive(Debug, Default, Serialize)]
struct CreateForm {
    title: String,
    kind: String,
    members: Vec<MemberSlot>,
}

fn create_form(p: &Pairs) -> CreateForm {
    let mut members: Vec<MemberSlot> = (0..)
        .map_while(|i| {
            let name = p.iter().find(|(k, _)| *k == format!("member-{i}-name"))?;
            Some(MemberSlot {
                name: name.1.clone(),
                role: field(p, &format!("member-{i}-role")).into(),
            })
        })
        .collect();
    if members.len() < MEMBER_SLOTS {
        members.resize_with(MEMBER_SLOTS, MemberSlot::default);
    }
    CreateForm {
        title: field(p, "title").into(),
        kind: field(p, "kind").into(),
        members,
    }
}

async fn render_create(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    form: &CreateForm,
    failed: Failed,
) -> AppResult<HttpResponse> {
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("form", form);
    ctx.insert(
        "roles",
        &MemberRole::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>(),
    );
    let status = failed.status;
    ctx.insert("failed", &failed);
    // Shown again after a refusal, the page's language switch leads to the form's own page.
    let mut page = page.clone();
    page.path = format!("/c/{}/elections/new", c.slug);
    page.render_status(&state.tera, "election_new.html", ctx, status)
}

pub async fn new_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, ORGANISE).await?;
    let form = CreateForm {
        kind: "re_election".into(),
        members: (0..MEMBER_SLOTS).map(|_| MemberSlot::default()).collect(),
        ..CreateForm::default()
    };
    render_create(&page, &state, &c, &form, Failed::default()).await
}

pub async fn create_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, ORGANISE).await?;
    let form = create_form(&pairs);
    // Rows left empty are not members; the service numbers the rest from 0, which `slots`
    // maps back to the form's rows.
    let slots: Vec<usize> = form
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.name.trim().is_empty())
        .map(|(i, _)| i)
        .collect();
    let input = CreateInput {
        title: form.title.clone(),
        kind: form.kind.clone(),
        group: PreparationGroupInput {
            members: slots
                .iter()
                .filter_map(|&i| form.members.get(i))
                .map(|m| MemberInput {
                    name: m.name.clone(),
                    role: m.role.clone(),
                })
                .collect(),
        },
    };
    let actor = user.user.id;
    let result = super::elections_api::in_scope(&state, c.clone(), move |conn, cx| {
        service::create(conn, cx, actor, &input)
    })
    .await;
    match result {
        Ok(row) => Ok(see_other(&format!("/c/{}/elections/{}", c.slug, row.id))),
        Err(AppError::Validation(errors)) => {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    e.field = renumber(&e.field, &slots);
                    e
                })
                .collect();
            let failed = Failed::new(
                "create",
                serde_json::Map::new(),
                AppError::Validation(errors),
                page.lang,
            )?;
            render_create(&page, &state, &c, &form, failed).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let failed = Failed::new("create", serde_json::Map::new(), e, page.lang)?;
            render_create(&page, &state, &c, &form, failed).await
        }
        Err(e) => Err(e),
    }
}

/// `members[k]…` of the k-th member given → `members[slot]…` of the form's row.
fn renumber(field: &str, slots: &[usize]) -> String {
    let Some(rest) = field.strip_prefix("members[") else {
        return field.to_owned();
    };
    match rest.split_once(']') {
        Some((k, tail)) => match k.parse::<usize>().ok().and_then(|k| slots.get(k)) {
            Some(slot) => format!("members[{slot}]{tail}"),
            None => field.to_owned(),
        },
        None => field.to_owned(),
    }
}

// ---- the announcement ---------------------------------------------------------------

/// The announcement's fields as typed (times as `datetime-local` values, Asia/Shanghai).
#[derive(Debug, Default, Serialize)]
struct AnnounceForm {
    seats: String,
    alternates: String,
    term_years: String,
    candidate_requirements: String,
    sitting_term_ends_at: String,
    nomination_opens_at: String,
    nomination_closes_at: String,
    review_ends_at: String,
    publication_starts_at: String,
    publication_days: String,
    voting_opens_at: String,
    voting_closes_at: String,
    objection_days: String,
    cosigners_required: String,
}

const TIMES: [&str; 7] = [
    "sitting_term_ends_at",
    "nomination_opens_at",
    "nomination_closes_at",
    "review_ends_at",
    "publication_starts_at",
    "voting_opens_at",
    "voting_closes_at",
];

fn announce_form(p: &Pairs) -> AnnounceForm {
    let f = |n: &str| field(p, n).to_owned();
    AnnounceForm {
        seats: f("seats"),
        alternates: f("alternates"),
        term_years: f("term_years"),
        candidate_requirements: f("candidate_requirements"),
        sitting_term_ends_at: f("sitting_term_ends_at"),
        nomination_opens_at: f("nomination_opens_at"),
        nomination_closes_at: f("nomination_closes_at"),
        review_ends_at: f("review_ends_at"),
        publication_starts_at: f("publication_starts_at"),
        publication_days: f("publication_days"),
        voting_opens_at: f("voting_opens_at"),
        voting_closes_at: f("voting_closes_at"),
        objection_days: f("objection_days"),
        cosigners_required: f("cosigners_required"),
    }
}

/// A timetable that satisfies the rules from the next full hour: nominations for a week from
/// tomorrow, two days of review, the list published on day 11 for the least publication
/// period, voting from day 27 for three days.
fn default_form(now: i64) -> AnnounceForm {
    let base = (now.div_euclid(3600) + 1) * 3600;
    let at = |days: i64| clock::input_shanghai(base + days * DAY);
    AnnounceForm {
        seats: "5".into(),
        alternates: "0".into(),
        term_years: "5".into(),
        nomination_opens_at: at(1),
        nomination_closes_at: at(8),
        review_ends_at: at(10),
        publication_starts_at: at(11),
        publication_days: DEFAULT_PUBLICATION_DAYS.to_string(),
        voting_opens_at: at(27),
        voting_closes_at: at(30),
        objection_days: DEFAULT_OBJECTION_DAYS.to_string(),
        cosigners_required: DEFAULT_COSIGNERS_REQUIRED.to_string(),
        ..AnnounceForm::default()
    }
}

/// A whole number typed into the form; what does not read as one becomes -1, which the rules
/// name as out of range.
fn number(s: &str) -> i64 {
    s.trim().parse().unwrap_or(-1)
}

/// An optional number: empty takes the community's default.
fn optional(s: &str) -> Option<i64> {
    (!s.trim().is_empty()).then(|| number(s))
}

fn announcement_input(p: &Pairs, kind: &str) -> AppResult<AnnouncementInput> {
    let mut problems = Vec::new();
    let mut time = |name: &'static str| -> Option<i64> {
        let typed = field(p, name);
        if name == "sitting_term_ends_at" && typed.trim().is_empty() {
            return None;
        }
        let t = clock::parse_shanghai(typed);
        if t.is_none() {
            problems.push(FieldError::new(name, Msg::new("ballot-error-time")));
        }
        t
    };
    let [sitting, n_open, n_close, review, publication, v_open, v_close] = TIMES.map(&mut time);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(AnnouncementInput {
        kind: kind.to_owned(),
        seats: number(field(p, "seats")),
        alternates: number(field(p, "alternates")),
        term_years: number(field(p, "term_years")),
        candidate_requirements: field(p, "candidate_requirements").into(),
        sitting_term_ends_at: sitting,
        nomination_opens_at: n_open.unwrap_or_default(),
        nomination_closes_at: n_close.unwrap_or_default(),
        review_ends_at: review.unwrap_or_default(),
        publication_starts_at: publication.unwrap_or_default(),
        publication_days: optional(field(p, "publication_days")),
        voting_opens_at: v_open.unwrap_or_default(),
        voting_closes_at: v_close.unwrap_or_default(),
        objection_days: optional(field(p, "objection_days")),
        cosigners_required: optional(field(p, "cosigners_required")),
    })
}

async fn election_of(state: &AppState, c: &Community, id: i64) -> AppResult<ElectionRow> {
    let cid = c.id;
    state
        .with_db(move |conn| db_elections::by_id(conn, cid, id)?.ok_or(AppError::NotFound))
        .await
}

async fn render_announce(
    page: &PageCtx,
    state: &AppState,
    c: &Community,
    e: &ElectionRow,
    form: &AnnounceForm,
    failed: Failed,
) -> AppResult<HttpResponse> {
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("election", e);
    ctx.insert("form", form);
    let status = failed.status;
    ctx.insert("failed", &failed);
    page.render_status(&state.tera, "election_announce.html", ctx, status)
}

pub async fn announce_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, page.user()?, &slug, ORGANISE).await?;
    let e = election_of(&state, &c, id).await?;
    if e.step != Step::PreparationGroupFormed.as_str() {
        return Ok(see_other(&format!("/c/{}/elections/{id}", c.slug)));
    }
    let form = default_form(state.ledger.clock.now());
    render_announce(&page, &state, &c, &e, &form, Failed::default()).await
}

pub async fn announce_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let c = authorise(&state, page.user()?, &slug, ORGANISE).await?;
    let e = election_of(&state, &c, id).await?;
    let result = match announcement_input(&pairs, &e.kind) {
        Ok(input) => {
            super::elections_api::in_scope(&state, c.clone(), move |conn, cx| {
                service::announce(conn, cx, id, &input)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/c/{}/elections/{id}#election-announcement",
            c.slug
        ))),
        Err(err) => {
            let failed = Failed::new("announce", serde_json::Map::new(), err, page.lang)?;
            let form = announce_form(&pairs);
            render_announce(&page, &state, &c, &e, &form, failed).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_problems_point_at_the_forms_rows() {
        assert_eq!(renumber("members[1].name", &[0, 3, 5]), "members[3].name");
        assert_eq!(renumber("members[0].role", &[2]), "members[2].role");
        assert_eq!(renumber("members", &[2]), "members");
        assert_eq!(renumber("title", &[]), "title");
    }

    #[test]
    fn the_default_timetable_follows_the_rules() -> Result<(), String> {
        let now = 1_790_000_123;
        let f = default_form(now);
        let p: Pairs = [
            ("seats", &f.seats),
            ("alternates", &f.alternates),
            ("term_years", &f.term_years),
            ("candidate_requirements", &"本小区业主".to_owned()),
            ("nomination_opens_at", &f.nomination_opens_at),
            ("nomination_closes_at", &f.nomination_closes_at),
            ("review_ends_at", &f.review_ends_at),
            ("publication_starts_at", &f.publication_starts_at),
            ("publication_days", &f.publication_days),
            ("voting_opens_at", &f.voting_opens_at),
            ("voting_closes_at", &f.voting_closes_at),
            ("objection_days", &f.objection_days),
            ("cosigners_required", &f.cosigners_required),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).clone()))
        .collect();
        let input = announcement_input(&p, "first").map_err(|e| e.to_string())?;
        assert!(input.nomination_opens_at > now);
        let a = crate::domain::election::validate_announcement(
            &input,
            &crate::domain::election::Policy::default(),
        )
        .map_err(|e| format!("{e:?}"))?;
        assert_eq!(a.seats, 5);
        let p: Pairs = vec![("nomination_opens_at".into(), "soon".into())];
        let Err(err) = announcement_input(&p, "first") else {
            return Err("times that do not parse are refused".into());
        };
        assert_eq!(
            err.field_errors().len(),
            6,
            "every time but the sitting term's end"
        );
        Ok(())
    }
}
