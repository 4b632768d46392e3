//! Ballot pages for organisers: the list, the editor, the schedule and lifecycle actions,
//! and the community's notice period. The API twins are in [`super::ballots_api`].

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::see_other;
use super::ballots_api::{self as api, view};
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::auth;
use crate::clock;
use crate::db::ballots as db_ballots;
use crate::db::roster;
use crate::domain::ballot::{self, DefinitionInput, QuestionInput};
use crate::domain::custom_rule::CustomRuleInput;
use crate::domain::lifecycle::Status;
use crate::domain::roles::Action;
use crate::domain::tally::{Dual, Rule, Threshold};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::ledger::service;
use crate::shell::PageCtx;

/// How many question slots the editor shows (empty ones are ignored).
pub const QUESTION_SLOTS: usize = 6;

fn ordinary() -> Rule {
    Rule::preset(ballot::CountingRule::Ordinary)
}

/// A form body as name/value pairs, keeping repeated names (checkboxes).
pub type Pairs = Vec<(String, String)>;

pub fn parse_pairs(body: &[u8]) -> AppResult<Pairs> {
    serde_urlencoded::from_bytes::<Pairs>(body)
        .map_err(|_| AppError::BadRequest(Msg::new("form-malformed")))
}

/// A posted form's fields, after checking its CSRF token.
pub fn read_form(req: &actix_web::HttpRequest, body: &[u8]) -> AppResult<Pairs> {
    let pairs = parse_pairs(body)?;
    crate::auth::check_csrf(req, field(&pairs, "csrf"))?;
    Ok(pairs)
}

pub fn field<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub fn fields<'a>(pairs: &'a Pairs, name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The editor's fields, as submitted or as stored, for showing the form again.
#[derive(Debug, Default, Serialize)]
struct EditorForm {
    title: String,
    description: String,
    kind: String,
    privacy: String,
    counting_rule: String,
    scope: Vec<i64>,
    opens_at: String,
    closes_at: String,
    questions: Vec<QuestionSlot>,
    scrutineers: Vec<i64>,
    cosignatures_required: String,
    conflict_rule: String,
    proxy_cap: String,
    /// A custom rule's four thresholds, in [`CUSTOM_PARTS`] order, and its citation.
    custom: Vec<CustomPart>,
    custom_citation: String,
}

/// The custom rule's thresholds in the editor: participation and pass, area and headcount.
const CUSTOM_PARTS: [&str; 4] = [
    "participation_area",
    "participation_headcount",
    "pass_area",
    "pass_headcount",
];

/// One threshold of a custom rule in the editor: a fraction such as `2/3` and a comparison,
/// `at_least` (以上, >=), `more_than` (过半数/超过, >) or, for area, `none` (area not counted).
#[derive(Debug, Default, Serialize)]
struct CustomPart {
    name: &'static str,
    fraction: String,
    cmp: String,
}

impl CustomPart {
    fn of(name: &'static str, t: Option<&Threshold>) -> Self {
        Self {
            name,
            fraction: t.map_or_else(String::new, |t| format!("{}/{}", t.num, t.den)),
            cmp: match t {
                None => "none",
                Some(t) if t.strict => "more_than",
                Some(_) => "at_least",
            }
            .into(),
        }
    }

    /// The threshold as typed; an unreadable fraction becomes `0/0`, which validation names.
    fn threshold(&self) -> Option<Threshold> {
        if self.cmp == "none" {
            return None;
        }
        let mut it = self.fraction.trim().splitn(2, ['/', '／']);
        let mut num = || it.next().and_then(|n| n.trim().parse::<u32>().ok());
        let (num, den) = (num().unwrap_or(0), num().unwrap_or(0));
        Some(Threshold {
            num,
            den,
            strict: self.cmp == "more_than",
        })
    }
}

/// The editor's custom-rule fields for a rule (the ordinary preset's when none is set).
fn custom_parts(rule: &Rule) -> Vec<CustomPart> {
    let [pa, ph, sa, sh] = CUSTOM_PARTS;
    vec![
        CustomPart::of(pa, rule.participation.area.as_ref()),
        CustomPart::of(ph, Some(&rule.participation.headcount)),
        CustomPart::of(sa, rule.pass.area.as_ref()),
        CustomPart::of(sh, Some(&rule.pass.headcount)),
    ]
}

fn custom_input(f: &EditorForm) -> Option<CustomRuleInput> {
    if f.counting_rule.trim() != ballot::CountingRule::Custom.as_str() {
        return None;
    }
    let t = |i: usize| f.custom.get(i).and_then(CustomPart::threshold);
    let zero = Threshold::at_least(0, 0);
    Some(CustomRuleInput {
        participation: Dual {
            area: t(0),
            headcount: t(1).unwrap_or(zero),
        },
        pass: Dual {
            area: t(2),
            headcount: t(3).unwrap_or(zero),
        },
        citation: f.custom_citation.clone(),
    })
}

#[derive(Debug, Default, Serialize)]
struct QuestionSlot {
    kind: String,
    text: String,
    options: String,
    max_choices: String,
}

