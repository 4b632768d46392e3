DROP TABLE ballot_voter_residents;
