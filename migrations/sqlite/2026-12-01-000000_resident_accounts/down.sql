DROP TABLE resident_codes;
DROP INDEX users_resident;
ALTER TABLE users DROP COLUMN resident_ref;
