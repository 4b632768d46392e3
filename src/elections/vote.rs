//! Steps 5 to 9 of an election: publishing the candidate list with the election's ballot,
//! opening the vote, the preliminary and the final result from the ballot's signed tally
//! records, the new committee's first meeting, and the filing.
//!
//! The vote itself is an ordinary ballot of kind `committee_election` (elect up to `seats` of
//! the listed candidates, counted by Civil Code Art. 278 for ordinary matters), announced when
//! the list is published so that its notice runs alongside the publication period; it is
//! cast, closed, counted, objected to and certified like every ballot, and the election's log
//! records the SHA-256 of each tally record it takes its result from.

use serde::Deserialize;

use super::{announced, locked, record, state, Scope};
use crate::db::ballots::{self as db_ballots, BallotRow};
use crate::db::elections::{self as db, ElectionRow};
use crate::db::{tally as db_tally, write_tx, DbConn};
use crate::domain::ballot::{DefinitionInput, Privacy};
use crate::domain::election::{
    self as rules, ballot_question, candidate_list, election_result, transition, Announcement,
    CandidateVotes, ElectionResult, Event, FirstMeetingInput, Step, BALLOT_KIND, COUNTING_RULE,
};
use crate::domain::lifecycle::Status;
use crate::domain::tally::Weights;
use crate::domain::tally_record::TallyRecord;
use crate::error::{AppError, AppResult, Msg};
use crate::ledger::{announce, count, service};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PublishInput {
    /// Scrutineers (监票人) of the election's ballot: user ids of the community's scrutineers.
    #[serde(default)]
    pub scrutineers: Vec<i64>,
    /// How many of them must co-sign the final result before it is certified.
    #[serde(default)]
    pub cosignatures_required: i64,
    /// How many owners one proxy (受托人) may represent in the vote, 0 to 20 (absent: 1).
    #[serde(default)]
    pub proxy_cap: Option<i64>,
    /// Which of an owner's ballots counts (docs/verification.md §14.3; absent:
    /// `latest_before_close`).
    #[serde(default)]
    pub conflict_rule: Option<String>,
}

/// The year in China (UTC+8) at `now`, for the ballot's electorate.
fn year_at(now: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(now, 0)
        .map(|t| t.with_timezone(&crate::clock::shanghai()).year())
        .unwrap_or(2026)
}

/// The definition of the election's ballot: one approval question over the listed
/// candidates, the announced voting window.
fn ballot_definition(
    e: &ElectionRow,
    a: &Announcement,
    names: &[String],
    input: &PublishInput,
) -> DefinitionInput {
    DefinitionInput {
        title: e.title.clone(),
        description: format!(
            "本表决选举{seats}名业主委员会委员{alt}，依《中华人民共和国民法典》第二百七十八条：\
             应当由专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决，\
             经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意。\n\n\
             候选人名单及选举全过程记录：选举日志。",
            seats = a.seats,
            alt = if a.alternates > 0 {
                format!("（另设候补委员{}名）", a.alternates)
            } else {
                String::new()
            },
        ),
        kind: BALLOT_KIND.as_str().into(),
        privacy: Privacy::Confidential.as_str().into(),
        counting_rule: COUNTING_RULE.as_str().into(),
        questions: vec![ballot_question(
            &format!("请选出不超过{}名业主委员会委员", a.seats),
            a.seats,
            names,
        )],
        opens_at: a.timetable.voting_opens_at,
        closes_at: a.timetable.voting_closes_at,
        scrutineers: input.scrutineers.clone(),
        cosignatures_required: input.cosignatures_required,
        proxy_cap: input.proxy_cap,
        conflict_rule: input.conflict_rule.clone(),
        ..Default::default()
    }
}

