//! The tally record (计票结果记录, docs/verification.md §10): the recount of a ballot's log,
//! the rule applied with its citation, the objection period and the objections handled, as
//! one canonical JSON document signed with the ballot key and co-signed by the scrutineers.
//!
//! [`Recount`] streams the log's leaves (one effective ballot per voter, later leaves
//! superseding earlier ones) in constant memory per voter, so the server and the offline
//! verifier count with the same code from the same public data.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ballot::{validate_answers, Answer, Question, QuestionKind};
use super::casting::{self, Channel, ConflictRule, Entry};
use super::record::Manifest;
use super::tally::{evaluate, QuestionTally, Rule, Weights};

pub const TALLY_FORMAT: &str = "yishiting/tally/v1";
/// Prefixed to `JCS(record)` before the ballot key signs it, so a tally signature can never
/// be taken for a manifest or checkpoint signature made with the same key.
pub const RECORD_CONTEXT: &str = "yishiting-tally-record-v1\n";
/// Prefixed to the record's SHA-256 (hex, then `\n`) before a scrutineer signs it.
pub const COSIGNATURE_CONTEXT: &str = "yishiting-tally-cosignature-v1\n";
/// The scrutineer key file format (`yishiting key generate`, or the browser).
pub const SCRUTINEER_KEY_FORMAT: &str = "yishiting/scrutineer-key/v1";
/// The default objection period (询异公示), in days.
pub const DEFAULT_OBJECTION_DAYS: i64 = 7;

/// The bytes the ballot key signs for a record.
pub fn record_message(record_jcs: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(RECORD_CONTEXT.len() + record_jcs.len());
    m.extend_from_slice(RECORD_CONTEXT.as_bytes());
    m.extend_from_slice(record_jcs);
    m
}

/// The bytes a scrutineer signs: the context, the record's SHA-256 in lower-case hex, `\n`.
pub fn cosignature_message(record_sha256_hex: &str) -> Vec<u8> {
    format!("{COSIGNATURE_CONTEXT}{record_sha256_hex}\n").into_bytes()
}

/// The rule a manifest fixes: its own, or (for manifests written before rules were
/// embedded) the preset of its counting rule.
pub fn rule_of(manifest: &Manifest) -> Rule {
    manifest
        .rule
        .clone()
        .unwrap_or_else(|| Rule::preset(manifest.counting_rule))
}

/// Who a leaf counts for: the voter index (open mode) or the voter tag (confidential mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoterKey {
    Index(i64),
    Tag(u128),
}

impl VoterKey {
    /// A confidential-mode tag: exactly 32 lower-case hex digits.
    pub fn tag(hex: &str) -> Option<VoterKey> {
        let ok = hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| u128::from_str_radix(hex, 16).ok().map(VoterKey::Tag))
            .flatten()
    }
}

/// Why a leaf's answers cannot be counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecountError {
    #[error("answers are not valid for the questions: {0}")]
    Invalid(String),
    #[error("answers are not in canonical form (question order, choices sorted)")]
    NotCanonical,
}

#[derive(Debug, Clone)]
struct Effective {
    leaf_index: u64,
    weights: Weights,
    /// Indices into the flattened option list of all questions.
    choices: Box<[u16]>,
}

/// An answer as [`compact_choices`] reads it: owned ([`Answer`]) or borrowed from a parsed
/// leaf (the offline verifier's).
pub trait AnswerView {
    type Choice: AsRef<str>;
    fn question(&self) -> &str;
    fn choices(&self) -> &[Self::Choice];
}

impl AnswerView for Answer {
    type Choice = String;
    fn question(&self) -> &str {
        &self.question
    }
    fn choices(&self) -> &[String] {
        &self.choices
    }
}

