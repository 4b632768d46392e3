-- Conventions (管理规约 / 居民公约): versioned documents of numbered articles, comments
-- anchored to an article, amendment proposals with the organisers' decisions, and the link
-- from a version to the ballot that adopts it. Times are Unix seconds (UTC).
CREATE TABLE conventions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL CHECK (kind IN ('management', 'residents')),
    title TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX conventions_community ON conventions (community_id, id);

-- articles: JSON array of {"number", "heading", "body"}; text_sha256: SHA-256 (hex) of the
-- canonical text (src/domain/convention.rs).
CREATE TABLE convention_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    convention_id BIGINT NOT NULL REFERENCES conventions (id),
    version INTEGER NOT NULL,
    articles TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'balloting', 'adopted', 'superseded', 'rejected')),
    ballot_id BIGINT REFERENCES ballots (id),
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    adopted_at BIGINT,
    UNIQUE (convention_id, version)
);
CREATE UNIQUE INDEX convention_versions_ballot ON convention_versions (ballot_id);

CREATE TABLE convention_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id BIGINT NOT NULL REFERENCES convention_versions (id),
    article_number INTEGER NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX convention_comments_version ON convention_comments (version_id, article_number, id);

-- article_number is NULL for a new article appended (kind 'add').
CREATE TABLE convention_amendments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id BIGINT NOT NULL REFERENCES convention_versions (id),
    article_number INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('replace', 'delete', 'add')),
    heading TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    decision_reason TEXT,
    decided_by BIGINT REFERENCES users (id),
    decided_at BIGINT,
    result_version_id BIGINT REFERENCES convention_versions (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX convention_amendments_version ON convention_amendments (version_id, id);
