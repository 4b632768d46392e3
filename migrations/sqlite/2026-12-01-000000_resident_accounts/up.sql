-- Resident accounts: a resident on the register (居民) signs in with a one-time code, like an
-- owner. The account names the resident by reference, which survives a re-import of the
-- register (rows are replaced, references are kept); an account whose reference is no longer
-- on the register is no longer a resident.
ALTER TABLE users ADD COLUMN resident_ref TEXT;
CREATE UNIQUE INDEX users_resident ON users (community_id, resident_ref);

-- One-time codes for residents; only a hash of the code is kept.
CREATE TABLE resident_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    resident_ref TEXT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    issued_by BIGINT REFERENCES users (id),
    issued_at TIMESTAMP NOT NULL,
    redeemed_at TIMESTAMP,
    redeemed_by BIGINT REFERENCES users (id),
    revoked_at TIMESTAMP
);
CREATE INDEX resident_codes_resident ON resident_codes (community_id, resident_ref);