/// Check a leaf's answers (valid for the questions, and canonical: question order, choices
/// sorted) and give its choices as indices into the flattened option list of all questions.
pub fn compact_choices<A: AnswerView>(
    questions: &[Question],
    answers: &[A],
) -> Result<Box<[u16]>, RecountError> {
    if let Some(choices) = canonical_choices(questions, answers) {
        return Ok(choices);
    }
    // Not canonical, or not valid: say which, as the full validation does.
    let answers: Vec<Answer> = answers
        .iter()
        .map(|a| Answer {
            question: a.question().to_owned(),
            choices: a.choices().iter().map(|c| c.as_ref().to_owned()).collect(),
        })
        .collect();
    let valid = validate_answers(questions, &answers)
        .map_err(|e| RecountError::Invalid(format!("{}: {}", e.field, e.message)))?;
    if valid != answers {
        return Err(RecountError::NotCanonical);
    }
    // Valid and canonical answers always pass the fast path (property-tested below).
    canonical_choices(questions, &answers).ok_or(RecountError::NotCanonical)
}

/// The fast path of [`compact_choices`], without allocating for the check: `Some` exactly when
/// the answers are valid and already canonical (one per question, in question order, choices
/// known, strictly ascending, as many as the question allows).
fn canonical_choices<A: AnswerView>(questions: &[Question], answers: &[A]) -> Option<Box<[u16]>> {
    if answers.len() != questions.len() {
        return None;
    }
    let mut out = Vec::with_capacity(answers.iter().map(|a| a.choices().len()).sum());
    let mut off = 0usize;
    for (q, a) in questions.iter().zip(answers) {
        let choices = a.choices();
        if a.question() != q.id || choices.windows(2).any(|w| w[0].as_ref() >= w[1].as_ref()) {
            return None;
        }
        let n = choices.len() as i64;
        let count_ok = match q.kind {
            QuestionKind::YesNo | QuestionKind::Single => n == 1,
            QuestionKind::Approval => n <= q.max_choices,
        };
        if !count_ok {
            return None;
        }
        for c in choices {
            let i = q.options.iter().position(|o| o.id == c.as_ref())?;
            out.push(u16::try_from(off + i).ok()?);
        }
        off += q.options.len();
    }
    Some(out.into_boxed_slice())
}

/// The running recount of a ballot's log.
#[derive(Debug)]
pub struct Recount<'q> {
    questions: &'q [Question],
    /// Offset of each question's first option in the flattened option list.
    offsets: Vec<usize>,
    /// Voters with online ballots only: the one that counts.
    effective: HashMap<VoterKey, Effective, foldhash::fast::RandomState>,
    /// Voters with a proxy or paper ballot: the ballots that may still count
    /// ([`casting::prune`]), decided by [`casting::effective`].
    mixed: HashMap<VoterKey, Vec<(Entry, Effective)>, foldhash::fast::RandomState>,
    rule: ConflictRule,
    closes_at: i64,
    cast: u64,
}

impl<'q> Recount<'q> {
    pub fn new(questions: &'q [Question]) -> Self {
        Self::with_capacity(questions, 0)
    }

    /// A recount with room for `voters` effective ballots (the electorate's size).
    pub fn with_capacity(questions: &'q [Question], voters: usize) -> Self {
        let mut offsets = Vec::with_capacity(questions.len());
        let mut at = 0;
        for q in questions {
            offsets.push(at);
            at += q.options.len();
        }
        Self {
            questions,
            offsets,
            effective: HashMap::with_capacity_and_hasher(voters, Default::default()),
            mixed: HashMap::default(),
            rule: ConflictRule::default(),
            closes_at: i64::MAX,
            cast: 0,
        }
    }

    /// Count under a ballot's conflict rule (docs/verification.md §14.3); ballots cast at or
    /// after `closes_at` are not considered. Without it: the default rule, no close.
    pub fn with_rule(mut self, rule: ConflictRule, closes_at: i64) -> Self {
        self.rule = rule;
        self.closes_at = closes_at;
        self
    }

    /// Add the next leaf of the log. Returns the index of the leaf it supersedes, if any.
    pub fn add(
        &mut self,
        leaf_index: u64,
        key: VoterKey,
        weights: Weights,
        answers: &[Answer],
    ) -> Result<Option<u64>, RecountError> {
        let choices = compact_choices(self.questions, answers)?;
        Ok(self.add_compact(leaf_index, key, weights, choices))
    }

    /// [`Recount::add`] with answers already checked by [`compact_choices`] against the same
    /// questions (the offline verifier checks them on several threads, then adds in order).
    pub fn add_compact(
        &mut self,
        leaf_index: u64,
        key: VoterKey,
        weights: Weights,
        choices: Box<[u16]>,
    ) -> Option<u64> {
        self.add_entry(Entry::online(leaf_index, i64::MIN), key, weights, choices)
    }

