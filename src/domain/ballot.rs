//! Ballots: their definition (questions, scope, window), the answers a voter may give, and the
//! documents that go into the signed record (manifest, electorate snapshot, leaves).
//! The lifecycle lives in [`super::lifecycle`]. Formats: `docs/verification.md`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::custom_rule::{self, CustomRuleInput};
use super::tally::Rule;

/// The default notice period: an owners' assembly is announced at least 15 days before it
/// meets (业主大会和业主委员会指导规则, 2009).
pub const DEFAULT_NOTICE_DAYS: i32 = 15;
pub const MAX_NOTICE_DAYS: i32 = 90;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_QUESTIONS: usize = 50;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 500;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
    };
}
pub(crate) use str_enum;

str_enum!(
    /// What a ballot decides.
    Kind {
        /// 业主大会表决事项 (Civil Code Art. 278)
        AssemblyMatter = "assembly_matter",
        /// 业主委员会选举
        CommitteeElection = "committee_election",
        /// 居民公约 (counted by residents, by head)
        ResidentsConvention = "residents_convention",
        Custom = "custom",
    }
);

str_enum!(
    /// Whether leaves name the voter's rooms (记名公开) or carry a pseudonymous tag.
    Privacy {
        Open = "open",
        Confidential = "confidential",
    }
);

str_enum!(
    /// The counting rule; the presets are applied by the tally.
    CountingRule {
        /// Art. 278 ¶2: more than half of the participating area and headcount.
        Ordinary = "ordinary",
        /// Art. 278 ¶2: at least three quarters of the participating area and headcount.
        Special = "special",
        /// Residents' convention: more than half of the residents taking part.
        ConventionMajority = "convention_majority",
        Custom = "custom",
    }
);

str_enum!(
    QuestionKind {
        /// 同意 / 反对 / 弃权
        YesNo = "yes_no",
        /// Choose exactly one of several.
        Single = "single",
        /// Elect up to k of n candidates.
        Approval = "approval",
    }
);

/// The fixed options of a yes/no question, in order.
pub const YES_NO_OPTIONS: [(&str, &str); 3] =
    [("agree", "同意"), ("disagree", "反对"), ("abstain", "弃权")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotOption {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub text: String,
    pub max_choices: i64,
    pub options: Vec<BallotOption>,
}

/// A question as an organiser submits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuestionInput {
    /// `yes_no`, `single` or `approval`.
    pub kind: String,
    pub text: String,
    /// Option labels (candidates); ignored for `yes_no`.
    #[serde(default)]
    pub options: Vec<String>,
    /// For `approval`: how many may be elected at most.
    #[serde(default)]
    pub max_choices: Option<i64>,
}

/// A problem with a submitted definition or answer: the field and a message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: &'static str,
}

pub(crate) fn invalid(field: impl Into<String>, message: &'static str) -> Invalid {
    Invalid {
        field: field.into(),
        message,
    }
}

pub(crate) fn check_text(
    out: &mut Vec<Invalid>,
    field: &str,
    text: &str,
    max: usize,
    required: bool,
) -> String {
    let t = text.trim();
    if required && t.is_empty() {
        out.push(invalid(field, "ballot-error-required"));
    } else if t.chars().count() > max {
        out.push(invalid(field, "ballot-error-too-long"));
    } else if t
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        out.push(invalid(field, "ballot-error-control-chars"));
    }
    t.replace("\r\n", "\n")
}

