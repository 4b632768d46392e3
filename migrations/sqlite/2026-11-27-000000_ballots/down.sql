DROP TABLE ballot_checkpoints;
DROP TABLE ballot_leaves;
DROP TABLE ballot_voter_owners;
DROP TABLE ballot_voters;
DROP TABLE ballots;
ALTER TABLE communities DROP COLUMN notice_reason;
ALTER TABLE communities DROP COLUMN notice_days;