    /// Add the next leaf of the log as the entry its channel makes it (`entry.seq` is its leaf
    /// index). For an online ballot of a voter with online ballots only, returns the index of
    /// the leaf it supersedes, if any (under `first_only`: its own index, as the first stands).
    pub fn add_entry(
        &mut self,
        entry: Entry,
        key: VoterKey,
        weights: Weights,
        choices: Box<[u16]>,
    ) -> Option<u64> {
        self.cast += 1;
        let ballot = Effective {
            leaf_index: entry.seq,
            weights,
            choices,
        };
        let considered = entry.cast_at < self.closes_at;
        if entry.channel == Channel::Online
            && considered
            && (self.mixed.is_empty() || !self.mixed.contains_key(&key))
        {
            if self.rule == ConflictRule::FirstOnly && self.effective.contains_key(&key) {
                return Some(entry.seq);
            }
            return self.effective.insert(key, ballot).map(|e| e.leaf_index);
        }
        let (rule, closes_at) = (self.rule, self.closes_at);
        let kept = self.mixed.entry(key).or_default();
        if let Some(online) = self.effective.remove(&key) {
            kept.push((Entry::online(online.leaf_index, i64::MIN), online));
        }
        kept.push((entry, ballot));
        casting::prune(kept, |(e, _)| *e, rule, closes_at);
        None
    }

    /// The ballot that counts for a voter with a proxy or paper ballot.
    fn decide<'a>(&self, kept: &'a [(Entry, Effective)]) -> Option<&'a Effective> {
        let entries: Vec<Entry> = kept.iter().map(|(e, _)| *e).collect();
        let seq = casting::effective(&entries, self.rule, self.closes_at)?;
        kept.iter().find(|(e, _)| e.seq == seq).map(|(_, b)| b)
    }

    /// Every effective ballot, with its voter.
    fn counted_ballots(&self) -> impl Iterator<Item = (&VoterKey, &Effective)> + '_ {
        self.effective.iter().chain(
            self.mixed
                .iter()
                .filter_map(|(k, kept)| self.decide(kept).map(|b| (k, b))),
        )
    }

    /// Leaves added.
    pub fn cast(&self) -> u64 {
        self.cast
    }
    /// Effective ballots: one per voter (none for a voter whose ballots none counts, e.g. an
    /// unconfirmed paper).
    pub fn counted(&self) -> u64 {
        self.counted_ballots().count() as u64
    }
    /// The weights of the effective ballots, in no particular order.
    pub fn effective_weights(&self) -> impl Iterator<Item = Weights> + '_ {
        self.counted_ballots().map(|(_, e)| e.weights)
    }
    /// The effective ballot's leaf index for a voter.
    pub fn effective_leaf(&self, key: &VoterKey) -> Option<u64> {
        match self.mixed.get(key) {
            Some(kept) => self.decide(kept).map(|e| e.leaf_index),
            None => self.effective.get(key).map(|e| e.leaf_index),
        }
    }

    /// The count under `rule`.
    pub fn tally(&self, rule: &Rule, electorate: Weights) -> super::tally::Tally {
        let n: usize = self.questions.iter().map(|q| q.options.len()).sum();
        let mut flat = vec![Weights::default(); n];
        let mut participation = Weights::default();
        let mut counted = 0;
        for (_, e) in self.counted_ballots() {
            counted += 1;
            participation += e.weights;
            for &c in e.choices.iter() {
                if let Some(slot) = flat.get_mut(usize::from(c)) {
                    *slot += e.weights;
                }
            }
        }
        let approving: Vec<Vec<Weights>> = self
            .questions
            .iter()
            .zip(&self.offsets)
            .map(|(q, &off)| flat[off..off + q.options.len()].to_vec())
            .collect();
        evaluate(
            self.questions,
            rule,
            electorate,
            participation,
            counted,
            &approving,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Published at close (初步结果), open to objections.
    Preliminary,
    /// After the objection period, with the objections and how each was handled.
    Final,
}

/// The final checkpoint the count covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCheckpoint {
    pub size: u64,
    /// The root hash, hex.
    pub root: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotCounts {
    /// Leaves in the log.
    pub cast: u64,
    /// Effective ballots (one per voter).
    pub counted: u64,
    /// Leaves superseded by a later one of the same voter.
    pub superseded: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participation {
    pub area_centi: i64,
    pub headcount: i64,
    pub area_met: Option<bool>,
    pub headcount_met: bool,
    pub met: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectionPeriod {
    pub days: i64,
    pub ends_at: i64,
}

/// An objection (异议) raised in the objection period and how it was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    pub id: i64,
    pub received_at: i64,
    pub text: String,
    pub response: String,
    pub responded_at: i64,
}

/// The tally record (docs/verification.md §10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyRecord {
    pub format: String,
    pub origin: String,
    pub ballot: i64,
    pub stage: Stage,
    pub manifest_sha256: String,
    pub snapshot_sha256: String,
    pub checkpoint: RecordCheckpoint,
    pub ballots: BallotCounts,
    pub rule: Rule,
    pub electorate: Weights,
    pub participation: Participation,
    pub questions: Vec<QuestionTally>,
    pub tallied_at: i64,
    pub objection_period: ObjectionPeriod,
    /// Final records: the SHA-256 of `JCS(preliminary record)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preliminary_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objections: Option<Vec<Objection>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalised_at: Option<i64>,
}

/// What a preliminary record is built from besides the recount.
#[derive(Debug, Clone)]
pub struct RecordInput<'a> {
    pub manifest: &'a Manifest,
    pub manifest_sha256: String,
    pub checkpoint: RecordCheckpoint,
    pub tallied_at: i64,
    pub objection_days: i64,
}

