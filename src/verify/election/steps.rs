//! The procedure (docs/verification.md §15.3): the log replayed leaf by leaf with the
//! domain's own rules, exactly as the server applied them when it appended each leaf (the
//! step recorded so far, the schedule's steps at the leaf's `at`, the progress replayed from
//! the leaves before it).

use std::collections::{BTreeMap, HashMap};

use super::{fluent, leaf_at, step_words};
use crate::domain::election::{
    filing_due_at, nomination_window, objection_window, replay, review_window, scheduled,
    transition, Announcement, Decision, Event, EventLeaf, ListedCandidate, NominationKind,
    ObjectionStage, Progress, Refusal, Step, Timetable,
};
use crate::verify::report::{tr, Report, Text};

/// At most this many problems are listed; then the total.
const MAX_LISTED: usize = 20;

/// The `type` of an event, as the leaf names it.
pub(super) fn event_type(e: &Event) -> &'static str {
    match e {
        Event::PreparationGroupFormed { .. } => "preparation_group_formed",
        Event::Announced { .. } => "announced",
        Event::Nominated { .. } => "nominated",
        Event::Reviewed { .. } => "reviewed",
        Event::Published { .. } => "published",
        Event::ObjectionRecorded { .. } => "objection_recorded",
        Event::ObjectionAnswered { .. } => "objection_answered",
        Event::VotingOpened { .. } => "voting_opened",
        Event::Counted { .. } => "counted",
        Event::Certified { .. } => "certified",
        Event::FirstMeeting { .. } => "first_meeting",
        Event::Filed { .. } => "filed",
        Event::Cancelled { .. } => "cancelled",
    }
}

/// A refusal in words; an illegal step names both steps.
fn refusal(r: Refusal) -> Text {
    let t = fluent(r.message_id());
    match r {
        Refusal::IllegalStep { from, to } => {
            let (f, s) = (step_words(from), step_words(to));
            let (tz, te, fz, fe, sz, se) = (&t.zh, &t.en, &f.zh, &f.en, &s.zh, &s.en);
            tr!(
                "{tz}（从「{fz}」到「{sz}」）",
                "{te} (from “{fe}” to “{se}”)"
            )
        }
        _ => t,
    }
}

/// What the replay has seen so far besides the domain's [`Progress`].
#[derive(Default)]
struct Seen {
    announcement: Option<Announcement>,
    /// Nomination id → (kind, masked name).
    nominations: BTreeMap<i64, (NominationKind, String)>,
    decisions: BTreeMap<i64, Decision>,
    /// Objection id → (stage, answered).
    objections: HashMap<i64, (ObjectionStage, bool)>,
    ballot: Option<i64>,
    certified: Option<(i64, Vec<String>)>,
}

impl Seen {
    fn timetable(&self) -> Timetable {
        self.announcement
            .as_ref()
            .map(|a| a.timetable)
            .unwrap_or_default()
    }

    /// The published list: every accepted nomination once, numbered `o1`, `o2`, … in the
    /// list's order, with the name its nomination was recorded with.
    fn list(&self, candidates: &[ListedCandidate]) -> Result<(), Text> {
        for (i, c) in candidates.iter().enumerate() {
            let (want, got, n) = (format!("o{}", i + 1), &c.candidate, c.nomination);
            if *got != want {
                return Err(tr!(
                    "名单第 {i} 位的编号为 {got}，应为 {want}",
                    "the list's entry {i} is numbered {got}, expected {want}"
                ));
            }
            match self.nominations.get(&n) {
                None => {
                    return Err(tr!(
                        "名单上的提名 {n} 从未被记录",
                        "nomination {n} on the list was never recorded"
                    ))
                }
                Some((_, name)) if *name != c.name => {
                    let listed = &c.name;
                    return Err(tr!(
                        "提名 {n} 在名单上为 {listed}，提名时为 {name}",
                        "nomination {n} is listed as {listed} but was nominated as {name}"
                    ));
                }
                Some(_) => {}
            }
            if self.decisions.get(&n) != Some(&Decision::Accepted) {
                return Err(tr!(
                    "提名 {n} 上了名单，却未通过资格审查",
                    "nomination {n} is listed but was not accepted by the review"
                ));
            }
        }
        let listed: Vec<i64> = candidates.iter().map(|c| c.nomination).collect();
        let missing = self
            .decisions
            .iter()
            .find(|(n, d)| **d == Decision::Accepted && !listed.contains(n));
        if let Some((n, _)) = missing {
            return Err(tr!(
                "提名 {n} 通过了资格审查，却不在名单上",
                "nomination {n} was accepted but is not on the list"
            ));
        }
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != listed.len() {
            return Err(tr!("名单上有重复的提名", "a nomination is listed twice"));
        }
        Ok(())
    }
}

