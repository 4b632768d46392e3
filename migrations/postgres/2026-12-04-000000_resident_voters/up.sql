-- Who may cast for which voter of a residents' convention ballot (居民公约): the adult
-- residents on the register, by their reference, as frozen at announcement.
CREATE TABLE ballot_voter_residents (
    community_id BIGINT NOT NULL,
    ballot_id BIGINT NOT NULL,
    resident_ref TEXT NOT NULL,
    voter_index BIGINT NOT NULL,
    PRIMARY KEY (community_id, ballot_id, resident_ref),
    FOREIGN KEY (community_id, ballot_id) REFERENCES ballots (community_id, id)
);
