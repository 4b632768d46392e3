-- The roster: buildings, units (exclusive parts), owners and who owns what.
-- Areas are integers in hundredths of m². Every row belongs to a community.
CREATE TABLE buildings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, name),
    UNIQUE (community_id, id)
);

CREATE TABLE owners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    owner_ref TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organisation', 'developer')),
    phone TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, owner_ref),
    UNIQUE (community_id, id)
);

CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL,
    building_id BIGINT NOT NULL,
    room TEXT NOT NULL,
    area_registry BIGINT CHECK (area_registry > 0),
    area_survey BIGINT CHECK (area_survey > 0),
    area_contract BIGINT CHECK (area_contract > 0),
    status TEXT NOT NULL CHECK (status IN ('delivered', 'unsold', 'undelivered')),
    created_at TIMESTAMP NOT NULL,
    CHECK (area_registry IS NOT NULL OR area_survey IS NOT NULL OR area_contract IS NOT NULL),
    UNIQUE (community_id, building_id, room),
    UNIQUE (community_id, id),
    FOREIGN KEY (community_id, building_id) REFERENCES buildings (community_id, id)
);

CREATE TABLE unit_owners (
    community_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    PRIMARY KEY (community_id, unit_id, owner_id),
    FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id) ON DELETE CASCADE,
    FOREIGN KEY (community_id, owner_id) REFERENCES owners (community_id, id) ON DELETE CASCADE
);
CREATE INDEX unit_owners_owner ON unit_owners (community_id, owner_id);

-- Accounts. Users are global; what they may do in a community comes from role grants
-- and from the owner record they are linked to.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT 0,
    community_id BIGINT REFERENCES communities (id),
    owner_id BIGINT,
    lang TEXT,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (community_id, owner_id) REFERENCES owners (community_id, id)
);

CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('organiser', 'scrutineer', 'building_lead')),
    building_id BIGINT,
    body TEXT,
    granted_by BIGINT REFERENCES users (id),
    granted_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    CHECK ((role = 'building_lead') = (building_id IS NOT NULL)),
    FOREIGN KEY (community_id, building_id) REFERENCES buildings (community_id, id)
);
CREATE INDEX role_grants_user ON role_grants (user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time invitation codes, one per owner; only a hash of the code is kept.
CREATE TABLE invitation_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    issued_by BIGINT REFERENCES users (id),
    issued_at TIMESTAMP NOT NULL,
    redeemed_at TIMESTAMP,
    redeemed_by BIGINT REFERENCES users (id),
    revoked_at TIMESTAMP,
    FOREIGN KEY (community_id, owner_id) REFERENCES owners (community_id, id)
);
CREATE INDEX invitation_codes_owner ON invitation_codes (community_id, owner_id);

-- The one-time link that creates the first administrator.
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- Append-only audit trail of privileged actions.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    before_summary TEXT NOT NULL,
    after_summary TEXT NOT NULL
);
CREATE INDEX audit_log_community ON audit_log (community_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
