//! Sending email with lettre: SMTP (over TLS with rustls) or the file transport (one `.eml`
//! file per message, for tests and development).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

/// Where mail goes (`Settings::mail`).
#[derive(Clone)]
pub enum MailTransport {
    /// `YISHITING_SMTP_URL`, e.g. `smtps://user:pass@smtp.example.cn:465`. Never printed.
    Smtp(String),
    /// `YISHITING_MAIL_DIR`.
    Dir(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailTransport::Smtp(_) => f.write_str("Smtp(***)"),
            MailTransport::Dir(d) => write!(f, "Dir({})", d.display()),
        }
    }
}

/// Email settings: with none, only the inbox works.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// `YISHITING_MAIL_FROM`, e.g. `议事亭 <noreply@example.cn>`.
    pub from: String,
    /// `YISHITING_PUBLIC_URL` (e.g. `https://vote.example.cn`): makes links in emails absolute.
    pub public_url: String,
}

/// The default sender for the file transport.
pub const DEFAULT_FROM: &str = "议事亭 <noreply@yishiting.localhost>";

impl MailSettings {
    /// From `YISHITING_SMTP_URL` (or `_FILE`) with `YISHITING_MAIL_FROM`, or `YISHITING_MAIL_DIR`.
    pub fn from_env() -> anyhow::Result<Option<MailSettings>> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let smtp = crate::config::secret_from_env("YISHITING_SMTP_URL")?;
        let dir = env("YISHITING_MAIL_DIR");
        let from = env("YISHITING_MAIL_FROM");
        let public_url = env("YISHITING_PUBLIC_URL")
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        let transport = match (smtp, dir) {
            (Some(_), Some(_)) => {
                anyhow::bail!("set either YISHITING_SMTP_URL or YISHITING_MAIL_DIR, not both")
            }
            (Some(url), None) => {
                if from.is_none() {
                    anyhow::bail!("YISHITING_SMTP_URL needs YISHITING_MAIL_FROM");
                }
                MailTransport::Smtp(url)
            }
            (None, Some(d)) => MailTransport::Dir(PathBuf::from(d)),
            (None, None) => return Ok(None),
        };
        let s = MailSettings {
            transport,
            from: from.unwrap_or_else(|| DEFAULT_FROM.to_owned()),
            public_url,
        };
        // Fail at start, not at the first message.
        Mailer::new(&s)?;
        Ok(Some(s))
    }
}

enum Inner {
    Smtp(Box<SmtpTransport>),
    File(FileTransport),
}

/// A ready transport.
pub struct Mailer {
    inner: Inner,
    from: Mailbox,
    pub public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

impl Mailer {
    pub fn new(s: &MailSettings) -> anyhow::Result<Mailer> {
        let from: Mailbox = s
            .from
            .parse()
            .context("YISHITING_MAIL_FROM is not a valid address")?;
        let inner = match &s.transport {
            // The error names no part of the URL: it may hold the password.
            MailTransport::Smtp(url) => Inner::Smtp(Box::new(
                SmtpTransport::from_url(url)
                    .map_err(|_| anyhow::anyhow!("YISHITING_SMTP_URL is not a valid SMTP URL"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            )),
            MailTransport::Dir(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                Inner::File(FileTransport::new(dir))
            }
        };
        Ok(Mailer {
            inner,
            from,
            public_url: s.public_url.clone(),
        })
    }

    /// Send one plain-text UTF-8 message.
    pub fn send(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let to: Mailbox = to.parse().context("invalid recipient address")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .context("cannot build the message")?;
        match &self.inner {
            // lettre's SMTP errors do not carry the credentials.
            Inner::Smtp(t) => t.send(&message).map(|_| ()).context("SMTP delivery failed"),
            Inner::File(t) => t
                .send(&message)
                .map(|_| ())
                .context("cannot write the message"),
        }
    }

    /// An absolute link when the public address is known, else the path.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_url_never_prints() {
        let t = MailTransport::Smtp("smtps://u:secret@h:465".into());
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn file_transport_writes_eml() {
        let dir = tempfile::tempdir().unwrap();
        let m = Mailer::new(&MailSettings {
            transport: MailTransport::Dir(dir.path().to_owned()),
            from: DEFAULT_FROM.into(),
            public_url: String::new(),
        })
        .unwrap();
        m.send("a@example.cn", "【议事亭】测试", "你好\nHello".into())
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
    }
}
