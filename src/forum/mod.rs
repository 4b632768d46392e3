//! The forum's operations, shared by the pages and the API: proposals and their lifecycle,
//! co-signatures, comments, reports and moderation. Each runs on a database connection
//! (inside `web::block`) and checks who may act on the server.

pub mod comments;
pub mod search;

use crate::auth::CurrentUser;
use crate::db::communities::Community;
use crate::db::proposals::{self as db_proposals, ProposalRow, StepEffects};
use crate::db::{audit, comments as db_comments, roster, write_tx, DbConn};
use crate::domain::ballot::{DefinitionInput, QuestionInput};
use crate::domain::headcount;
use crate::domain::proposal::{self, Action, Actor, ProposalInput, Refusal, Status};
use crate::domain::roles::{Action as Role, Grants};
use crate::domain::tally::{Threshold, Weights};
use crate::error::{AppError, AppResult, FieldError, Msg};
use crate::ledger::{service as ballots, Ledger};

/// Who is acting: what the handlers pass into a database closure.
#[derive(Debug, Clone)]
pub struct Who {
    pub id: i64,
    pub grants: Grants,
}

impl From<&CurrentUser> for Who {
    fn from(u: &CurrentUser) -> Self {
        Who {
            id: u.user.id,
            grants: u.grants.clone(),
        }
    }
}

impl Who {
    pub fn may(&self, action: Role, c: &Community) -> bool {
        self.grants.allows(action, c.id)
    }
    fn require(&self, action: Role, c: &Community) -> AppResult<()> {
        if self.may(action, c) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A member who may post: takes part in the community and is not blocked there.
pub fn require_poster(conn: &mut DbConn, c: &Community, who: &Who) -> AppResult<()> {
    who.require(Role::Participate, c)?;
    if db_comments::is_blocked(conn, c.id, who.id)? {
        return Err(AppError::Conflict(Msg::new("forum-error-blocked")));
    }
    Ok(())
}

fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::Illegal => AppError::Conflict(Msg::new(r.message_id())),
        Refusal::AuthorOnly | Refusal::OrganiserOnly => AppError::Forbidden,
        Refusal::ReasonRequired => {
            AppError::Validation(vec![FieldError::new("reason", Msg::new(r.message_id()))])
        }
    }
}

fn building_ids(conn: &mut DbConn, c: &Community) -> AppResult<Vec<i64>> {
    Ok(roster::buildings(conn, c.id)?
        .iter()
        .map(|b| b.id)
        .collect())
}

