//! Proposals (议题) in the forum (议事亭): their lifecycle, the co-sign (附议) level at which
//! the owners' committee must convene an extraordinary assembly, and the portable path that
//! orders a comment tree on both databases. Pure rules; groundwork for issue #6.

use serde::{Deserialize, Serialize};

use super::ballot::{check_text, invalid, str_enum, Invalid, MAX_DESCRIPTION_CHARS};
use super::headcount::Electorate;
use super::tally::{Threshold, Weights};

str_enum!(
    /// Where a proposal stands.
    Status {
        Draft = "draft",
        /// Open for discussion and co-signing.
        Open = "open",
        /// The organisers are looking at it.
        UnderReview = "under_review",
        /// An organiser gave the official response.
        Answered = "answered",
        /// Turned into a ballot (linked both ways).
        PutToVote = "put_to_vote",
        Closed = "closed",
        /// Withdrawn by its author, with a reason.
        Withdrawn = "withdrawn",
    }
);

str_enum!(
    /// What someone asks for.
    Action {
        Publish = "publish",
        Review = "review",
        Answer = "answer",
        PutToVote = "put_to_vote",
        Close = "close",
        Withdraw = "withdraw",
    }
);

str_enum!(
    /// What a proposal is about.
    Category {
        Parking = "parking",
        Sanitation = "sanitation",
        Pets = "pets",
        Safety = "safety",
        Maintenance = "maintenance",
        PropertyManagement = "property_management",
        Other = "other",
    }
);

/// Who asks: the proposal's author or an organiser of its community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Author,
    Organiser,
}

/// Why a step is refused; each maps to a message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this step is not possible from the proposal's current state")]
    Illegal,
    #[error("only the author may do this")]
    AuthorOnly,
    #[error("only an organiser may do this")]
    OrganiserOnly,
    #[error("a reason is required")]
    ReasonRequired,
}

impl Refusal {
    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::Illegal => "proposal-illegal",
            Refusal::AuthorOnly => "proposal-author-only",
            Refusal::OrganiserOnly => "proposal-organiser-only",
            Refusal::ReasonRequired => "proposal-reason-required",
        }
    }
}

impl Status {
    /// Whether comments and co-signatures are still accepted.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Open | Status::UnderReview)
    }
}

/// The state after `action` by `actor`, or why not. The author publishes a draft and may
/// withdraw it (with a reason) while it is live; organisers review, answer, put to a vote and
/// close (answering and closing need a reason: the response or why it is closed).
pub fn transition(
    from: Status,
    action: Action,
    actor: Actor,
    reason: &str,
) -> Result<Status, Refusal> {
    use Action as A;
    use Status as S;
    let needs_reason = matches!(action, A::Answer | A::Close | A::Withdraw);
    let to = match (from, action) {
        (S::Draft, A::Publish) => S::Open,
        (S::Open, A::Review) => S::UnderReview,
        (S::Open | S::UnderReview, A::Answer) => S::Answered,
        (S::Open | S::UnderReview, A::PutToVote) => S::PutToVote,
        (S::Open | S::UnderReview | S::Answered, A::Close) => S::Closed,
        (S::Draft | S::Open | S::UnderReview, A::Withdraw) => S::Withdrawn,
        _ => return Err(Refusal::Illegal),
    };
    match (action, actor) {
        (A::Publish | A::Withdraw, Actor::Organiser) => return Err(Refusal::AuthorOnly),
        (A::Review | A::Answer | A::PutToVote | A::Close, Actor::Author) => {
            return Err(Refusal::OrganiserOnly)
        }
        _ => {}
    }
    if needs_reason && reason.trim().is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    Ok(to)
}

/// The 2009 Guidance Rules: owners holding 20% or more of the exclusive area, or 20% or more
/// of the owners, may propose an extraordinary assembly. Either count suffices.
pub const EXTRAORDINARY_ASSEMBLY: Threshold = Threshold::at_least(1, 5);

/// Whether the co-signers reach the level at which the committee must convene an
/// extraordinary assembly (`level`, per community; [`EXTRAORDINARY_ASSEMBLY`] by default).
pub fn reaches_assembly_level(cosigners: Weights, community: Weights, level: Threshold) -> bool {
    level.met(cosigners.area_centi, community.area_centi)
        || level.met(cosigners.headcount, community.headcount)
}

/// The longest proposal title.
pub const MAX_PROPOSAL_TITLE_CHARS: usize = 100;

/// A proposal as submitted (API JSON or the form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposalInput {
    pub title: String,
    /// Markdown; sanitised when shown.
    pub body: String,
    /// parking, sanitation, pets, safety, maintenance, property_management or other.
    pub category: String,
    /// A building id for a matter of one building; absent for the whole community.
    #[serde(default)]
    pub building_id: Option<i64>,
}

/// A checked proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub title: String,
    pub body: String,
    pub category: Category,
    pub building_id: Option<i64>,
}

/// Check a submitted proposal; `known_buildings` are the community's building ids.
pub fn validate(input: &ProposalInput, known_buildings: &[i64]) -> Result<Proposal, Vec<Invalid>> {
    let mut problems = Vec::new();
    let title = check_text(
        &mut problems,
        "title",
        &input.title,
        MAX_PROPOSAL_TITLE_CHARS,
        true,
    );
    let body = check_text(
        &mut problems,
        "body",
        &input.body,
        MAX_DESCRIPTION_CHARS,
        true,
    );
    let category = Category::parse(input.category.trim());
    if category.is_none() {
        problems.push(invalid("category", "proposal-error-category"));
    }
    if input
        .building_id
        .is_some_and(|b| !known_buildings.contains(&b))
    {
        problems.push(invalid("building_id", "ballot-error-unknown-building"));
    }
    match category {
        Some(category) if problems.is_empty() => Ok(Proposal {
            title,
            body,
            category,
            building_id: input.building_id,
        }),
        _ => Err(problems),
    }
}

