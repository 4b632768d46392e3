-- Proxy (委托投票) and paper (书面表决票) ballots: a ballot's casting terms, the channel of each
-- leaf (mirroring the leaf's public members, for the entry checks), and proxy authorisations
-- (委托书), which are not public.
ALTER TABLE ballots ADD COLUMN conflict_rule TEXT NOT NULL DEFAULT 'latest_before_close';
ALTER TABLE ballots ADD COLUMN proxy_cap INTEGER NOT NULL DEFAULT 1;

ALTER TABLE ballot_leaves ADD COLUMN channel TEXT NOT NULL DEFAULT 'online';
-- Paper: the leaf index of the original paper entry this leaf corrects or confirms.
ALTER TABLE ballot_leaves ADD COLUMN corrects BIGINT;
-- Paper: the user id of the scrutineer who confirmed it (the leaf carries their index).
ALTER TABLE ballot_leaves ADD COLUMN confirmed_by BIGINT;
-- Paper: the SHA-256 of the paper's scan; proxy on paper: of the authorisation's scan.
ALTER TABLE ballot_leaves ADD COLUMN scan_sha256 TEXT;
-- Proxy: the authorisation it was cast under.
ALTER TABLE ballot_leaves ADD COLUMN authorisation_id BIGINT;
CREATE INDEX ballot_leaves_scan ON ballot_leaves (ballot_id, scan_sha256);

CREATE TABLE proxy_authorisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL REFERENCES ballots (id),
    -- The owner's voter in the ballot (co-owners are one voter).
    voter_index BIGINT NOT NULL,
    -- The user authorised (受托人).
    proxy_user_id BIGINT NOT NULL REFERENCES users (id),
    -- The voter the proxy is themselves in this ballot, if any.
    proxy_voter BIGINT,
    -- online (signed by the owner in the service) or paper (entered by an organiser).
    source TEXT NOT NULL,
    scan_sha256 TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by BIGINT REFERENCES users (id)
);
CREATE INDEX proxy_authorisations_ballot ON proxy_authorisations (ballot_id, voter_index);
CREATE INDEX proxy_authorisations_proxy ON proxy_authorisations (ballot_id, proxy_user_id);
