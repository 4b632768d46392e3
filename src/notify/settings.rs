//! A user's notification settings: read, validated and stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::db::notifications as db;
use crate::db::DbConn;
use crate::domain::notification::{normalise_email, Channel, Kind};
use crate::error::{AppError, AppResult, FieldError, Msg};

/// The settings as the API and the form show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotificationSettings {
    /// Where emails go; empty for none.
    #[serde(default)]
    pub email: String,
    /// A daily digest of unread notifications by email.
    #[serde(default)]
    pub digest: bool,
    /// The channel of each kind (`reply`, `cosign_level`, `proposal_status`, `ballot_open`,
    /// `ballot_close`, `report_status`): `off`, `inbox` or `email`. Kinds left out keep `inbox`.
    #[serde(default)]
    pub channels: BTreeMap<String, String>,
}

pub fn load(conn: &mut DbConn, user_id: i64) -> AppResult<NotificationSettings> {
    let prefs = db::prefs_of(conn, user_id)?;
    let channels = db::kinds_of(conn, user_id)?
        .into_iter()
        .map(|(k, c)| (k.as_str().to_owned(), c.as_str().to_owned()))
        .collect();
    Ok(NotificationSettings {
        email: prefs.email,
        digest: prefs.digest,
        channels,
    })
}

/// Check the settings: the address (domain::notification::normalise_email), known kinds and
/// channels, and an address for `email` channels or the digest. Every problem names its field.
pub fn validate(s: &NotificationSettings) -> Result<(String, Vec<(Kind, Channel)>), AppError> {
    let mut problems = Vec::new();
    let email = normalise_email(&s.email);
    if email.is_none() {
        problems.push(FieldError::new("email", Msg::new("notify-error-email")));
    }
    let mut kinds = Vec::new();
    for (k, c) in &s.channels {
        match (Kind::parse(k), Channel::parse(c)) {
            (Some(k), Some(c)) => kinds.push((k, c)),
            _ => problems.push(FieldError::new(
                format!("channels.{k}"),
                Msg::new("notify-error-channel"),
            )),
        }
    }
    let wants_email = s.digest || kinds.iter().any(|(_, c)| *c == Channel::Email);
    if wants_email && email.as_deref() == Some("") {
        problems.push(FieldError::new(
            "email",
            Msg::new("notify-error-email-needed"),
        ));
    }
    match email {
        Some(email) if problems.is_empty() => Ok((email, kinds)),
        _ => Err(AppError::Validation(problems)),
    }
}

/// Validate and store; nothing is stored when anything is wrong.
pub fn save(
    conn: &mut DbConn,
    user_id: i64,
    s: &NotificationSettings,
) -> AppResult<NotificationSettings> {
    let (email, kinds) = validate(s)?;
    db::save_settings(conn, user_id, &email, s.digest, &kinds)?;
    load(conn, user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(email: &str, digest: bool, ch: &[(&str, &str)]) -> NotificationSettings {
        NotificationSettings {
            email: email.into(),
            digest,
            channels: ch
                .iter()
                .map(|(k, c)| (k.to_string(), c.to_string()))
                .collect(),
        }
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation(p) => p.into_iter().map(|f| f.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn validates_every_field() {
        assert!(validate(&settings("", false, &[("reply", "off")])).is_ok());
        let (email, kinds) = validate(&settings(" a@b.cn ", true, &[("reply", "email")])).unwrap();
        assert_eq!(email, "a@b.cn");
        assert_eq!(kinds, vec![(Kind::Reply, Channel::Email)]);
        let e = validate(&settings("bad", false, &[])).unwrap_err();
        assert_eq!(fields(e), vec!["email"]);
        let e = validate(&settings("", false, &[("nope", "inbox"), ("reply", "sms")])).unwrap_err();
        assert_eq!(fields(e), vec!["channels.nope", "channels.reply"]);
        let e = validate(&settings("", true, &[])).unwrap_err();
        assert_eq!(fields(e), vec!["email"]);
    }
}
