-- Rate limits and sign-in lock-out (dev.corral.ratelimit, dev.corral.auth).
-- rate_limit_multiplier: an admin's raise of one user's rate limits (null: the configured limits).
-- failed_sign_ins / locked_until: consecutive failed sign-ins and the end of the lock-out (epoch ms), kept in the
-- database so that a restart does not reset a lock-out.
ALTER TABLE users ADD COLUMN rate_limit_multiplier INTEGER;
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
