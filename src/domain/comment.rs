//! Comments under a proposal: stances, reports and their reasons, auto-hide, sorting and
//! moderation. Pure rules; the thread order itself is [`super::proposal::comment_path`].

use serde::{Deserialize, Serialize};

use super::ballot::{check_text, invalid, str_enum, Invalid};

/// The longest comment.
pub const MAX_COMMENT_CHARS: usize = 5_000;
/// The longest moderation or report reason.
pub const MAX_REASON_CHARS: usize = 500;
/// Root comments per page.
pub const PAGE_SIZE: i64 = 20;
/// Replies shown under each root comment on the proposal page; the thread page shows all.
pub const REPLIES_SHOWN: i64 = 20;
/// The default number of reports that hide a comment pending review.
pub const DEFAULT_HIDE_AFTER: i32 = 3;

str_enum!(
    /// A root comment's declared position: labelled as a stance, never counted as a vote.
    Stance {
        Support = "support",
        Oppose = "oppose",
        Neutral = "neutral",
    }
);

str_enum!(
    /// Why a comment is reported.
    ReportReason {
        Spam = "spam",
        Abusive = "abusive",
        OffTopic = "off_topic",
        PersonalInfo = "personal_info",
    }
);

str_enum!(
    /// The order of root comments; replies always follow their parent in thread order.
    Sort {
        Oldest = "oldest",
        Newest = "newest",
        MostReplied = "most_replied",
    }
);

str_enum!(
    /// Whether a comment is shown.
    Visibility {
        Visible = "visible",
        /// Hidden by an organiser, or automatically after reports, pending review.
        Hidden = "hidden",
        /// Deleted by its author: the place in the thread stays, the text does not.
        Deleted = "deleted",
    }
);

str_enum!(
    /// What the moderation log records.
    ModerationAction {
        /// Hidden automatically after the configured number of reports, pending review.
        AutoHide = "auto_hide",
        Hide = "hide",
        Restore = "restore",
        Block = "block",
        Unblock = "unblock",
    }
);

/// A comment as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    pub body: String,
    /// The comment replied to; absent for a root comment.
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// Root comments only: support, oppose or neutral.
    #[serde(default)]
    pub stance: Option<String>,
}

/// Check a comment's body, and its stance (only a root comment may carry one).
pub fn validate(input: &CommentInput) -> Result<(String, Option<Stance>), Vec<Invalid>> {
    let mut problems = Vec::new();
    let body = check_text(&mut problems, "body", &input.body, MAX_COMMENT_CHARS, true);
    let stance = match input.stance.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let st = Stance::parse(s);
            if st.is_none() {
                problems.push(invalid("stance", "comment-error-stance"));
            } else if input.parent_id.is_some() {
                problems.push(invalid("stance", "comment-error-stance-on-reply"));
            }
            st
        }
    };
    if problems.is_empty() {
        Ok((body, stance))
    } else {
        Err(problems)
    }
}

/// Check a reason (moderation, report note): required or not, at most [`MAX_REASON_CHARS`].
pub fn check_reason(field: &str, text: &str, required: bool) -> Result<String, Vec<Invalid>> {
    let mut problems = Vec::new();
    let t = check_text(&mut problems, field, text, MAX_REASON_CHARS, required);
    if problems.is_empty() {
        Ok(t)
    } else {
        Err(problems)
    }
}

/// Whether the report that brings a comment to `reports` hides it pending review: exactly
/// when the count reaches the threshold, so a comment an organiser restored is not hidden
/// again by the reports already counted.
pub fn hides_now(reports: i32, threshold: i32) -> bool {
    threshold > 0 && reports == threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stance_belongs_to_a_root_comment_only() {
        let root = CommentInput {
            body: " 支持，停车太难了 ".into(),
            parent_id: None,
            stance: Some("support".into()),
        };
        assert_eq!(
            validate(&root),
            Ok(("支持，停车太难了".into(), Some(Stance::Support)))
        );
        let reply = CommentInput {
            parent_id: Some(4),
            ..root.clone()
        };
        let fields: Vec<_> = validate(&reply)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect();
        assert_eq!(fields, [("stance".into(), "comment-error-stance-on-reply")]);
        let odd = CommentInput {
            stance: Some("vote".into()),
            ..root.clone()
        };
        assert_eq!(
            validate(&odd).unwrap_err()[0].message,
            "comment-error-stance"
        );
        let empty = CommentInput {
            body: "   ".into(),
            ..Default::default()
        };
        assert_eq!(validate(&empty).unwrap_err()[0].field, "body");
        let long = CommentInput {
            body: "长".repeat(MAX_COMMENT_CHARS + 1),
            ..Default::default()
        };
        assert_eq!(
            validate(&long).unwrap_err()[0].message,
            "ballot-error-too-long"
        );
    }

    #[test]
    fn the_threshold_report_hides_once() {
        assert!(!hides_now(2, 3));
        assert!(hides_now(3, 3));
        assert!(!hides_now(4, 3), "restored after review: not hidden again");
        assert!(!hides_now(1, 0), "0 turns auto-hide off");
    }
}