/// Validate the questions, assigning ids `q1..` and `o1..`.
pub fn validate_questions(input: &[QuestionInput]) -> Result<Vec<Question>, Vec<Invalid>> {
    let mut problems = Vec::new();
    if input.is_empty() {
        problems.push(invalid("questions", "ballot-error-no-questions"));
    }
    if input.len() > MAX_QUESTIONS {
        problems.push(invalid("questions", "ballot-error-too-many-questions"));
        return Err(problems);
    }
    let mut out = Vec::new();
    for (i, q) in input.iter().enumerate() {
        let field = format!("questions[{i}]");
        let text = check_text(
            &mut problems,
            &format!("{field}.text"),
            &q.text,
            MAX_TEXT_CHARS,
            true,
        );
        let Some(kind) = QuestionKind::parse(q.kind.trim()) else {
            problems.push(invalid(
                format!("{field}.kind"),
                "ballot-error-question-kind",
            ));
            continue;
        };
        let id = format!("q{}", i + 1);
        let (options, max_choices) = match kind {
            QuestionKind::YesNo => (
                YES_NO_OPTIONS
                    .iter()
                    .map(|(id, label)| BallotOption {
                        id: (*id).to_owned(),
                        label: (*label).to_owned(),
                    })
                    .collect(),
                1,
            ),
            QuestionKind::Single | QuestionKind::Approval => {
                let labels: Vec<String> = q
                    .options
                    .iter()
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect();
                if labels.len() < 2 {
                    problems.push(invalid(
                        format!("{field}.options"),
                        "ballot-error-too-few-options",
                    ));
                }
                if labels.len() > MAX_OPTIONS {
                    problems.push(invalid(
                        format!("{field}.options"),
                        "ballot-error-too-many-options",
                    ));
                }
                let distinct: BTreeSet<&String> = labels.iter().collect();
                if distinct.len() != labels.len() {
                    problems.push(invalid(
                        format!("{field}.options"),
                        "ballot-error-duplicate-options",
                    ));
                }
                for (j, l) in labels.iter().enumerate() {
                    check_text(
                        &mut problems,
                        &format!("{field}.options[{j}]"),
                        l,
                        MAX_TEXT_CHARS,
                        true,
                    );
                }
                let max = if kind == QuestionKind::Single {
                    1
                } else {
                    match q.max_choices {
                        Some(k) if k >= 1 && (k as usize) <= labels.len() => k,
                        _ => {
                            problems.push(invalid(
                                format!("{field}.max_choices"),
                                "ballot-error-max-choices",
                            ));
                            1
                        }
                    }
                };
                let options = labels
                    .into_iter()
                    .enumerate()
                    .map(|(j, label)| BallotOption {
                        id: format!("o{}", j + 1),
                        label,
                    })
                    .collect();
                (options, max)
            }
        };
        out.push(Question {
            id,
            kind,
            text,
            max_choices,
            options,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Everything an organiser sets on a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub title: String,
    pub description: String,
    pub kind: Kind,
    /// Empty: the whole community; otherwise the chosen buildings' ids.
    pub scope_buildings: Vec<i64>,
    pub privacy: Privacy,
    pub counting_rule: CountingRule,
    pub questions: Vec<Question>,
    pub opens_at: i64,
    pub closes_at: i64,
    /// The scrutineers (监票人, user ids) to be named in the manifest, in order.
    pub scrutineers: Vec<i64>,
    /// Co-signatures needed before the result can be certified.
    pub cosignatures_required: i64,
    /// With `counting_rule` = `custom`: the rule's parts, checked.
    pub custom_rule: Option<Rule>,
    /// Which ballot of a voter counts, and how many owners one proxy may represent.
    pub casting: super::casting::Terms,
}

/// The most owners one proxy may be allowed to represent in a ballot.
pub const MAX_PROXY_CAP: i64 = 20;

/// At most this many scrutineers per ballot.
pub const MAX_SCRUTINEERS: usize = 15;

/// A definition as submitted (API JSON or the editor form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DefinitionInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: String,
    /// Building ids; empty or absent for the whole community.
    #[serde(default)]
    pub scope_buildings: Vec<i64>,
    #[serde(default = "default_privacy")]
    pub privacy: String,
    #[serde(default = "default_rule")]
    pub counting_rule: String,
    pub questions: Vec<QuestionInput>,
    /// Unix seconds (UTC).
    pub opens_at: i64,
    /// Unix seconds (UTC).
    pub closes_at: i64,
    /// User ids of the scrutineers (监票人) to name in the manifest; each needs a registered
    /// public key when the ballot is announced.
    #[serde(default)]
    pub scrutineers: Vec<i64>,
    /// How many of them must co-sign the final tally record before it can be certified.
    #[serde(default)]
    pub cosignatures_required: i64,
    /// Required with `counting_rule` = `custom`, refused otherwise: the thresholds and the
    /// provision they follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_rule: Option<CustomRuleInput>,
    /// Which of a voter's ballots counts when they cast online, by proxy and on paper
    /// (docs/verification.md §14.3): `latest_before_close` (absent), `paper_final` or
    /// `first_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_rule: Option<String>,
    /// How many owners one proxy (受托人) may represent, 0 to 20 (absent: 1; 0: no proxy
    /// votes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_cap: Option<i64>,
}

fn default_privacy() -> String {
    Privacy::Open.as_str().to_owned()
}

fn default_rule() -> String {
    CountingRule::Ordinary.as_str().to_owned()
}

/// The longest voting window accepted: one year.
pub const MAX_WINDOW_SECS: i64 = 366 * 86_400;

/// Check a submitted definition; `known_buildings` are the community's building ids.
pub fn validate_definition(
    input: &DefinitionInput,
    known_buildings: &[i64],
) -> Result<Definition, Vec<Invalid>> {
    let mut problems = Vec::new();
    let title = check_text(&mut problems, "title", &input.title, MAX_TITLE_CHARS, true);
    let description = check_text(
        &mut problems,
        "description",
        &input.description,
        MAX_DESCRIPTION_CHARS,
        false,
    );
    let kind = Kind::parse(input.kind.trim());
    if kind.is_none() {
        problems.push(invalid("kind", "ballot-error-kind"));
    }
    let privacy = Privacy::parse(input.privacy.trim());
    if privacy.is_none() {
        problems.push(invalid("privacy", "ballot-error-privacy"));
    }
    let counting_rule = CountingRule::parse(input.counting_rule.trim());
    if counting_rule.is_none() {
        problems.push(invalid("counting_rule", "ballot-error-counting-rule"));
    }
    let mut scope: Vec<i64> = input.scope_buildings.clone();
    scope.sort_unstable();
    scope.dedup();
    if scope.iter().any(|b| !known_buildings.contains(b)) {
        problems.push(invalid("scope_buildings", "ballot-error-unknown-building"));
    }
    if input.closes_at <= input.opens_at {
        problems.push(invalid("closes_at", "ballot-error-window-order"));
    } else if input.closes_at - input.opens_at > MAX_WINDOW_SECS {
        problems.push(invalid("closes_at", "ballot-error-window-too-long"));
    }
    if input.opens_at <= 0 {
        problems.push(invalid("opens_at", "ballot-error-window-order"));
    }
    let mut scrutineers = Vec::new();
    for id in &input.scrutineers {
        if !scrutineers.contains(id) {
            scrutineers.push(*id);
        }
    }
    if scrutineers.len() > MAX_SCRUTINEERS {
        problems.push(invalid("scrutineers", "ballot-error-too-many-scrutineers"));
    }
    if input.cosignatures_required < 0 || input.cosignatures_required > scrutineers.len() as i64 {
        problems.push(invalid(
            "cosignatures_required",
            "ballot-error-cosignatures-required",
        ));
    }
    let custom_rule = match (counting_rule, &input.custom_rule) {
        (Some(CountingRule::Custom), Some(parts)) => custom_rule::validate(parts, &mut problems),
        (Some(CountingRule::Custom), None) => {
            problems.push(invalid("custom_rule", "ballot-error-custom-rule-missing"));
            None
        }
        (_, Some(_)) => {
            problems.push(invalid("custom_rule", "ballot-error-custom-rule-unused"));
            None
        }
        (_, None) => None,
    };
    let conflict_rule = match input.conflict_rule.as_deref().map(str::trim) {
        None | Some("") => Some(super::casting::ConflictRule::default()),
        Some(r) => super::casting::ConflictRule::parse(r),
    };
    if conflict_rule.is_none() {
        problems.push(invalid("conflict_rule", "ballot-error-conflict-rule"));
    }
    let proxy_cap = input
        .proxy_cap
        .unwrap_or(i64::from(super::casting::DEFAULT_PROXY_CAP));
    if !(0..=MAX_PROXY_CAP).contains(&proxy_cap) {
        problems.push(invalid("proxy_cap", "ballot-error-proxy-cap"));
    }
    let questions = match validate_questions(&input.questions) {
        Ok(q) => q,
        Err(mut p) => {
            problems.append(&mut p);
            Vec::new()
        }
    };
    match (kind, privacy, counting_rule) {
        (Some(kind), Some(privacy), Some(counting_rule)) if problems.is_empty() => Ok(Definition {
            title,
            description,
            kind,
            scope_buildings: scope,
            privacy,
            counting_rule,
            questions,
            opens_at: input.opens_at,
            closes_at: input.closes_at,
            scrutineers,
            cosignatures_required: input.cosignatures_required,
            custom_rule,
            casting: super::casting::Terms {
                conflict_rule: conflict_rule.unwrap_or_default(),
                proxy_cap: u32::try_from(proxy_cap).unwrap_or(super::casting::DEFAULT_PROXY_CAP),
            },
        }),
        _ => Err(problems),
    }
}

/// One answer in a leaf: the question and the chosen option ids, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    pub choices: Vec<String>,
}

/// Check a voter's answers against the questions: every question answered once, only known
/// options, exactly one for yes/no and single, at most `max_choices` distinct for approval.
/// Returns the answers in question order with sorted choices.
pub fn validate_answers(questions: &[Question], given: &[Answer]) -> Result<Vec<Answer>, Invalid> {
    if given.len() > questions.len() {
        return Err(invalid("answers", "cast-error-unknown-question"));
    }
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let mut found = given.iter().filter(|a| a.question == q.id);
        let Some(answer) = found.next() else {
            return Err(invalid(q.id.clone(), "cast-error-missing-answer"));
        };
        if found.next().is_some() {
            return Err(invalid(q.id.clone(), "cast-error-duplicate-answer"));
        }
        let mut choices = answer.choices.clone();
        choices.sort();
        let before = choices.len();
        choices.dedup();
        if choices.len() != before {
            return Err(invalid(q.id.clone(), "cast-error-duplicate-choice"));
        }
        if choices
            .iter()
            .any(|c| !q.options.iter().any(|o| &o.id == c))
        {
            return Err(invalid(q.id.clone(), "cast-error-unknown-choice"));
        }
        let n = choices.len() as i64;
        let ok = match q.kind {
            QuestionKind::YesNo | QuestionKind::Single => n == 1,
            QuestionKind::Approval => n <= q.max_choices,
        };
        if !ok {
            return Err(invalid(q.id.clone(), "cast-error-choice-count"));
        }
        out.push(Answer {
            question: q.id.clone(),
            choices,
        });
    }
    if given
        .iter()
        .any(|a| !questions.iter().any(|q| q.id == a.question))
    {
        return Err(invalid("answers", "cast-error-unknown-question"));
    }
    Ok(out)
}