/// Publish the candidate list (公示): the accepted candidates in nomination order. The
/// election's ballot is made from the list and announced at once, so that its notice runs
/// alongside the publication period.
pub fn publish(conn: &mut DbConn, cx: &Scope<'_>, id: i64, input: &PublishInput) -> AppResult<()> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        transition(s.step, Step::Published, &a.timetable, now, &s.progress, "")?;
        let accepted: Vec<(i64, String)> = db::candidates(conn, e.id)?
            .into_iter()
            .filter(|(r, _)| r.status == "accepted")
            .map(|(r, name)| (r.id, name))
            .collect();
        if accepted.is_empty() {
            return Err(AppError::Conflict(Msg::new("election-error-no-candidates")));
        }
        // The ballot's approval question needs two candidates at least.
        if accepted.len() < 2 {
            return Err(AppError::Conflict(Msg::new("election-error-one-candidate")));
        }
        let names: Vec<String> = accepted.iter().map(|(_, n)| n.clone()).collect();
        let def = service::validate(conn, c, &ballot_definition(&e, &a, &names, input))?;
        let draft = db_ballots::insert_draft(
            conn,
            c.id,
            &def,
            c.notice_days,
            &c.notice_reason,
            e.created_by.unwrap_or_default(),
            now,
        )?;
        let b = announce::announce(conn, ledger, c, &draft, year_at(now))?;
        db::set_ballot(conn, e.id, b.id)?;
        let list: Vec<(i64, &str)> = accepted.iter().map(|(i, n)| (*i, n.as_str())).collect();
        record(
            conn,
            ledger,
            c,
            &e,
            Event::Published {
                candidates: candidate_list(&list),
            },
            now,
        )?;
        Ok(())
    })
}

fn ballot_of(conn: &mut DbConn, cx: &Scope<'_>, e: &ElectionRow) -> AppResult<BallotRow> {
    let id = e
        .ballot_id
        .ok_or(AppError::Conflict(Msg::new("election-error-no-ballot")))?;
    service::load_current(conn, cx.ledger, cx.community, id)
}

/// Record that voting has opened: the publication period has run, every objection to the
/// list is answered, and the ballot is open.
pub fn open_voting(conn: &mut DbConn, cx: &Scope<'_>, id: i64) -> AppResult<()> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    let e = db::by_id(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    // Let the ballot's schedule catch up (it opens by itself at its hour) before locking.
    let b = ballot_of(conn, cx, &e)?;
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        transition(s.step, Step::Voting, &a.timetable, now, &s.progress, "")?;
        if b.status() != Status::Open {
            return Err(AppError::Conflict(Msg::new(
                "election-error-ballot-not-open",
            )));
        }
        record(
            conn,
            ledger,
            c,
            &e,
            Event::VotingOpened { ballot: b.id },
            now,
        )?;
        Ok(())
    })
}

/// The election's result from one of its ballot's tally records (and the record's SHA-256).
fn result_from(
    conn: &mut DbConn,
    a: &Announcement,
    ballot_id: i64,
    stage: &str,
) -> AppResult<(ElectionResult, String)> {
    let row = db_tally::record(conn, ballot_id, stage)?
        .ok_or(AppError::Conflict(Msg::new("election-error-not-counted")))?;
    let rec: TallyRecord = serde_json::from_str(&row.record).map_err(AppError::internal)?;
    let q = rec
        .questions
        .first()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ballot {ballot_id}: no question")))?;
    let votes: Vec<CandidateVotes> = q.options.iter().map(CandidateVotes::from).collect();
    let participation = Weights {
        area_centi: rec.participation.area_centi,
        headcount: rec.participation.headcount,
    };
    let result = election_result(
        a.seats as usize,
        a.alternates as usize,
        &votes,
        participation,
        rec.electorate,
    );
    Ok((result, row.sha256))
}

