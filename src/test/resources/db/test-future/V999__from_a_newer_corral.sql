-- Test-only migration: a database migrated with it looks written by a newer Corral.
CREATE TABLE from_a_newer_corral (id INTEGER PRIMARY KEY);
