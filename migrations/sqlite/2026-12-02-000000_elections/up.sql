-- The owners' committee (re-)election (业委会换届选举) as a recorded procedure: its steps, the
-- preparation group, candidates with their nominations and reviews, objections, and a
-- per-election event log (an RFC 9162 Merkle tree with signed checkpoints, like a ballot's).
-- Times are unix seconds.
CREATE TABLE elections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('first', 're_election')),
    step TEXT NOT NULL,
    -- The announcement as published (JSON), once announced.
    announcement TEXT,
    -- The elect-k-of-n ballot, once voting is prepared.
    ballot_id BIGINT REFERENCES ballots (id),
    -- The event log's own Ed25519 key, sealed with the service's key-encryption key.
    sealed_key TEXT NOT NULL,
    log_size BIGINT NOT NULL DEFAULT 0,
    certified_at BIGINT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX elections_community ON elections (community_id, id);

-- 筹备组: who prepares the election, and for which side.
CREATE TABLE election_members (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    PRIMARY KEY (election_id, seq)
);

-- Candidates (候选人): a nomination, its co-signers, and the preparation group's review.
CREATE TABLE election_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    election_id BIGINT NOT NULL REFERENCES elections (id),
    community_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    self_nominated BOOLEAN NOT NULL,
    nominated_by BIGINT NOT NULL REFERENCES users (id),
    statement TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('collecting', 'nominated', 'accepted', 'rejected')),
    review_reason TEXT,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (election_id, owner_id),
    FOREIGN KEY (community_id, owner_id) REFERENCES owners (community_id, id)
);

CREATE TABLE election_cosigners (
    candidate_id BIGINT NOT NULL REFERENCES election_candidates (id),
    owner_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (candidate_id, owner_id)
);

-- Objections (异议) during the publication of the candidate list, and their answers.
CREATE TABLE election_objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    election_id BIGINT NOT NULL REFERENCES elections (id),
    candidate_id BIGINT REFERENCES election_candidates (id),
    stage TEXT NOT NULL CHECK (stage IN ('candidate_list', 'result')),
    raised_by BIGINT NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    answer TEXT,
    answered_by BIGINT REFERENCES users (id),
    answered_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX election_objections_election ON election_objections (election_id, id);

-- The event log: one leaf per recorded step, canonical JSON, append-only.
CREATE TABLE election_events (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    leaf_index BIGINT NOT NULL,
    leaf_hash BLOB NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, leaf_index)
);
CREATE TRIGGER election_events_no_update BEFORE UPDATE ON election_events
BEGIN SELECT RAISE(ABORT, 'election_events is append-only'); END;
CREATE TRIGGER election_events_no_delete BEFORE DELETE ON election_events
BEGIN SELECT RAISE(ABORT, 'election_events is append-only'); END;

CREATE TABLE election_checkpoints (
    election_id BIGINT NOT NULL REFERENCES elections (id),
    tree_size BIGINT NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (election_id, tree_size)
);
CREATE TRIGGER election_checkpoints_no_update BEFORE UPDATE ON election_checkpoints
BEGIN SELECT RAISE(ABORT, 'election_checkpoints is append-only'); END;
CREATE TRIGGER election_checkpoints_no_delete BEFORE DELETE ON election_checkpoints
BEGIN SELECT RAISE(ABORT, 'election_checkpoints is append-only'); END;
