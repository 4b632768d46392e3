-- A community (物业管理区域 / 小区): the unit of self-governance. Every table whose rows
-- belong to a community carries community_id.
CREATE TABLE communities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
