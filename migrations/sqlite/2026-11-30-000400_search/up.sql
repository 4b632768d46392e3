-- Search over proposals, comments and conventions that works for Chinese text on both
-- databases: each document's terms (Han bigrams, the last Han character of each run, Latin
-- words and numbers; see domain::search), looked up by exact term or by prefix.
CREATE TABLE search_terms (
    community_id BIGINT NOT NULL REFERENCES communities (id),
    term TEXT NOT NULL,
    -- proposal, comment or convention.
    doc_kind TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    PRIMARY KEY (community_id, term, doc_kind, doc_id)
);
CREATE INDEX search_terms_doc ON search_terms (doc_kind, doc_id);