/// Check one leaf against everything before it, then take it into `seen`.
fn leaf(
    i: usize,
    leaves: &[EventLeaf],
    recorded: Step,
    progress: &Progress,
    seen: &mut Seen,
) -> Result<(), Text> {
    let l = &leaves[i];
    let at = l.at;
    if matches!(recorded, Step::Filed | Step::Cancelled) {
        let w = step_words(recorded);
        let (zh, en) = (&w.zh, &w.en);
        return Err(tr!(
            "「{zh}」之后不应再有任何记录",
            "nothing may follow “{en}”"
        ));
    }
    let tt = seen.timetable();
    let step = match &seen.announcement {
        Some(a) => scheduled(recorded, &a.timetable, at)
            .last()
            .copied()
            .unwrap_or(recorded),
        None => recorded,
    };
    let go = |to: Step, tt: &Timetable, progress: &Progress, reason: &str| {
        transition(step, to, tt, at, progress, reason)
            .map(|_| ())
            .map_err(refusal)
    };
    match &l.event {
        Event::PreparationGroupFormed { .. } => go(Step::PreparationGroupFormed, &tt, progress, ""),
        Event::Announced { announcement } => {
            go(Step::Announced, &announcement.timetable, progress, "")?;
            seen.announcement = Some(announcement.clone());
            Ok(())
        }
        Event::Nominated {
            nomination,
            kind,
            candidate,
            cosigners,
        } => {
            let a = seen
                .announcement
                .as_ref()
                .ok_or_else(|| fluent("election-error-not-announced"))?;
            if step != Step::Nominating {
                nomination_window(&tt, at).map_err(refusal)?;
                return Err(refusal(Refusal::IllegalStep {
                    from: step,
                    to: Step::Nominating,
                }));
            }
            let (n, c, need) = (*nomination, *cosigners, a.cosigners_required);
            match kind {
                NominationKind::SelfNomination if c != 0 => {
                    return Err(tr!(
                        "自荐却记有 {c} 名联名业主",
                        "a self-nomination with {c} co-signers"
                    ))
                }
                NominationKind::CoSigned if c < need as usize => {
                    return Err(tr!(
                        "联名推荐只有 {c} 名联名业主，公告要求 {need} 名",
                        "a co-signed nomination with {c} co-signers where the announcement requires {need}"
                    ))
                }
                _ => {}
            }
            if seen
                .nominations
                .insert(n, (*kind, candidate.clone()))
                .is_some()
            {
                return Err(tr!(
                    "提名 {n} 被记录了两次",
                    "nomination {n} is recorded twice"
                ));
            }
            Ok(())
        }
        Event::Reviewed {
            nomination,
            decision,
            ..
        } => {
            if seen.announcement.is_none() {
                return Err(fluent("election-error-not-announced"));
            }
            if step != Step::Reviewing {
                review_window(&tt, at).map_err(refusal)?;
                return Err(refusal(Refusal::IllegalStep {
                    from: step,
                    to: Step::Reviewing,
                }));
            }
            let n = *nomination;
            if !seen.nominations.contains_key(&n) {
                return Err(tr!(
                    "审查的提名 {n} 从未被记录",
                    "the reviewed nomination {n} was never recorded"
                ));
            }
            seen.decisions.insert(n, *decision);
            Ok(())
        }
        Event::Published { candidates } => {
            go(Step::Published, &tt, progress, "")?;
            seen.list(candidates)
        }
        Event::ObjectionRecorded {
            stage, objection, ..
        } => {
            if seen.announcement.is_none() {
                return Err(fluent("election-error-not-announced"));
            }
            let want = if progress.counted_at.is_some() {
                ObjectionStage::Result
            } else {
                ObjectionStage::CandidateList
            };
            if *stage != want {
                let (s, w) = (stage.as_str(), want.as_str());
                return Err(tr!(
                    "异议阶段为 {s}，此时应为 {w}",
                    "the objection's stage is {s}, at this point it is {w}"
                ));
            }
            objection_window(*stage, &tt, progress, at).map_err(refusal)?;
            let o = *objection;
            if seen.objections.insert(o, (*stage, false)).is_some() {
                return Err(tr!(
                    "异议 {o} 被记录了两次",
                    "objection {o} is recorded twice"
                ));
            }
            Ok(())
        }
        Event::ObjectionAnswered {
            stage, objection, ..
        } => {
            let o = *objection;
            match seen.objections.get_mut(&o) {
                None => Err(tr!(
                    "答复的异议 {o} 从未被记录",
                    "the answered objection {o} was never recorded"
                )),
                Some((s, _)) if s != stage => {
                    let (s, w) = (stage.as_str(), s.as_str());
                    Err(tr!(
                        "答复的阶段为 {s}，异议的阶段为 {w}",
                        "the answer's stage is {s}, the objection's is {w}"
                    ))
                }
                Some((_, true)) => Err(tr!(
                    "异议 {o} 已经答复过",
                    "objection {o} was already answered"
                )),
                Some((_, answered)) => {
                    *answered = true;
                    Ok(())
                }
            }
        }
        Event::VotingOpened { ballot } => {
            go(Step::Voting, &tt, progress, "")?;
            seen.ballot = Some(*ballot);
            Ok(())
        }
        Event::Counted { ballot, .. } | Event::Certified { ballot, .. } => {
            let to = l.event.step().unwrap_or(Step::Counted);
            go(to, &tt, progress, "")?;
            let b = *ballot;
            match seen.ballot {
                Some(v) if v != b => {
                    return Err(tr!(
                        "结果取自表决 {b}，而开始投票的是表决 {v}",
                        "the result is from ballot {b}, but voting opened on ballot {v}"
                    ))
                }
                _ => {}
            }
            if let Event::Certified { result, .. } = &l.event {
                seen.certified = Some((at, result.elected.clone()));
            }
            Ok(())
        }
        Event::FirstMeeting {
            meeting_at,
            chair,
            vice_chair,
        } => {
            let mut p = progress.clone();
            p.meeting_at = Some(*meeting_at);
            go(Step::FirstMeetingHeld, &tt, &p, "")?;
            let elected = seen
                .certified
                .as_ref()
                .map(|(_, e)| e.as_slice())
                .unwrap_or_default();
            for (zh, en, c) in [
                ("主任", "chair", chair),
                ("副主任", "vice-chair", vice_chair),
            ] {
                if !elected.contains(c) {
                    return Err(tr!(
                        "{zh} {c} 不是当选委员",
                        "the {en} {c} is not an elected member"
                    ));
                }
            }
            if chair == vice_chair {
                return Err(fluent("election-error-chair-is-vice-chair"));
            }
            Ok(())
        }
        Event::Filed { on_time } => {
            go(Step::Filed, &tt, progress, "")?;
            let due = seen.certified.as_ref().map(|(c, _)| filing_due_at(*c));
            let want = due.is_some_and(|due| at <= due);
            if *on_time != want {
                return Err(tr!(
                    "记录的 on_time 为 {on_time}，按结果公告后 30 日应为 {want}",
                    "on_time is recorded as {on_time}, but 30 days from the result make it {want}"
                ));
            }
            Ok(())
        }
        Event::Cancelled { reason } => go(Step::Cancelled, &tt, progress, reason),
    }
}

