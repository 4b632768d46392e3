//! Notifications: what a user is told about, through which channel, and the daily digest.
//! Pure rules; the rows live in `db::notifications`, the sending in `notify`.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Someone replied to your comment.
    Reply,
    /// (Organisers) a proposal's co-signers reached the extraordinary-assembly level.
    CosignLevel,
    /// Your proposal changed status (by someone else's step).
    ProposalStatus,
    /// A ballot for one of your units opened.
    BallotOpen,
    /// A ballot for one of your units closed.
    BallotClose,
    /// Your building report was acknowledged, assigned or closed.
    ReportStatus,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Reply,
        Kind::CosignLevel,
        Kind::ProposalStatus,
        Kind::BallotOpen,
        Kind::BallotClose,
        Kind::ReportStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::CosignLevel => "cosign_level",
            Kind::ProposalStatus => "proposal_status",
            Kind::BallotOpen => "ballot_open",
            Kind::BallotClose => "ballot_close",
            Kind::ReportStatus => "report_status",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The message id of the kind's name (`notify-kind-reply`, ...).
    pub fn message_id(self) -> String {
        format!("notify-kind-{}", self.as_str().replace('_', "-"))
    }
}

/// How a user hears of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Not at all.
    Off,
    /// In the inbox (the default: no stored row means this).
    #[default]
    Inbox,
    /// In the inbox and, when the user has an address, by email at once.
    Email,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Off, Channel::Inbox, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Off => "off",
            Channel::Inbox => "inbox",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A stored channel; anything unknown counts as the default.
    pub fn from_stored(s: Option<&str>) -> Channel {
        s.and_then(Channel::parse).unwrap_or_default()
    }

    /// Does a notification of this channel make an inbox row?
    pub fn stores(self) -> bool {
        self != Channel::Off
    }

    /// Is it emailed at once (given an address)?
    pub fn emails_now(self, has_address: bool) -> bool {
        self == Channel::Email && has_address
    }
}

/// A digest is due 24 hours after the last one (or at once if there was none).
pub const DIGEST_EVERY_SECS: i64 = 24 * 3600;

pub fn digest_due(last_digest_at: Option<i64>, now: i64) -> bool {
    last_digest_at.is_none_or(|last| now - last >= DIGEST_EVERY_SECS)
}

/// What the digest needs to know of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub emailed_at: Option<i64>,
}

/// Does a notification go into the next digest? Unread, not yet emailed (alone or in an
/// earlier digest), and created since the last digest (all of them for the first one).
pub fn in_digest(n: Pending, last_digest_at: Option<i64>) -> bool {
    n.read_at.is_none()
        && n.emailed_at.is_none()
        && last_digest_at.is_none_or(|last| n.created_at >= last)
}

/// Longest address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A simple check of an email address, not a full RFC 5322 parser: after trimming, empty (no
/// email) or `local@domain` with exactly one `@`, a non-empty local part of at most 64
/// characters, a domain of dot-separated labels (letters, digits, `-`, not starting or ending
/// with `-`, at least two labels), no spaces, control characters, angle brackets, quotes,
/// commas or semicolons (which could smuggle extra recipients or headers), and at most 254
/// characters. Returns the trimmed address, or `None` when invalid.
pub fn normalise_email(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Some(String::new());
    }
    if s.chars().count() > MAX_EMAIL_CHARS {
        return None;
    }
    let (local, domain) = s.split_once('@')?;
    if local.is_empty() || local.chars().count() > 64 || domain.contains('@') {
        return None;
    }
    let bad = |c: char| {
        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';' | '\\')
    };
    if local.chars().any(bad) || local.starts_with('.') || local.ends_with('.') {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return None;
    }
    Some(s.to_owned())
}

/// Is `url` a local path (one leading `/`, not `//host`, no scheme, no backslash or control
/// characters)? Notifications only ever link inside the service.
pub fn is_local_path(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.contains('\\')
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_channels_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("nope"), None);
        assert_eq!(Kind::CosignLevel.message_id(), "notify-kind-cosign-level");
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::from_stored(None), Channel::Inbox);
        assert_eq!(Channel::from_stored(Some("weird")), Channel::Inbox);
        assert_eq!(Channel::from_stored(Some("off")), Channel::Off);
    }

    #[test]
    fn channel_rules() {
        assert!(!Channel::Off.stores());
        assert!(Channel::Inbox.stores());
        assert!(Channel::Email.stores());
        assert!(Channel::Email.emails_now(true));
        assert!(!Channel::Email.emails_now(false));
        assert!(!Channel::Inbox.emails_now(true));
    }

    #[test]
    fn digest_is_due_daily() {
        assert!(digest_due(None, 0));
        assert!(!digest_due(Some(1000), 1000 + DIGEST_EVERY_SECS - 1));
        assert!(digest_due(Some(1000), 1000 + DIGEST_EVERY_SECS));
    }

    #[test]
    fn digest_takes_unread_unemailed_new() {
        let n = Pending {
            created_at: 500,
            read_at: None,
            emailed_at: None,
        };
        assert!(in_digest(n, None));
        assert!(in_digest(n, Some(500)));
        assert!(!in_digest(n, Some(501)));
        assert!(!in_digest(
            Pending {
                read_at: Some(600),
                ..n
            },
            None
        ));
        assert!(!in_digest(
            Pending {
                emailed_at: Some(600),
                ..n
            },
            None
        ));
    }

    #[test]
    fn emails_are_checked_simply() {
        assert_eq!(normalise_email("  "), Some(String::new()));
        assert_eq!(
            normalise_email(" zhang.san@example.cn ").as_deref(),
            Some("zhang.san@example.cn")
        );
        assert!(normalise_email("a+b@mail.example-1.com").is_some());
        for bad in [
            "no-at",
            "@example.cn",
            "a@b",
            "a@@b.cn",
            "a@b@c.cn",
            "a b@c.cn",
            "a@-b.cn",
            "a@b-.cn",
            "a@b..cn",
            "a,b@c.cn",
            "x@y.cn>\r\nBcc: z@w.cn",
            "<a@b.cn>",
            ".a@b.cn",
            "a@例子.中国",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
        let long = format!("{}@example.cn", "a".repeat(250));
        assert_eq!(normalise_email(&long), None);
    }

    #[test]
    fn only_local_paths() {
        assert!(is_local_path("/c/demo/proposals/1"));
        assert!(!is_local_path("//evil.example/x"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/a b"));
        assert!(!is_local_path("/\\evil"));
    }
}
