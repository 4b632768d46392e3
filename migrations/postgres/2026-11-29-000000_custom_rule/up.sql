-- A custom counting rule's parts (JSON of domain::tally::Rule), set on a draft whose
-- counting_rule is 'custom'; fixed in the manifest at announcement.
ALTER TABLE ballots ADD COLUMN custom_rule TEXT;
