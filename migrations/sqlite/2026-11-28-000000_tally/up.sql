-- The count: scrutineers' keys, the scrutineers named at announcement, the signed tally
-- records (preliminary at close, final after the objection period), objections and the
-- scrutineers' co-signatures. Times are Unix seconds (UTC).
ALTER TABLE communities ADD COLUMN objection_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE ballots ADD COLUMN scrutineer_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE ballots ADD COLUMN cosignatures_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ballots ADD COLUMN objection_ends_at BIGINT;

-- A scrutineer's current public key (the private key never reaches the server).
CREATE TABLE scrutineer_keys (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The scrutineers of a ballot as named in its manifest, in manifest order.
CREATE TABLE ballot_scrutineers (
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    position INTEGER NOT NULL,
    user_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    PRIMARY KEY (ballot_id, position),
    UNIQUE (ballot_id, user_id)
);

CREATE TABLE tally_records (
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    stage TEXT NOT NULL,
    record TEXT NOT NULL,
    signature TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, stage)
);

CREATE TABLE ballot_objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    received_at BIGINT NOT NULL,
    body TEXT NOT NULL,
    recorded_by BIGINT,
    response TEXT,
    responded_at BIGINT,
    responded_by BIGINT
);
CREATE INDEX ballot_objections_ballot ON ballot_objections (ballot_id, id);

CREATE TABLE tally_cosignatures (
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    position INTEGER NOT NULL,
    record_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (ballot_id, position)
);

CREATE TRIGGER tally_records_no_update BEFORE UPDATE ON tally_records
BEGIN SELECT RAISE(ABORT, 'tally_records is append-only'); END;
CREATE TRIGGER tally_records_no_delete BEFORE DELETE ON tally_records
BEGIN SELECT RAISE(ABORT, 'tally_records is append-only'); END;
CREATE TRIGGER tally_cosignatures_no_update BEFORE UPDATE ON tally_cosignatures
BEGIN SELECT RAISE(ABORT, 'tally_cosignatures is append-only'); END;
CREATE TRIGGER tally_cosignatures_no_delete BEFORE DELETE ON tally_cosignatures
BEGIN SELECT RAISE(ABORT, 'tally_cosignatures is append-only'); END;
