-- Portable SQL: the same migration runs on SQLite and PostgreSQL.
-- Times are epoch milliseconds (BIGINT); ids are random UUID strings.

CREATE TABLE users (
    id            VARCHAR(36)  PRIMARY KEY,
    username      VARCHAR(32)  NOT NULL,
    username_key  VARCHAR(32)  NOT NULL UNIQUE, -- lower-cased: names are unique ignoring case
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    enabled       BOOLEAN      NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);

CREATE TABLE conversations (
    id              VARCHAR(36)  PRIMARY KEY,
    user_id         VARCHAR(36)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           VARCHAR(200),
    model           VARCHAR(200) NOT NULL,
    system_prompt   TEXT,
    temperature     DOUBLE PRECISION,
    current_leaf_id VARCHAR(36), -- the message the conversation shows the path to
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL
);

CREATE INDEX conversations_by_user_recent ON conversations (user_id, updated_at DESC, id DESC);

-- Messages form a tree: each has a parent (null for the first), so regenerating or editing adds a branch.
CREATE TABLE messages (
    id                      VARCHAR(36)  PRIMARY KEY,
    conversation_id         VARCHAR(36)  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id               VARCHAR(36)  REFERENCES messages (id) ON DELETE CASCADE,
    role                    VARCHAR(16)  NOT NULL,
    content                 TEXT         NOT NULL,
    status                  VARCHAR(16)  NOT NULL,
    model                   VARCHAR(200),
    error_code              VARCHAR(64),
    error_message           VARCHAR(2000),
    done_reason             VARCHAR(32),
    prompt_eval_count       BIGINT,
    eval_count              BIGINT,
    total_duration_ns       BIGINT,
    load_duration_ns        BIGINT,
    prompt_eval_duration_ns BIGINT,
    eval_duration_ns        BIGINT,
    created_at              BIGINT       NOT NULL,
    updated_at              BIGINT       NOT NULL
);

CREATE INDEX messages_by_conversation ON messages (conversation_id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_by_status ON messages (status);
