DROP TABLE residents;
DROP TABLE households;