/// The co-signers' weights: the voters of the community's electorate (counted by the roster's
/// headcount rules) that have at least one co-signing owner. Co-owners share one head, as they
/// share one vote; a second co-owner's co-signature adds nothing.
pub fn cosign_weights(electorate: &Electorate, cosigning_owners: &[i64]) -> Weights {
    let mut w = Weights::default();
    for v in &electorate.voters {
        if v.owner_ids.iter().any(|o| cosigning_owners.contains(o)) {
            w.area_centi += v.area;
            w.headcount += 1;
        }
    }
    w
}

/// Replies nest at most this deep (a root comment is depth 1).
pub const MAX_COMMENT_DEPTH: usize = 3;
/// Digits per level of a comment path: up to 99,999,999 siblings.
const SEGMENT: usize = 8;

/// The path of a comment: its ancestors' and its own sibling numbers, each zero-padded, joined
/// with `.` (e.g. `00000003.00000012`). Sorting by path in plain text order (any database's
/// `ORDER BY` on a text column) lists a thread depth first, each reply under its parent.
pub fn comment_path(parent: Option<&str>, sibling: u32) -> Result<String, PathError> {
    let own = format!("{sibling:0SEGMENT$}");
    match parent {
        None => Ok(own),
        Some(p) => {
            if depth(p)? >= MAX_COMMENT_DEPTH {
                return Err(PathError::TooDeep);
            }
            Ok(format!("{p}.{own}"))
        }
    }
}

/// The depth of a well-formed path (1 for a root comment).
pub fn depth(path: &str) -> Result<usize, PathError> {
    let mut n = 0;
    for seg in path.split('.') {
        if seg.len() != SEGMENT || !seg.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PathError::Malformed);
        }
        n += 1;
    }
    Ok(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("replies nest at most three deep")]
    TooDeep,
    #[error("not a comment path")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_lifecycle_and_who_may_move_it() {
        use Action as A;
        use Actor::{Author, Organiser};
        use Status as S;
        assert_eq!(transition(S::Draft, A::Publish, Author, ""), Ok(S::Open));
        assert_eq!(
            transition(S::Draft, A::Publish, Organiser, ""),
            Err(Refusal::AuthorOnly)
        );
        assert_eq!(
            transition(S::Open, A::Review, Author, ""),
            Err(Refusal::OrganiserOnly)
        );
        assert_eq!(
            transition(S::Open, A::Review, Organiser, ""),
            Ok(S::UnderReview)
        );
        assert_eq!(
            transition(S::UnderReview, A::Answer, Organiser, " "),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            transition(S::UnderReview, A::Answer, Organiser, "物业已安排维修"),
            Ok(S::Answered)
        );
        assert_eq!(
            transition(S::Open, A::PutToVote, Organiser, ""),
            Ok(S::PutToVote)
        );
        assert_eq!(
            transition(S::Open, A::Withdraw, Author, ""),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            transition(S::Open, A::Withdraw, Author, "已私下解决"),
            Ok(S::Withdrawn)
        );
        for from in [S::Answered, S::PutToVote, S::Closed, S::Withdrawn] {
            assert_eq!(
                transition(from, A::Withdraw, Author, "x"),
                Err(Refusal::Illegal)
            );
            assert!(!from.is_live());
        }
        assert!(S::Open.is_live() && S::UnderReview.is_live() && !S::Draft.is_live());
    }

    #[test]
    fn the_assembly_level_is_twenty_percent_of_either_count() {
        let community = Weights {
            area_centi: 1_000_000,
            headcount: 250,
        };
        let w = |area_centi, headcount| Weights {
            area_centi,
            headcount,
        };
        let l = EXTRAORDINARY_ASSEMBLY;
        assert!(reaches_assembly_level(w(200_000, 1), community, l));
        assert!(!reaches_assembly_level(w(199_999, 49), community, l));
        assert!(reaches_assembly_level(w(0, 50), community, l));
        assert!(!reaches_assembly_level(w(0, 0), w(0, 0), l));
    }

    #[test]
    fn paths_nest_three_deep_and_sort_as_threads() {
        let a = comment_path(None, 1).unwrap();
        let a1 = comment_path(Some(&a), 1).unwrap();
        let a1x = comment_path(Some(&a1), 2).unwrap();
        assert_eq!(a1x, "00000001.00000001.00000002");
        assert_eq!(comment_path(Some(&a1x), 1), Err(PathError::TooDeep));
        assert_eq!(depth("12"), Err(PathError::Malformed));
        assert_eq!(comment_path(Some("0000000x"), 1), Err(PathError::Malformed));
        let b = comment_path(None, 2).unwrap();
        let mut all = vec![b.clone(), a1x.clone(), a.clone(), a1.clone()];
        all.sort();
        assert_eq!(all, vec![a, a1, a1x, b]);
    }

    proptest! {
        /// Text order of paths is depth-first thread order: a parent comes before its
        /// replies, and siblings by number.
        #[test]
        fn text_order_is_thread_order(x in 0u32..100_000, y in 0u32..100_000, z in 0u32..1000) {
            let px = comment_path(None, x).unwrap();
            let py = comment_path(None, y).unwrap();
            let cx = comment_path(Some(&px), z).unwrap();
            prop_assert!(px < cx);
            prop_assert_eq!(px < py, x < y);
            // A reply of an earlier root still sorts before a later root.
            if x < y {
                prop_assert!(cx < py);
            }
        }
    }
}
