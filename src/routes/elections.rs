//! Elections' pages: the community's elections, one election as its members see it (the
//! step it has reached, the announcement with its timetable in Asia/Shanghai, the preparation
//! group, candidates with their reviews, objections with their answers, the results, the
//! first meeting, the filing and the public event log) with the form of each step for the
//! role that takes it, and the public page of an election (no login, names masked as in its
//! log). The forms' handlers are in [`super::election_forms`] (online co-signed nominations
//! in [`super::election_cosign`]), the prints in [`super::election_prints`]; the API twins in
//! [`super::elections_api`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::election_cosign as cosign;
use super::election_forms::Failed;
use super::election_view::{self as facts, Facts};
use super::roster::{authorise, community_by_slug};
use crate::app::AppState;
use crate::clock;
use crate::db::communities::Community;
use crate::db::elections as db_elections;
use crate::db::{roster, tally as db_tally};
use crate::domain::ballot::mask_name;
use crate::domain::election::{
    self as rules, filing_due_at, ObjectionStage, Step, FIRST_MEETING_DAYS,
};
use crate::domain::roles::Action;
use crate::elections::{self as service, ElectionView};
use crate::error::AppResult;
use crate::shell::PageCtx;

pub async fn list_page(
    page: PageCtx,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(&state, user, &slug, Action::Participate).await?;
    let id = c.id;
    let rows = state
        .with_db(move |conn| Ok(db_elections::list(conn, id)?))
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("elections", &rows);
    ctx.insert(
        "organiser",
        &user.grants.allows(Action::ManageBallots, c.id),
    );
    page.render(&state.tera, "elections.html", ctx)
}

pub async fn election_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    render_election(&page, &state, &slug, id, None).await
}

/// Which forms the page shows: each only to who may use it, at the step it belongs to.
#[derive(Debug, Default, Serialize)]
struct Can {
    organise: bool,
    announce: bool,
    nominate_self: bool,
    nominate_paper: bool,
    /// Start a nomination that other owners co-sign online (owners who are not organisers:
    /// an organiser's co-signed nomination is a paper one).
    nominate_online: bool,
    /// Co-sign the nominations still collecting co-signers (owners, in the window).
    cosign: bool,
    /// Some nomination waits for this owner's co-signature.
    cosign_due: bool,
    review: bool,
    publish: bool,
    object: bool,
    answer: bool,
    /// Objections wait for the organisers' answer.
    answers_due: bool,
    open_voting: bool,
    count: bool,
    certify: bool,
    meeting: bool,
    file: bool,
    cancel: bool,
    vote: bool,
    print_announcement: bool,
    print_candidates: bool,
    print_result: bool,
    print_filing: bool,
}

/// The dates the next steps wait for, Unix seconds.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Deadlines {
    publication_ends: Option<i64>,
    objection_ends: Option<i64>,
    meeting_due: Option<i64>,
    filing_due: Option<i64>,
}

/// One step of the procedure in the progress list: `done`, `current` or `todo`.
#[derive(Debug, Serialize)]
struct StepMark {
    step: &'static str,
    state: &'static str,
}

fn step_marks(now: Step) -> Vec<StepMark> {
    let mut marks = Vec::new();
    let mut at = Some(Step::PreparationGroupFormed);
    let mut seen = false;
    while let Some(s) = at {
        let state = if s == now {
            seen = true;
            "current"
        } else if seen || now == Step::Cancelled {
            "todo"
        } else {
            "done"
        };
        marks.push(StepMark {
            step: s.as_str(),
            state,
        });
        at = s.next();
    }
    marks
}

pub(crate) fn deadlines(v: &ElectionView) -> Deadlines {
    let Some(a) = &v.announcement else {
        return Deadlines::default();
    };
    let tt = &a.timetable;
    let p = &v.progress;
    Deadlines {
        publication_ends: p.published_at.map(|at| tt.publication_ends_at(at)),
        objection_ends: p.counted_at.map(|at| tt.objection_ends_at(at)),
        meeting_due: p
            .certified_at
            .map(|at| at.saturating_add(FIRST_MEETING_DAYS * rules::SECONDS_PER_DAY)),
        filing_due: p.certified_at.map(filing_due_at),
    }
}

/// The stage an objection raised now is about, if one is taken now.
fn objection_stage(v: &ElectionView, now: i64) -> Option<ObjectionStage> {
    let a = v.announcement.as_ref()?;
    let stage = if v.progress.counted_at.is_some() {
        ObjectionStage::Result
    } else {
        ObjectionStage::CandidateList
    };
    rules::objection_window(stage, &a.timetable, &v.progress, now)
        .ok()
        .map(|()| stage)
}