/// Replay the procedure; returns the step the log has reached.
pub(super) fn check(leaves: &[EventLeaf], report: &mut Report) -> Option<Step> {
    let mut seen = Seen::default();
    let mut problems = 0usize;
    for (i, l) in leaves.iter().enumerate() {
        let checked = match replay(&leaves[..i]) {
            None if matches!(l.event, Event::PreparationGroupFormed { .. }) => Ok(()),
            None => Err(tr!(
                "日志必须以筹备组成立开始",
                "the log must begin with the preparation group"
            )),
            Some((recorded, progress)) => leaf(i, leaves, recorded, &progress, &mut seen),
        };
        if let Err(detail) = checked {
            problems += 1;
            if problems <= MAX_LISTED {
                let ty = event_type(&l.event);
                let (zh, en) = (&detail.zh, &detail.en);
                report.fail(
                    "election.steps",
                    Some(leaf_at(i, Some("type"))),
                    tr!("{ty}：{zh}", "{ty}: {en}"),
                );
            }
        }
    }
    if problems > MAX_LISTED {
        report.fail(
            "election.steps",
            None,
            tr!(
                "共 {problems} 条记录不合程序（只列出前 {MAX_LISTED} 条）",
                "{problems} leaves break the procedure (the first {MAX_LISTED} are listed)"
            ),
        );
    }
    let reached = replay(leaves).map(|(s, _)| s);
    if problems == 0 {
        let (n, k, o) = (
            seen.nominations.len(),
            seen.decisions.len(),
            seen.objections.len(),
        );
        report.pass(
            "election.steps",
            tr!(
                "程序合法：每一步都紧接上一步（或在可取消时取消），且符合公告的时间表；{n} 项提名、{k} 项资格审查、{o} 项异议均在允许的时段内",
                "the procedure is legal: each step follows the one before (or cancels while that is possible) on the announced timetable; nominations ({n}), reviews ({k}) and objections ({o}) all came when allowed"
            ),
        );
    }
    reached
}