fn editor_from_pairs(p: &Pairs) -> EditorForm {
    EditorForm {
        title: field(p, "title").into(),
        description: field(p, "description").into(),
        kind: field(p, "kind").into(),
        privacy: field(p, "privacy").into(),
        counting_rule: field(p, "counting_rule").into(),
        scope: fields(p, "scope")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        opens_at: field(p, "opens_at").into(),
        closes_at: field(p, "closes_at").into(),
        scrutineers: fields(p, "scrutineers")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect(),
        cosignatures_required: field(p, "cosignatures_required").into(),
        conflict_rule: field(p, "conflict_rule").into(),
        proxy_cap: field(p, "proxy_cap").into(),
        custom: CUSTOM_PARTS
            .iter()
            .map(|&name| CustomPart {
                name,
                fraction: field(p, &format!("cr_{name}")).into(),
                cmp: field(p, &format!("cr_{name}_cmp")).into(),
            })
            .collect(),
        custom_citation: field(p, "cr_citation").into(),
        questions: (1..=QUESTION_SLOTS)
            .map(|i| QuestionSlot {
                kind: field(p, &format!("q{i}_kind")).into(),
                text: field(p, &format!("q{i}_text")).into(),
                options: field(p, &format!("q{i}_options")).into(),
                max_choices: field(p, &format!("q{i}_max")).into(),
            })
            .collect(),
    }
}