/// The preliminary record of a recount.
pub fn preliminary(input: RecordInput<'_>, recount: &Recount<'_>) -> TallyRecord {
    let m = input.manifest;
    let rule = rule_of(m);
    let electorate = Weights {
        area_centi: m.electorate.area_centi,
        headcount: m.electorate.headcount,
    };
    let t = recount.tally(&rule, electorate);
    TallyRecord {
        format: TALLY_FORMAT.to_owned(),
        origin: m.origin.clone(),
        ballot: m.ballot,
        stage: Stage::Preliminary,
        manifest_sha256: input.manifest_sha256,
        snapshot_sha256: m.electorate.snapshot_sha256.clone(),
        checkpoint: input.checkpoint,
        ballots: BallotCounts {
            cast: recount.cast(),
            counted: recount.counted(),
            superseded: recount.cast() - recount.counted(),
        },
        rule,
        electorate,
        participation: Participation {
            area_centi: t.participation.area_centi,
            headcount: t.participation.headcount,
            area_met: t.participation_area_met,
            headcount_met: t.participation_headcount_met,
            met: t.participation_met,
        },
        questions: t.questions,
        tallied_at: input.tallied_at,
        objection_period: ObjectionPeriod {
            days: input.objection_days,
            ends_at: input
                .tallied_at
                .saturating_add(input.objection_days.saturating_mul(86_400)),
        },
        preliminary_sha256: None,
        objections: None,
        finalised_at: None,
    }
}

/// The final record: the preliminary count with the objections handled.
pub fn finalise(
    prelim: &TallyRecord,
    preliminary_sha256: String,
    objections: Vec<Objection>,
    finalised_at: i64,
) -> TallyRecord {
    TallyRecord {
        stage: Stage::Final,
        preliminary_sha256: Some(preliminary_sha256),
        objections: Some(objections),
        finalised_at: Some(finalised_at),
        ..prelim.clone()
    }
}

/// A scrutineer's co-signature over a final record (docs/verification.md §10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosignature {
    /// Index into `manifest.scrutineers`.
    pub scrutineer: i64,
    pub name: String,
    /// Base64 of the scrutineer's 32-byte Ed25519 public key.
    pub public_key: String,
    pub signed_at: i64,
    /// Base64 of the Ed25519 signature over [`cosignature_message`].
    pub signature: String,
}

/// A record with the ballot key's signature over [`record_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedRecord {
    pub record: TallyRecord,
    pub signature: String,
}

#[cfg(test)]
mod tests {

    mod casting_rules {
        use super::super::*;
        use crate::domain::ballot::{BallotOption, Question, QuestionKind};
        use proptest::prelude::*;

