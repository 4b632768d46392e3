-- Notifications: each user's in-app inbox, optionally emailed (at once or in a daily digest).
-- Times are Unix seconds (UTC).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    community_id BIGINT NOT NULL REFERENCES communities (id),
    -- reply, cosign_level, proposal_status, ballot_open or ballot_close (domain::notification).
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- A local path (starting with one '/').
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    emailed_at BIGINT
);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, id);

-- Per-user settings: an address for email ('' for none) and the daily digest.
CREATE TABLE notification_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    email TEXT NOT NULL DEFAULT '',
    digest BOOLEAN NOT NULL DEFAULT 0,
    last_digest_at BIGINT
);

-- The channel of each kind: off, inbox or email. No row means inbox.
CREATE TABLE notification_kinds (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