/// Mask a name as government voting platforms publish it: the first character, then `*`s.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            let mut s = String::with_capacity(1 + rest);
            s.push(first);
            s.extend(std::iter::repeat_n('*', rest));
            s
        }
    }
}

/// The short form of a tracker: the first 12 hex digits in groups of four.
pub fn short_code(tracker_hex: &str) -> String {
    let head: Vec<char> = tracker_hex.chars().take(12).collect();
    head.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

pub use super::record::*;

str_enum!(
    /// Who the electorate is made of.
    Basis {
        Owners = "owners",
        Residents = "residents",
        HouseholdRepresentatives = "household_representatives",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yes_no(text: &str) -> QuestionInput {
        QuestionInput {
            kind: "yes_no".into(),
            text: text.into(),
            options: vec![],
            max_choices: None,
        }
    }

    fn approval(k: i64, n: usize) -> QuestionInput {
        QuestionInput {
            kind: "approval".into(),
            text: "选举业委会委员".into(),
            options: (1..=n).map(|i| format!("候选人{i}")).collect(),
            max_choices: Some(k),
        }
    }

    fn input() -> DefinitionInput {
        DefinitionInput {
            title: "加装电梯".into(),
            description: "**说明**".into(),
            kind: "assembly_matter".into(),
            scope_buildings: vec![2],
            privacy: "open".into(),
            counting_rule: "special".into(),
            questions: vec![yes_no("是否同意加装电梯？"), approval(2, 3)],
            opens_at: 1_800_000_000,
            closes_at: 1_800_086_400,
            scrutineers: vec![],
            cosignatures_required: 0,
            custom_rule: None,
            conflict_rule: None,
            proxy_cap: None,
        }
    }

    #[test]
    fn valid_definition_gets_ids() {
        let d = validate_definition(&input(), &[1, 2]).unwrap();
        assert_eq!(d.questions[0].id, "q1");
        assert_eq!(d.questions[0].options.len(), 3);
        assert_eq!(d.questions[1].options[2].id, "o3");
        assert_eq!(d.questions[1].max_choices, 2);
        assert_eq!(d.scope_buildings, vec![2]);
    }

    #[test]
    fn invalid_definitions_name_their_fields() {
        let mut i = input();
        i.title = " ".into();
        i.kind = "vote".into();
        i.scope_buildings = vec![9];
        i.closes_at = i.opens_at;
        i.questions.push(approval(4, 3));
        i.questions.push(QuestionInput {
            kind: "single".into(),
            text: "x".into(),
            options: vec!["a".into(), "a".into()],
            max_choices: None,
        });
        let errs = validate_definition(&i, &[1, 2]).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "title",
            "kind",
            "scope_buildings",
            "closes_at",
            "questions[2].max_choices",
            "questions[3].options",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let mut i = input();
        i.questions.clear();
        assert!(validate_definition(&i, &[]).is_err());
    }

    fn answer(q: &str, c: &[&str]) -> Answer {
        Answer {
            question: q.into(),
            choices: c.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn answers_are_checked() {
        let d = validate_definition(&input(), &[1, 2]).unwrap();
        let q = &d.questions;
        let ok =
            validate_answers(q, &[answer("q2", &["o3", "o1"]), answer("q1", &["agree"])]).unwrap();
        assert_eq!(ok[0], answer("q1", &["agree"]));
        assert_eq!(ok[1], answer("q2", &["o1", "o3"]));
        // Blank approval is allowed.
        assert!(validate_answers(q, &[answer("q1", &["abstain"]), answer("q2", &[])]).is_ok());
        let bad = [
            vec![answer("q1", &["agree"])],
            vec![answer("q1", &["yes"]), answer("q2", &[])],
            vec![answer("q1", &["agree", "disagree"]), answer("q2", &[])],
            vec![answer("q1", &[]), answer("q2", &[])],
            vec![answer("q1", &["agree"]), answer("q2", &["o1", "o2", "o3"])],
            vec![answer("q1", &["agree"]), answer("q2", &["o1", "o1"])],
            vec![answer("q1", &["agree"]), answer("q2", &["o4"])],
            vec![
                answer("q1", &["agree"]),
                answer("q2", &[]),
                answer("q3", &[]),
            ],
            vec![
                answer("q1", &["agree"]),
                answer("q1", &["agree"]),
                answer("q2", &[]),
            ],
        ];
        for b in bad {
            assert!(validate_answers(q, &b).is_err(), "{b:?} accepted");
        }
    }

    #[test]
    fn masks_and_codes() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳明月"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
        assert_eq!(short_code("1a2b3c4d5e6f7788"), "1a2b-3c4d-5e6f");
        assert_eq!(
            origin("y.example", "sanyijing", 3),
            "y.example/sanyijing/ballots/3"
        );
    }

    #[test]
    fn leaf_json_has_only_its_mode_fields() {
        let leaf = Leaf {
            format: LEAF_FORMAT.into(),
            origin: "o".into(),
            ballot: 1,
            cast_id: "00".into(),
            cast_at: 5,
            area_centi: 8950,
            headcount: 1,
            answers: vec![answer("q1", &["agree"])],
            voter: None,
            rooms: None,
            tag: Some("ab".into()),
            channel: None,
            proxy: None,
            paper: None,
            corrects: None,
        };
        let v = serde_json::to_value(&leaf).unwrap();
        assert!(v.get("voter").is_none() && v.get("rooms").is_none());
        assert_eq!(v["tag"], "ab");
    }

    proptest! {
        /// Whatever is submitted, accepted answers only name known options within the limits.
        #[test]
        fn accepted_answers_fit(k in 1i64..4, picks in proptest::collection::vec(0usize..6, 0..6), yn in 0usize..4) {
            let d = validate_definition(&DefinitionInput { questions: vec![yes_no("q"), approval(k, 4)], ..input() }, &[2]).unwrap();
            let yn_choice = ["agree", "disagree", "abstain", "maybe"][yn];
            let given = vec![
                answer("q1", &[yn_choice]),
                Answer { question: "q2".into(), choices: picks.iter().map(|p| format!("o{p}")).collect() },
            ];
            if let Ok(a) = validate_answers(&d.questions, &given) {
                prop_assert!(yn < 3);
                prop_assert!(a[1].choices.len() as i64 <= k);
                for c in &a[1].choices {
                    prop_assert!(["o1", "o2", "o3", "o4"].contains(&c.as_str()));
                }
            } else {
                let distinct: BTreeSet<_> = picks.iter().collect();
                prop_assert!(yn == 3 || picks.iter().any(|p| *p == 0 || *p > 4) || distinct.len() != picks.len() || picks.len() as i64 > k);
            }
        }
    }
}