        fn question() -> Vec<Question> {
            vec![Question {
                id: "q1".into(),
                kind: QuestionKind::Single,
                text: "?".into(),
                max_choices: 1,
                options: vec![
                    BallotOption {
                        id: "o1".into(),
                        label: "a".into(),
                    },
                    BallotOption {
                        id: "o2".into(),
                        label: "b".into(),
                    },
                ],
            }]
        }

        /// (voter, channel, confirmed, corrects one of the voter's earlier papers, cast_at)
        fn ledger() -> impl Strategy<Value = Vec<(u8, u8, bool, Option<u8>, i64)>> {
            prop::collection::vec(
                (
                    0u8..3,
                    0u8..3,
                    any::<bool>(),
                    prop::option::of(0u8..8),
                    0i64..20,
                ),
                0..24,
            )
        }

        fn rules() -> impl Strategy<Value = ConflictRule> {
            prop::sample::select(ConflictRule::ALL.to_vec())
        }

        proptest! {
            /// The streaming recount counts, per voter, exactly the ballot the casting rule
            /// picks from all of the voter's ballots.
            #[test]
            fn the_recount_applies_the_casting_rule(raw in ledger(), rule in rules(), closes_at in 5i64..25) {
                let qs = question();
                let mut recount = Recount::new(&qs).with_rule(rule, closes_at);
                let mut all: std::collections::BTreeMap<u8, Vec<Entry>> = Default::default();
                for (seq, (voter, ch, confirmed, corrects, cast_at)) in raw.into_iter().enumerate() {
                    let seq = seq as u64;
                    let mine = all.entry(voter).or_default();
                    let channel = [Channel::Online, Channel::Proxy, Channel::Paper][ch as usize];
                    // A correction names an earlier original paper of the same voter.
                    let corrects = match (channel, corrects) {
                        (Channel::Paper, Some(k)) => mine
                            .iter()
                            .filter(|e| e.channel == Channel::Paper && e.corrects.is_none())
                            .nth(k as usize % 4)
                            .map(|e| e.seq),
                        _ => None,
                    };
                    let e = Entry { seq, channel, cast_at, confirmed: channel == Channel::Paper && confirmed, corrects };
                    mine.push(e);
                    let w = Weights { area_centi: 100 + i64::from(voter), headcount: 1 };
                    recount.add_entry(e, VoterKey::Index(i64::from(voter)), w, vec![0u16].into_boxed_slice());
                }
                let mut counted = 0;
                for (voter, entries) in &all {
                    let want = casting::effective(entries, rule, closes_at);
                    prop_assert_eq!(recount.effective_leaf(&VoterKey::Index(i64::from(*voter))), want);
                    counted += usize::from(want.is_some());
                }
                prop_assert_eq!(recount.counted(), counted as u64);
                let t = recount.tally(&Rule::preset(crate::domain::ballot::CountingRule::Ordinary), Weights { area_centi: 1000, headcount: 3 });
                prop_assert_eq!(t.ballots, counted);
            }
        }
    }
    use super::*;
    use crate::domain::ballot::{validate_questions, QuestionInput};
    use crate::domain::tally::tally as plain_tally;
    use crate::domain::tally::Counted;
    use proptest::prelude::*;

    fn questions() -> Vec<Question> {
        validate_questions(&[
            QuestionInput {
                kind: "yes_no".into(),
                text: "续聘".into(),
                options: vec![],
                max_choices: None,
            },
            QuestionInput {
                kind: "approval".into(),
                text: "选举".into(),
                options: vec!["甲".into(), "乙".into(), "丙".into()],
                max_choices: Some(2),
            },
        ])
        .unwrap()
    }

    fn answers(yes_no: usize, picks: &[usize]) -> Vec<Answer> {
        let mut p: Vec<String> = picks.iter().map(|i| format!("o{}", i + 1)).collect();
        p.sort();
        p.dedup();
        vec![
            Answer {
                question: "q1".into(),
                choices: vec![["abstain", "agree", "disagree"][yes_no].into()],
            },
            Answer {
                question: "q2".into(),
                choices: p,
            },
        ]
    }

