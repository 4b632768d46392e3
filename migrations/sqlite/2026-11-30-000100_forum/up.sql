-- The forum (议事亭): proposals with their edit history and lifecycle events, co-signatures
-- (附议), threaded comments on a portable path column, reports, the moderation log and
-- blocked users. Times are Unix seconds (UTC).
ALTER TABLE communities ADD COLUMN cosign_level_num INTEGER NOT NULL DEFAULT 1;
ALTER TABLE communities ADD COLUMN cosign_level_den INTEGER NOT NULL DEFAULT 5;
ALTER TABLE communities ADD COLUMN report_hide_threshold INTEGER NOT NULL DEFAULT 3;

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    -- NULL: the whole community; otherwise one building (checked when written).
    building_id BIGINT,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    -- The organisers' official response (status answered).
    response TEXT NOT NULL DEFAULT '',
    -- The ballot it was put to (status put_to_vote).
    ballot_id BIGINT REFERENCES ballots (id),
    cosigners INTEGER NOT NULL DEFAULT 0,
    cosign_area_centi BIGINT NOT NULL DEFAULT 0,
    cosign_headcount BIGINT NOT NULL DEFAULT 0,
    -- The community's totals the meter was last measured against.
    base_area_centi BIGINT NOT NULL DEFAULT 0,
    base_headcount BIGINT NOT NULL DEFAULT 0,
    -- When the co-signers first reached the extraordinary-assembly level.
    level_reached_at BIGINT,
    -- How many root comments were ever made (the next root's sibling number).
    root_count INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX proposals_list ON proposals (community_id, status, updated_at);
CREATE INDEX proposals_ballot ON proposals (ballot_id);

-- Every version of a proposal's text; revision 1 is the first.
CREATE TABLE proposal_revisions (
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    revision INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    building_id BIGINT,
    edited_by BIGINT NOT NULL REFERENCES users (id),
    edited_at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, revision)
);

-- Lifecycle steps and their reasons, shown on the proposal.
CREATE TABLE proposal_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    actor_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX proposal_events_proposal ON proposal_events (proposal_id, id);

-- One co-signature per owner of record (no foreign key: a roster import may replace owners,
-- and a co-signature stays as given).
CREATE TABLE proposal_cosigns (
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    owner_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, owner_id)
);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id BIGINT NOT NULL REFERENCES proposals (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    parent_id BIGINT REFERENCES comments (id),
    -- Zero-padded sibling numbers joined by '.'; text order is thread order.
    path TEXT NOT NULL,
    depth INTEGER NOT NULL,
    -- Root comments only: support, oppose or neutral.
    stance TEXT,
    body TEXT NOT NULL,
    -- visible, hidden (by an organiser or pending review after reports) or deleted.
    status TEXT NOT NULL DEFAULT 'visible',
    hidden_reason TEXT NOT NULL DEFAULT '',
    report_count INTEGER NOT NULL DEFAULT 0,
    -- Direct replies ever made (the next reply's sibling number).
    child_count INTEGER NOT NULL DEFAULT 0,
    -- Replies in the whole subtree, for "most replied".
    reply_count INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (proposal_id, path)
);
CREATE INDEX comments_roots ON comments (proposal_id, depth, path);
CREATE INDEX comments_replied ON comments (proposal_id, depth, reply_count);

CREATE TABLE comment_revisions (
    comment_id BIGINT NOT NULL REFERENCES comments (id),
    revision INTEGER NOT NULL,
    body TEXT NOT NULL,
    edited_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, revision)
);

CREATE TABLE comment_reports (
    comment_id BIGINT NOT NULL REFERENCES comments (id),
    reporter_id BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, reporter_id)
);

-- Every moderation action, public to organisers and scrutineers; append-only.
CREATE TABLE moderation_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    -- NULL: the system (auto-hide after reports).
    actor_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX moderation_log_community ON moderation_log (community_id, id);

CREATE TABLE user_blocks (
    community_id BIGINT NOT NULL REFERENCES communities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    blocked_by BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
