-- Accounts (dev.corral.user) and runtime settings (dev.corral.settings).

-- pending: a sign-up awaiting an admin's approval. A pending account is stored with enabled = FALSE as well, so
-- that every check of enabled refuses it; approving (or enabling) it sets pending = FALSE and enabled = TRUE.
-- Accounts that exist already are not pending.
ALTER TABLE users ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;

-- Settings an admin changes at run time in the UI (e.g. sign_up_open), one row per setting; a missing row means
-- the setting's default. updated_by: the admin's user id (no foreign key: the row outlives the account).
CREATE TABLE settings (
    key        VARCHAR(64)   PRIMARY KEY,
    value      VARCHAR(1000) NOT NULL,
    updated_at BIGINT        NOT NULL, -- epoch ms
    updated_by VARCHAR(36)
);