/// A proposal the viewer may see: drafts only by their author.
pub fn visible(
    conn: &mut DbConn,
    c: &Community,
    id: i64,
    viewer: Option<&Who>,
) -> AppResult<ProposalRow> {
    let p = db_proposals::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    if p.status() == Status::Draft && viewer.is_none_or(|w| w.id != p.author_id) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// Raise a proposal: a draft, or published at once.
pub fn create(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    input: &ProposalInput,
    publish: bool,
    now: i64,
) -> AppResult<ProposalRow> {
    require_poster(conn, c, who)?;
    let p = proposal::validate(input, &building_ids(conn, c)?).map_err(AppError::from)?;
    let status = if publish { Status::Open } else { Status::Draft };
    let row = db_proposals::insert(conn, c.id, who.id, &p, status, now)?;
    search::index_proposal(conn, c.id, row.id, &row.title, &row.body)?;
    audit::append(
        conn,
        Some(c.id),
        Some(who.id),
        "proposal.create",
        &serde_json::json!({}),
        &serde_json::json!({ "proposal": row.id, "title": row.title, "status": row.status }),
    )?;
    Ok(row)
}

/// The author edits the text while the proposal is a draft or under discussion; every
/// version stays in the history.
pub fn edit(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    id: i64,
    input: &ProposalInput,
    now: i64,
) -> AppResult<ProposalRow> {
    require_poster(conn, c, who)?;
    let row = visible(conn, c, id, Some(who))?;
    if row.author_id != who.id {
        return Err(AppError::Forbidden);
    }
    if !matches!(
        row.status(),
        Status::Draft | Status::Open | Status::UnderReview
    ) {
        return Err(AppError::Conflict(Msg::new("proposal-error-not-editable")));
    }
    let p = proposal::validate(input, &building_ids(conn, c)?).map_err(AppError::from)?;
    if !db_proposals::update_text(conn, &row, &p, who.id, now)? {
        return Err(AppError::Conflict(Msg::new("proposal-error-changed")));
    }
    search::index_proposal(conn, c.id, row.id, &p.title, &p.body)?;
    db_proposals::get(conn, c.id, id)?.ok_or(AppError::NotFound)
}

/// A lifecycle step: the author publishes or withdraws; organisers review, answer (the
/// reason is the official response), put to a vote (a prefilled draft ballot, linked both
/// ways) or close.
pub fn transition(
    conn: &mut DbConn,
    ledger: &Ledger,
    c: &Community,
    who: &Who,
    id: i64,
    action: Action,
    reason: &str,
) -> AppResult<ProposalRow> {
    let row = visible(conn, c, id, Some(who))?;
    let authors_step = matches!(action, Action::Publish | Action::Withdraw);
    let actor = if authors_step && row.author_id == who.id {
        Actor::Author
    } else if who.may(Role::ModerateForum, c) {
        Actor::Organiser
    } else if row.author_id == who.id {
        Actor::Author
    } else {
        return Err(AppError::Forbidden);
    };
    let reason = reason.trim();
    let to = proposal::transition(row.status(), action, actor, reason).map_err(refusal)?;
    let now = ledger.clock.now();
    let mut effects = StepEffects::default();
    if action == Action::Answer {
        effects.response = Some(reason);
    }
    if action == Action::PutToVote {
        let ballot = ballots::create(conn, ledger, c, who.id, &ballot_for(c, &row, now))?;
        effects.ballot_id = Some(ballot.id);
    }
    if !db_proposals::step(
        conn,
        &row,
        action.as_str(),
        to,
        who.id,
        reason,
        effects,
        now,
    )? {
        return Err(AppError::Conflict(Msg::new("proposal-error-changed")));
    }
    audit::append(
        conn,
        Some(c.id),
        Some(who.id),
        "proposal.transition",
        &serde_json::json!({ "proposal": row.id, "status": row.status }),
        &serde_json::json!({ "proposal": row.id, "status": to.as_str(), "reason": reason }),
    )?;
    let row = db_proposals::get(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    crate::notify::on_proposal_status(conn, c, &row, who.id, now);
    Ok(row)
}

/// The draft ballot a proposal is put to: one agree/disagree question on the proposal, the
/// ordinary Art. 278 rule, the window after the community's notice period. The organiser
/// edits it like any draft before announcing it.
fn ballot_for(c: &Community, p: &ProposalRow, now: i64) -> DefinitionInput {
    let opens_at = now + (i64::from(c.notice_days) + 1) * 86_400;
    let title: String = p.title.chars().take(150).collect();
    DefinitionInput {
        title: format!("关于“{title}”的表决"),
        description: format!(
            "本表决来自议事亭议题 #{}：{}\n\n{}",
            p.id,
            p.title,
            p.body.chars().take(15_000).collect::<String>()
        ),
        kind: "assembly_matter".into(),
        privacy: "open".into(),
        counting_rule: "ordinary".into(),
        questions: vec![QuestionInput {
            kind: "yes_no".into(),
            text: format!("是否同意：{title}？"),
            options: Vec::new(),
            max_choices: None,
        }],
        opens_at,
        closes_at: opens_at + 7 * 86_400,
        ..Default::default()
    }
}

/// The community's co-sign level as a threshold.
pub fn level_of(c: &Community) -> Threshold {
    let (num, den) = (
        u32::try_from(c.cosign_level_num).unwrap_or(1),
        u32::try_from(c.cosign_level_den).unwrap_or(5),
    );
    Threshold::at_least(num, den)
}

/// What a co-signature did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cosigned {
    pub cosigners: i32,
    pub area_centi: i64,
    pub headcount: i64,
    pub base_area_centi: i64,
    pub base_headcount: i64,
    /// The co-signers reach the extraordinary-assembly level (now or before).
    pub level_reached: bool,
    /// This co-signature is the one that reached it.
    pub reached_now: bool,
}

/// An owner co-signs (附议) a live proposal, once. The meter is measured again against the
/// community's roster by the same headcount rules as ballots; reaching the level marks the
/// proposal and tells the organisers.
pub fn cosign(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    id: i64,
    now: i64,
) -> AppResult<Cosigned> {
    let owner = who
        .grants
        .owner_in(c.id)
        .ok_or_else(|| AppError::Conflict(Msg::new("proposal-cosign-error-owners-only")))?;
    let row = visible(conn, c, id, Some(who))?;
    if !row.status().is_live() {
        return Err(AppError::Conflict(Msg::new("proposal-cosign-error-closed")));
    }
    let level = level_of(c);
    write_tx(conn, |conn| {
        if !db_proposals::cosign(conn, row.id, owner, who.id, now)? {
            return Err(AppError::Conflict(Msg::new("proposal-cosign-error-twice")));
        }
        let owners = db_proposals::cosigning_owners(conn, row.id)?;
        let units = roster::unit_views(conn, c.id, None)?;
        let electorate = headcount::count(&roster::facts(&units));
        let w = proposal::cosign_weights(&electorate, &owners);
        let base = Weights {
            area_centi: electorate.total_area,
            headcount: electorate.total_headcount,
        };
        let reached = proposal::reaches_assembly_level(w, base, level);
        let cosigners = i32::try_from(owners.len()).unwrap_or(i32::MAX);
        let reached_now =
            db_proposals::set_cosign_totals(conn, &row, cosigners, w, base, reached, now)?;
        if reached_now {
            audit::append(
                conn,
                Some(c.id),
                None,
                "proposal.level_reached",
                &serde_json::json!({}),
                &serde_json::json!({ "proposal": row.id, "area_centi": w.area_centi,
                    "headcount": w.headcount }),
            )?;
            crate::notify::on_level_reached(conn, c, &row, now);
        }
        Ok(Cosigned {
            cosigners,
            area_centi: w.area_centi,
            headcount: w.headcount,
            base_area_centi: base.area_centi,
            base_headcount: base.headcount,
            level_reached: reached || row.level_reached_at.is_some(),
            reached_now,
        })
    })
}

/// Organisers set the co-sign level (a fraction of the area or of the headcount, between
/// 1/100 and 1) and the number of reports that hides a comment (0 turns auto-hide off).
pub fn set_settings(
    conn: &mut DbConn,
    c: &Community,
    who: &Who,
    level: (i32, i32),
    hide_after: i32,
) -> AppResult<()> {
    who.require(Role::ModerateForum, c)?;
    let mut problems = Vec::new();
    let (num, den) = level;
    if den <= 0 || den > 100 || num <= 0 || num > den {
        problems.push(FieldError::new(
            "cosign_level",
            Msg::new("forum-error-level"),
        ));
    }
    if !(0..=100).contains(&hide_after) {
        problems.push(FieldError::new(
            "report_hide_threshold",
            Msg::new("forum-error-hide-after"),
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    crate::db::communities::set_forum_settings(conn, c.id, level, hide_after)?;
    audit::append(
        conn,
        Some(c.id),
        Some(who.id),
        "forum.settings",
        &serde_json::json!({ "cosign_level": [c.cosign_level_num, c.cosign_level_den],
            "report_hide_threshold": c.report_hide_threshold }),
        &serde_json::json!({ "cosign_level": [num, den], "report_hide_threshold": hide_after }),
    )?;
    Ok(())
}