/// Record the preliminary result (计票结果) once the ballot is counted; its objection period
/// starts now.
pub fn count(conn: &mut DbConn, cx: &Scope<'_>, id: i64) -> AppResult<ElectionResult> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    let e = db::by_id(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    let b = ballot_of(conn, cx, &e)?;
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        transition(s.step, Step::Counted, &a.timetable, now, &s.progress, "")?;
        let (result, sha256) = result_from(conn, &a, b.id, count::PRELIMINARY)?;
        record(
            conn,
            ledger,
            c,
            &e,
            Event::Counted {
                ballot: b.id,
                tally_record_sha256: sha256,
                result: result.clone(),
            },
            now,
        )?;
        Ok(result)
    })
}

/// Announce the final result (选举结果公告): the objection period has ended, every objection
/// is answered, and the ballot's final record is certified by its scrutineers.
pub fn certify(conn: &mut DbConn, cx: &Scope<'_>, id: i64) -> AppResult<ElectionResult> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    let e = db::by_id(conn, c.id, id)?.ok_or(AppError::NotFound)?;
    let b = ballot_of(conn, cx, &e)?;
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        transition(s.step, Step::Certified, &a.timetable, now, &s.progress, "")?;
        if b.status() != Status::Certified {
            return Err(AppError::Conflict(Msg::new(
                "election-error-ballot-not-certified",
            )));
        }
        let (result, sha256) = result_from(conn, &a, b.id, count::FINAL)?;
        db::set_certified(conn, e.id, now)?;
        record(
            conn,
            ledger,
            c,
            &e,
            Event::Certified {
                ballot: b.id,
                tally_record_sha256: sha256,
                result: result.clone(),
            },
            now,
        )?;
        Ok(result)
    })
}

/// The certified result's elected members (option ids), from the log.
fn elected(conn: &mut DbConn, e: &ElectionRow) -> AppResult<Vec<String>> {
    let leaves = crate::ledger::election_log::leaves(conn, e.id)?;
    Ok(leaves
        .into_iter()
        .rev()
        .find_map(|l| match l.event {
            Event::Certified { result, .. } => Some(result.elected),
            _ => None,
        })
        .unwrap_or_default())
}

/// Record the new committee's first meeting (within 7 days of the result): its chair and
/// vice-chair, two elected members (by their option ids on the list, `o1`, `o2`, …).
pub fn first_meeting(
    conn: &mut DbConn,
    cx: &Scope<'_>,
    id: i64,
    input: &FirstMeetingInput,
) -> AppResult<()> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        if s.step != Step::Certified {
            return Err(rules::Refusal::IllegalStep {
                from: s.step,
                to: Step::FirstMeetingHeld,
            }
            .into());
        }
        let certified_at = s.progress.certified_at.ok_or(AppError::Conflict(Msg::new(
            "election-error-meeting-before-result",
        )))?;
        let elected = elected(conn, &e)?;
        let m = rules::validate_first_meeting(input, &elected, certified_at, now)?;
        let mut progress = s.progress.clone();
        progress.meeting_at = Some(m.meeting_at);
        transition(
            s.step,
            Step::FirstMeetingHeld,
            &a.timetable,
            now,
            &progress,
            "",
        )?;
        record(conn, ledger, c, &e, Event::first_meeting(&m), now)?;
        Ok(())
    })
}

/// Record the filing (备案) with the street office and the housing authority; whether it was
/// within 30 days of the result is recorded with it.
pub fn file(conn: &mut DbConn, cx: &Scope<'_>, id: i64) -> AppResult<bool> {
    let (ledger, c, now) = (cx.ledger, cx.community, cx.now);
    write_tx(conn, |conn| {
        let e = locked(conn, c, id)?;
        let s = state(conn, &e, now)?;
        let a = announced(&s)?.clone();
        transition(s.step, Step::Filed, &a.timetable, now, &s.progress, "")?;
        let on_time = s
            .progress
            .certified_at
            .is_some_and(|at| now <= rules::filing_due_at(at));
        record(conn, ledger, c, &e, Event::Filed { on_time }, now)?;
        Ok(on_time)
    })
}
