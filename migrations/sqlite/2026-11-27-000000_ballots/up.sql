-- Ballots, their frozen electorate, the append-only ballot log and its signed checkpoints.
-- Times of ballots are Unix seconds (UTC), as in the signed documents.
ALTER TABLE communities ADD COLUMN notice_days INTEGER NOT NULL DEFAULT 15;
ALTER TABLE communities ADD COLUMN notice_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE ballots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope_buildings TEXT NOT NULL,
    privacy TEXT NOT NULL,
    counting_rule TEXT NOT NULL,
    questions TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    notice_days INTEGER NOT NULL,
    notice_reason TEXT NOT NULL DEFAULT '',
    announced_at BIGINT,
    manifest TEXT,
    manifest_signature TEXT,
    snapshot TEXT,
    sealed_key TEXT,
    log_size BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (community_id, id)
);
CREATE INDEX ballots_community ON ballots (community_id, status);

CREATE TABLE ballot_voters (
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    voter_index BIGINT NOT NULL,
    area_centi BIGINT NOT NULL,
    headcount BIGINT NOT NULL,
    rooms TEXT NOT NULL,
    PRIMARY KEY (ballot_id, voter_index)
);

-- Who may cast for which voter: every owner of a voter (co-owners share one voter).
CREATE TABLE ballot_voter_owners (
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    owner_id BIGINT NOT NULL,
    voter_index BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, owner_id)
);

CREATE TABLE ballot_leaves (
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    leaf_index BIGINT NOT NULL,
    voter_index BIGINT NOT NULL,
    leaf TEXT NOT NULL,
    leaf_hash BLOB NOT NULL,
    nonce_hash TEXT NOT NULL,
    cast_by BIGINT,
    cast_at BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, leaf_index),
    UNIQUE (ballot_id, leaf_hash),
    UNIQUE (ballot_id, nonce_hash)
);
CREATE INDEX ballot_leaves_voter ON ballot_leaves (ballot_id, voter_index, leaf_index);

CREATE TABLE ballot_checkpoints (
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    tree_size BIGINT NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, tree_size)
);

CREATE TRIGGER ballot_leaves_no_update BEFORE UPDATE ON ballot_leaves
BEGIN SELECT RAISE(ABORT, 'ballot_leaves is append-only'); END;
CREATE TRIGGER ballot_leaves_no_delete BEFORE DELETE ON ballot_leaves
BEGIN SELECT RAISE(ABORT, 'ballot_leaves is append-only'); END;
CREATE TRIGGER ballot_checkpoints_no_update BEFORE UPDATE ON ballot_checkpoints
BEGIN SELECT RAISE(ABORT, 'ballot_checkpoints is append-only'); END;
CREATE TRIGGER ballot_checkpoints_no_delete BEFORE DELETE ON ballot_checkpoints
BEGIN SELECT RAISE(ABORT, 'ballot_checkpoints is append-only'); END;
