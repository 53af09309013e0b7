-- API keys (dev.corral.apikey): named credentials a user creates for scripts and tools, sent as
-- "Authorization: Bearer crl_<public id>_<secret>". Only a SHA-256 digest of the whole key is stored; the prefix
-- (crl_ + the public id) is shown in lists and is how a presented key is found. Times are epoch ms.
-- replaced_by / rotated_at: set when the key was rotated; it then works until expires_at (the end of the grace period).
CREATE TABLE api_keys (
    id           VARCHAR(36) PRIMARY KEY,
    user_id      VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         VARCHAR(64) NOT NULL,
    prefix       VARCHAR(16) NOT NULL UNIQUE,
    secret_hash  VARCHAR(64) NOT NULL, -- hex SHA-256 of the whole key
    created_at   BIGINT      NOT NULL,
    last_used_at BIGINT,               -- updated at most once a minute
    expires_at   BIGINT,               -- null: no expiry
    revoked_at   BIGINT,               -- null: not revoked
    replaced_by  VARCHAR(36),          -- the key made by rotating this one
    rotated_at   BIGINT
);

CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at);
