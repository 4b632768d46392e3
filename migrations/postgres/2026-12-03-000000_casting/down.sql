DROP TABLE proxy_authorisations;
DROP INDEX ballot_leaves_scan;
ALTER TABLE ballot_leaves DROP COLUMN authorisation_id;
ALTER TABLE ballot_leaves DROP COLUMN scan_sha256;
ALTER TABLE ballot_leaves DROP COLUMN confirmed_by;
ALTER TABLE ballot_leaves DROP COLUMN corrects;
ALTER TABLE ballot_leaves DROP COLUMN channel;
ALTER TABLE ballots DROP COLUMN proxy_cap;
ALTER TABLE ballots DROP COLUMN conflict_rule;
