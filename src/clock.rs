//! The service's notion of "now". Production reads the system clock; tests can move it
//! forward (a ballot's notice period is 15 days) without waiting. The offset is not
//! reachable from the environment or any request.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Unix seconds, UTC.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Move this clock (and every clone of it) forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }
}

/// China Standard Time (Asia/Shanghai): UTC+8 all year, no daylight saving since 1991.
pub fn shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| chrono::FixedOffset::west_opt(0).expect("zero offset"))
}

/// Unix seconds shown in Asia/Shanghai, e.g. `2026-12-12 09:00`.
pub fn format_shanghai(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.with_timezone(&shanghai())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A `YYYY-MM-DDTHH:MM` (the HTML `datetime-local` value) read as Asia/Shanghai time.
pub fn parse_shanghai(s: &str) -> Option<i64> {
    let s = s.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Some(naive.and_utc().timestamp() - 8 * 3600)
}

/// Unix seconds as a `datetime-local` value in Asia/Shanghai.
pub fn input_shanghai(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.with_timezone(&shanghai())
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_round_trip() {
        // 2026-12-01 00:00 UTC is 08:00 in Shanghai.
        let t = 1_764_547_200;
        assert_eq!(format_shanghai(t), "2025-12-01 08:00");
        assert_eq!(parse_shanghai("2025-12-01T08:00"), Some(t));
        assert_eq!(input_shanghai(t), "2025-12-01T08:00");
        assert_eq!(parse_shanghai("tomorrow"), None);
    }

    #[test]
    fn advancing_moves_every_clone() {
        let c = Clock::default();
        let d = c.clone();
        let before = d.now();
        c.advance(86_400);
        assert!(d.now() >= before + 86_400);
    }
}
