-- Test-only migration: makes a database created at version 1 "older" than the Corral under test.
ALTER TABLE users ADD COLUMN test_only_note VARCHAR(20);
