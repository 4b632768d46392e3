//! The server's mail task: every few seconds the outbox (immediate emails), every hour of the
//! service's clock the daily digests (`yishiting digest` does both at once, for cron). Not started without mail settings.

use std::time::Duration;

use super::{run_outbox, send_digests, Mailer};
use crate::clock::Clock;
use crate::db::Database;

/// How often the outbox is looked at.
pub const OUTBOX_EVERY: Duration = Duration::from_secs(2);
/// How often (by the service's clock) digests are looked for.
pub const DIGEST_EVERY_SECS: i64 = 3600;

/// Start the task on the current Tokio runtime (none: nothing is started, with a warning).
pub fn start(db: Database, settings: &super::mail::MailSettings, clock: Clock) {
    let mailer = match Mailer::new(settings) {
        Ok(m) => std::sync::Arc::new(m),
        Err(e) => {
            tracing::warn!(error = %e, "email is off: the mail settings do not work");
            return;
        }
    };
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("email is off: no runtime for the mail task");
        return;
    };
    rt.spawn(async move {
        // The first look for digests comes an hour after start (a restart loop never sends
        // early; each user's own 24 hours are kept in the database anyway).
        let mut last_digest = clock.now();
        loop {
            let now = clock.now();
            let digests = now - last_digest >= DIGEST_EVERY_SECS;
            if digests {
                last_digest = now;
            }
            let (db, mailer) = (db.clone(), mailer.clone());
            let done = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                let mut conn = db.conn()?;
                run_outbox(&mut conn, &mailer, now)?;
                if digests {
                    send_digests(&mut conn, &mailer, now)?;
                }
                Ok(())
            })
            .await;
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "sending notification email failed"),
                Err(_) => return,
            }
            actix_web::rt::time::sleep(OUTBOX_EVERY).await;
        }
    });
}