    #[test]
    fn later_leaves_supersede_and_noncanonical_answers_are_refused() {
        let qs = questions();
        let mut r = Recount::new(&qs);
        let w = Weights {
            area_centi: 100,
            headcount: 1,
        };
        assert_eq!(r.add(0, VoterKey::Index(3), w, &answers(1, &[0])), Ok(None));
        assert_eq!(r.add(1, VoterKey::Index(4), w, &answers(2, &[])), Ok(None));
        assert_eq!(
            r.add(2, VoterKey::Index(3), w, &answers(2, &[1])),
            Ok(Some(0))
        );
        assert_eq!((r.cast(), r.counted()), (3, 2));
        assert_eq!(r.effective_leaf(&VoterKey::Index(3)), Some(2));
        let mut unsorted = answers(1, &[0, 1]);
        unsorted[1].choices.reverse();
        assert_eq!(
            r.add(3, VoterKey::Index(5), w, &unsorted),
            Err(RecountError::NotCanonical)
        );
        let mut wrong = answers(1, &[]);
        wrong[0].choices = vec!["maybe".into()];
        assert!(matches!(
            r.add(3, VoterKey::Index(5), w, &wrong),
            Err(RecountError::Invalid(_))
        ));
        assert_eq!(r.cast(), 3, "refused leaves are not counted");
    }

    #[test]
    fn tags_are_exactly_32_hex_digits() {
        assert!(VoterKey::tag("0123456789abcdef0123456789abcdef").is_some());
        assert!(VoterKey::tag("0123456789ABCDEF0123456789abcdef").is_none());
        assert!(VoterKey::tag("0123").is_none());
        assert!(VoterKey::tag("+123456789abcdef0123456789abcdef").is_none());
    }

    proptest! {
        /// The allocation-free fast path accepts exactly what the full validation accepts
        /// unchanged, and compacts the same way.
        #[test]
        fn fast_path_agrees_with_full_validation(
            q1 in proptest::collection::vec(
                proptest::sample::select(vec!["agree", "disagree", "abstain", "maybe"]), 0..3),
            q2 in proptest::collection::vec(
                proptest::sample::select(vec!["o1", "o2", "o3", "o4"]), 0..4),
            swap: bool, drop_one: bool,
        ) {
            let qs = questions();
            let mut a = vec![
                Answer { question: "q1".into(), choices: q1.iter().map(|s| s.to_string()).collect() },
                Answer { question: "q2".into(), choices: q2.iter().map(|s| s.to_string()).collect() },
            ];
            if swap { a.swap(0, 1); }
            if drop_one { a.pop(); }
            let full_ok = validate_answers(&qs, &a).is_ok_and(|v| v == a);
            prop_assert_eq!(canonical_choices(&qs, &a).is_some(), full_ok);
            prop_assert_eq!(compact_choices(&qs, &a).is_ok(), full_ok);
        }

        /// The streaming recount equals the plain tally over the last ballot of each voter.
        #[test]
        fn recount_equals_plain_tally_of_effective_ballots(
            leaves in proptest::collection::vec(
                (0i64..12, 0usize..3, proptest::collection::vec(0usize..3, 0..3)), 0..60),
            areas in proptest::collection::vec(0i64..20_000, 12),
        ) {
            let qs = questions();
            let rule = Rule::preset(crate::domain::ballot::CountingRule::Ordinary);
            let electorate = Weights { area_centi: areas.iter().sum(), headcount: 12 };
            let mut r = Recount::new(&qs);
            let mut last: HashMap<i64, Vec<Answer>> = HashMap::new();
            for (i, (voter, yn, picks)) in leaves.iter().enumerate() {
                let a = answers(*yn, picks);
                let w = Weights { area_centi: areas[*voter as usize], headcount: 1 };
                r.add(i as u64, VoterKey::Index(*voter), w, &a).unwrap();
                last.insert(*voter, a);
            }
            let mut voters: Vec<_> = last.keys().copied().collect();
            voters.sort();
            let counted: Vec<Counted> = voters.iter().map(|v| Counted {
                weights: Weights { area_centi: areas[*v as usize], headcount: 1 },
                answers: &last[v],
            }).collect();
            prop_assert_eq!(r.tally(&rule, electorate), plain_tally(&qs, &rule, electorate, &counted));
            prop_assert_eq!(r.counted() as usize, voters.len());
        }
    }
}