fn editor_from_row(b: &db_ballots::BallotRow) -> EditorForm {
    let mut questions: Vec<QuestionSlot> = b
        .questions()
        .iter()
        .map(|q| QuestionSlot {
            kind: q.kind.as_str().into(),
            text: q.text.clone(),
            options: if q.kind == ballot::QuestionKind::YesNo {
                String::new()
            } else {
                q.options
                    .iter()
                    .map(|o| o.label.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            },
            max_choices: q.max_choices.to_string(),
        })
        .collect();
    questions.resize_with(QUESTION_SLOTS.max(questions.len()), QuestionSlot::default);
    EditorForm {
        title: b.title.clone(),
        description: b.description.clone(),
        kind: b.kind.clone(),
        privacy: b.privacy.clone(),
        counting_rule: b.counting_rule.clone(),
        scope: b.scope(),
        opens_at: clock::input_shanghai(b.opens_at),
        closes_at: clock::input_shanghai(b.closes_at),
        questions,
        scrutineers: b.scrutineer_ids(),
        cosignatures_required: b.cosignatures_required.to_string(),
        conflict_rule: b.conflict_rule.clone(),
        proxy_cap: b.proxy_cap.to_string(),
        custom: custom_parts(&b.custom_rule().unwrap_or_else(ordinary)),
        custom_citation: b.custom_rule().map(|r| r.citation).unwrap_or_default(),
    }
}

/// Read the editor form into a definition; times are Asia/Shanghai wall-clock times.
fn definition_from_pairs(p: &Pairs) -> Result<DefinitionInput, AppError> {
    let f = editor_from_pairs(p);
    let mut problems = Vec::new();
    let opens = clock::parse_shanghai(&f.opens_at);
    if opens.is_none() {
        problems.push(FieldError::new("opens_at", Msg::new("ballot-error-time")));
    }
    let closes = clock::parse_shanghai(&f.closes_at);
    if closes.is_none() {
        problems.push(FieldError::new("closes_at", Msg::new("ballot-error-time")));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let questions = f
        .questions
        .iter()
        .filter(|q| !q.text.trim().is_empty())
        .map(|q| QuestionInput {
            kind: q.kind.clone(),
            text: q.text.clone(),
            options: q.options.lines().map(str::to_owned).collect(),
            max_choices: q.max_choices.trim().parse().ok(),
        })
        .collect();
    let custom_rule = custom_input(&f);
    Ok(DefinitionInput {
        custom_rule,
        title: f.title,
        description: f.description,
        kind: f.kind,
        scope_buildings: f.scope,
        privacy: f.privacy,
        counting_rule: f.counting_rule,
        questions,
        opens_at: opens.unwrap_or_default(),
        closes_at: closes.unwrap_or_default(),
        cosignatures_required: f.cosignatures_required.trim().parse().unwrap_or(0),
        scrutineers: f.scrutineers,
        conflict_rule: Some(f.conflict_rule).filter(|r| !r.trim().is_empty()),
        // A cap that is not a number is refused by the validation (-1 is out of range).
        proxy_cap: match f.proxy_cap.trim() {
            "" => None,
            n => Some(n.parse().unwrap_or(-1)),
        },
    })
}

pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = community_by_slug(&state, &slug).await?;
    let organiser = page
        .user
        .as_ref()
        .is_some_and(|u| u.grants.allows(Action::ManageBallots, c.id));
    let owner = page.user.as_ref().and_then(|u| u.grants.owner_in(c.id));
    let (id, now) = (c.id, state.ledger.clock.now());
    let (rows, mine) = state
        .with_db(move |conn| {
            let rows = db_ballots::list(conn, id, organiser)?;
            let mine: Vec<i64> = match owner {
                Some(o) => db_ballots::ballots_of_owner(conn, o)?
                    .iter()
                    .map(|b| b.id)
                    .collect(),
                None => Vec::new(),
            };
            Ok((rows, mine))
        })
        .await?;
    let items: Vec<_> = rows
        .iter()
        .map(|b| {
            serde_json::json!({
                "ballot": view(&state, &c, b),
                "opens": clock::format_shanghai(b.opens_at),
                "closes": clock::format_shanghai(b.closes_at),
                "mine": mine.contains(&b.id),
                "votable": mine.contains(&b.id)
                    && matches!(b.status(), Status::Open | Status::Announced)
                    && b.opens_at <= now && now < b.closes_at,
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("items", &items);
    ctx.insert("organiser", &organiser);
    page.render(&state.tera, "ballots.html", ctx)
}

async fn render_editor(
    page: &PageCtx,
    state: &AppState,
    c: &crate::db::communities::Community,
    ballot_id: Option<i64>,
    form: &EditorForm,
    errors: &[FieldError],
) -> AppResult<HttpResponse> {
    let id = c.id;
    let (buildings, scrutineers) = state
        .with_db(move |conn| {
            Ok((
                roster::buildings(conn, id)?,
                crate::db::tally::candidates(conn, id)?,
            ))
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", c);
    ctx.insert("ballot_id", &ballot_id);
    ctx.insert("form", form);
    ctx.insert("buildings", &buildings);
    ctx.insert("scrutineers", &scrutineers);
    ctx.insert(
        "kinds",
        &ballot::Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "rules",
        &ballot::CountingRule::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    page.render_form(&state.tera, "ballot_edit.html", ctx, errors)
}

pub async fn new_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let c = authorise(&state, page.user()?, &slug, Action::ManageBallots).await?;
    let start = state.ledger.clock.now() + i64::from(c.notice_days + 1) * 86_400;
    let form = EditorForm {
        kind: "assembly_matter".into(),
        privacy: "open".into(),
        counting_rule: "ordinary".into(),
        custom: custom_parts(&ordinary()),
        opens_at: clock::input_shanghai(start),
        closes_at: clock::input_shanghai(start + 7 * 86_400),
        questions: (0..QUESTION_SLOTS)
            .map(|i| QuestionSlot {
                kind: if i == 0 { "yes_no" } else { "" }.into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    render_editor(&page, &state, &c, None, &form, &[]).await
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
    let c = authorise(&state, user, &slug, Action::ManageBallots).await?;
    let result = match definition_from_pairs(&pairs) {
        Ok(def) => {
            let (ledger, c2, actor) = (state.ledger.clone(), c.clone(), user.user.id);
            state
                .with_db(move |conn| service::create(conn, &ledger, &c2, actor, &def))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(row) => Ok(see_other(&format!("/c/{}/ballots/{}", c.slug, row.id))),
        Err(AppError::Validation(errors)) => {
            render_editor(&page, &state, &c, None, &editor_from_pairs(&pairs), &errors).await
        }
        Err(e) => Err(e),
    }
}

pub async fn edit_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = authorise(&state, page.user()?, &slug, Action::ManageBallots).await?;
    let b = api::load(&state, &c, id, page.user.as_ref()).await?;
    if b.status().is_frozen() {
        return Err(AppError::Conflict(Msg::new("ballot-error-frozen")));
    }
    render_editor(&page, &state, &c, Some(id), &editor_from_row(&b), &[]).await
}

pub async fn edit_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let pairs = read_form(&req, &body)?;
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::ManageBallots).await?;
    let result = match definition_from_pairs(&pairs) {
        Ok(def) => {
            let (ledger, c2, actor) = (state.ledger.clone(), c.clone(), user.user.id);
            state
                .with_db(move |conn| service::update(conn, &ledger, &c2, actor, id, &def))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/c/{}/ballots/{id}", c.slug))),
        Err(AppError::Validation(errors)) => {
            render_editor(
                &page,
                &state,
                &c,
                Some(id),
                &editor_from_pairs(&pairs),
                &errors,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct TransitionForm {
    pub csrf: String,
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn transition_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<TransitionForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let (slug, id) = path.into_inner();
    let form = form.into_inner();
    let (c, _) =
        api::transition(&state, page.user()?, &slug, id, &form.action, form.reason).await?;
    Ok(see_other(&format!("/c/{}/ballots/{id}", c.slug)))
}

#[derive(Debug, serde::Deserialize)]
pub struct NoticeForm {
    pub csrf: String,
    pub days: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn notice_submit(
    req: HttpRequest,
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    form: web::Form<NoticeForm>,
) -> AppResult<HttpResponse> {
    auth::check_csrf(&req, &form.csrf)?;
    let form = form.into_inner();
    let days: i32 = form.days.trim().parse().map_err(|_| {
        AppError::Validation(vec![FieldError::new("days", Msg::new("notice-error-days"))])
    })?;
    let c = api::set_notice(&state, page.user()?, &slug, days, form.reason).await?;
    Ok(see_other(&format!("/c/{}/ballots", c.slug)))
}
