-- Sign-in sessions (dev.corral.session), stored by Spring Session JDBC so that they survive a restart. The layout
-- is Spring Session's standard one (its queries name these tables and columns); spring.session.jdbc.initialize-schema
-- is never, so this migration is the only place the tables are created.
-- PRIMARY_ID: internal key, stable for the session's life. SESSION_ID: the id the cookie carries (changes on
-- sign-in). Times are epoch ms; MAX_INACTIVE_INTERVAL is in seconds. PRINCIPAL_NAME: the signed-in user's id (not
-- the username, so a rename never mixes users), set at sign-in. EXPIRY_TIME = LAST_ACCESS_TIME + the idle timeout,
-- capped at CREATION_TIME + SESSION_MAX_LIFETIME; a job deletes expired rows every minute.
CREATE TABLE SPRING_SESSION (
    PRIMARY_ID            CHAR(36)     NOT NULL,
    SESSION_ID            CHAR(36)     NOT NULL,
    CREATION_TIME         BIGINT       NOT NULL,
    LAST_ACCESS_TIME      BIGINT       NOT NULL,
    MAX_INACTIVE_INTERVAL INT          NOT NULL,
    EXPIRY_TIME           BIGINT       NOT NULL,
    PRINCIPAL_NAME        VARCHAR(100),
    CONSTRAINT SPRING_SESSION_PK PRIMARY KEY (PRIMARY_ID)
);

CREATE UNIQUE INDEX SPRING_SESSION_IX1 ON SPRING_SESSION (SESSION_ID);
CREATE INDEX SPRING_SESSION_IX2 ON SPRING_SESSION (EXPIRY_TIME);
CREATE INDEX SPRING_SESSION_IX3 ON SPRING_SESSION (PRINCIPAL_NAME);

-- Session attributes, each value serialized by Java serialization (the security context, the session's opaque id,
-- IP and browser). BYTEA: PostgreSQL's byte string; SQLite accepts the type name and stores the blob as it is.
CREATE TABLE SPRING_SESSION_ATTRIBUTES (
    SESSION_PRIMARY_ID CHAR(36)     NOT NULL,
    ATTRIBUTE_NAME     VARCHAR(200) NOT NULL,
    ATTRIBUTE_BYTES    BYTEA        NOT NULL,
    CONSTRAINT SPRING_SESSION_ATTRIBUTES_PK PRIMARY KEY (SESSION_PRIMARY_ID, ATTRIBUTE_NAME),
    CONSTRAINT SPRING_SESSION_ATTRIBUTES_FK FOREIGN KEY (SESSION_PRIMARY_ID)
        REFERENCES SPRING_SESSION (PRIMARY_ID) ON DELETE CASCADE
);
