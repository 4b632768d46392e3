DROP TABLE tally_cosignatures;
DROP TABLE ballot_objections;
DROP TABLE tally_records;
DROP TABLE ballot_scrutineers;
DROP TABLE scrutineer_keys;
ALTER TABLE ballots DROP COLUMN objection_ends_at;
ALTER TABLE ballots DROP COLUMN cosignatures_required;
ALTER TABLE ballots DROP COLUMN scrutineer_ids;
ALTER TABLE communities DROP COLUMN objection_days;