/// The election's page for a member, with `failed` (a form shown again with its problems or
/// the refusal that stopped it, 422 or 409) if a step was just refused.
pub(crate) async fn render_election(
    page: &PageCtx,
    state: &AppState,
    slug: &str,
    id: i64,
    failed: Option<Failed>,
) -> AppResult<HttpResponse> {
    let user = page.user()?;
    let c = authorise(state, user, slug, Action::Participate).await?;
    let organise = user.grants.allows(Action::ManageBallots, c.id);
    let owner = user.grants.owner_in(c.id);
    let ledger = state.ledger.clone();
    let now = ledger.clock.now();
    let c2 = c.clone();
    let (v, f, scrutineers, owners, collecting, own_ref) = state
        .with_db(move |conn| {
            let v = service::view(conn, &ledger, &c2, id, now)?;
            let f = facts::load(conn, &v, false)?;
            let collecting = cosign::collecting(conn, &v, owner)?;
            let own_ref = match owner {
                Some(o) if v.step == Step::Nominating => cosign::own_ref(conn, c2.id, o)?,
                _ => None,
            };
            let scrutineers = if organise && v.step == Step::Reviewing {
                db_tally::candidates(conn, c2.id)?
            } else {
                Vec::new()
            };
            let owners: Vec<serde_json::Value> = if organise && v.step == Step::Nominating {
                roster::owners(conn, c2.id)?
                    .into_iter()
                    .map(|o| serde_json::json!({ "owner_ref": o.owner_ref, "name": o.name }))
                    .collect()
            } else {
                Vec::new()
            };
            Ok((v, f, scrutineers, owners, collecting, own_ref))
        })
        .await?;
    let step = v.step;
    let nominated = owner.is_some_and(|o| v.candidates.iter().any(|c| c.row.owner_id == o));
    let stage = objection_stage(&v, now);
    let can = Can {
        organise,
        announce: organise && step == Step::PreparationGroupFormed,
        nominate_self: owner.is_some() && step == Step::Nominating && !nominated,
        nominate_paper: organise && step == Step::Nominating,
        nominate_online: owner.is_some() && !organise && step == Step::Nominating,
        cosign: owner.is_some() && step == Step::Nominating,
        cosign_due: owner.is_some()
            && step == Step::Nominating
            && collecting.iter().any(|x| !x.signed && !x.own),
        review: organise && step == Step::Reviewing,
        publish: organise && step == Step::Reviewing,
        object: stage.is_some() && step != Step::Cancelled,
        answer: organise,
        answers_due: organise && v.objections.iter().any(|o| o.row.answer.is_none()),
        open_voting: organise && step == Step::Published,
        count: organise && step == Step::Voting,
        certify: organise && step == Step::Counted,
        meeting: organise && step == Step::Certified,
        file: organise && step == Step::FirstMeetingHeld,
        cancel: organise && step.is_cancellable(),
        // The ballot opens by its schedule, whether or not the step is recorded yet.
        vote: owner.is_some()
            && matches!(step, Step::Published | Step::Voting)
            && v.announcement.as_ref().is_some_and(|a| {
                a.timetable.voting_opens_at <= now && now < a.timetable.voting_closes_at
            }),
        print_announcement: v.announcement.is_some(),
        print_candidates: !f.listed.is_empty(),
        print_result: f.counted.is_some() || f.certified.is_some(),
        print_filing: f.meeting.is_some(),
    };
    let status = failed.as_ref().map_or(StatusCode::OK, |x| x.status);
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("steps", &step_marks(step));
    ctx.insert("deadlines", &deadlines(&v));
    ctx.insert("objection_stage", &stage.map(ObjectionStage::as_str));
    ctx.insert("elected", &f.elected());
    ctx.insert("can", &can);
    ctx.insert("scrutineers", &scrutineers);
    ctx.insert("owners", &owners);
    ctx.insert("collecting", &collecting);
    ctx.insert("own_ref", &own_ref);
    ctx.insert("now_input", &clock::input_shanghai(now));
    ctx.insert("failed", &failed.unwrap_or_default());
    ctx.insert("e", &v);
    ctx.insert("facts", &f);
    page.render_status(&state.tera, "election.html", ctx, status)
}

/// The view as anyone may see it: names masked as in the public log, statements and who
/// raised an objection left out.
fn masked(mut v: ElectionView) -> ElectionView {
    for m in &mut v.members {
        m.name = mask_name(&m.name);
    }
    for c in &mut v.candidates {
        c.name = mask_name(&c.name);
        c.row.statement.clear();
    }
    for o in &mut v.objections {
        o.raised_by_name.clear();
    }
    v
}

/// Load an election for the public page or a print, with its log's facts.
pub(crate) async fn load_public(
    state: &AppState,
    c: &Community,
    id: i64,
    mask: bool,
) -> AppResult<(ElectionView, Facts)> {
    let ledger = state.ledger.clone();
    let now = ledger.clock.now();
    let c2 = c.clone();
    state
        .with_db(move |conn| {
            let v = service::view(conn, &ledger, &c2, id, now)?;
            let v = if mask { masked(v) } else { v };
            let f = facts::load(conn, &v, mask)?;
            Ok((v, f))
        })
        .await
}

/// The public page of an election: no login; the same facts as its public log, names masked
/// (a member who is signed in is pointed to the full page).
pub async fn public_page(
    page: PageCtx,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let c = community_by_slug(&state, &slug).await?;
    let member = page
        .user
        .as_ref()
        .is_some_and(|u| u.grants.allows(Action::Participate, c.id));
    let (v, f) = load_public(&state, &c, id, true).await?;
    let mut ctx = tera::Context::new();
    ctx.insert("community", &c);
    ctx.insert("member", &member);
    ctx.insert("steps", &step_marks(v.step));
    ctx.insert("deadlines", &deadlines(&v));
    ctx.insert("e", &v);
    ctx.insert("facts", &f);
    page.render(&state.tera, "election_public.html", ctx)
}
