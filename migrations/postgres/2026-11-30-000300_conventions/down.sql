DROP TABLE convention_amendments;
DROP TABLE convention_comments;
DROP TABLE convention_versions;
DROP TABLE conventions;
