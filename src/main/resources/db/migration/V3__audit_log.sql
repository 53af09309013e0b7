-- Audit log (dev.corral.audit): who did what, from where, with what outcome. No foreign keys: an entry outlives
-- the account it names (actor_name and target_name keep the names as they were).
CREATE TABLE audit_log (
    id          VARCHAR(36)  PRIMARY KEY,
    at          BIGINT       NOT NULL, -- epoch ms
    action      VARCHAR(64)  NOT NULL, -- AuditAction code, e.g. sign_in
    outcome     VARCHAR(16)  NOT NULL, -- success | failure
    actor_id    VARCHAR(36),
    actor_name  VARCHAR(64),
    ip          VARCHAR(64),
    target_type VARCHAR(32),
    target_id   VARCHAR(64),
    target_name VARCHAR(200),
    detail      VARCHAR(500)
);

CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_by_action ON audit_log (action, at DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at DESC);
