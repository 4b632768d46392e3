DROP TABLE election_checkpoints;
DROP TABLE election_events;
DROP FUNCTION election_log_append_only();
DROP TABLE election_objections;
DROP TABLE election_cosigners;
DROP TABLE election_candidates;
DROP TABLE election_members;
DROP TABLE elections;
