-- Households (户) and residents (居民): the electorate of residents' conventions.
CREATE TABLE households (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL REFERENCES communities (id),
    household_ref TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, household_ref),
    UNIQUE (community_id, id),
    FOREIGN KEY (community_id, unit_id) REFERENCES units (community_id, id)
);

CREATE TABLE residents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    resident_ref TEXT NOT NULL,
    name TEXT NOT NULL,
    birth_year INTEGER NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200),
    representative BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (community_id, resident_ref),
    FOREIGN KEY (community_id, household_id) REFERENCES households (community_id, id) ON DELETE CASCADE
);
CREATE INDEX residents_household ON residents (community_id, household_id);
