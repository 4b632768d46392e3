ALTER TABLE ballots DROP COLUMN custom_rule;
