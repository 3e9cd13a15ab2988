-- Identity schema: domains and projects share one table, as in Keystone.
-- Portable SQL for SQLite, MariaDB/MySQL and PostgreSQL; times are BIGINT microseconds.

-- +goose Up
CREATE TABLE project (
    id          VARCHAR(64)  NOT NULL PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL,
    domain_id   VARCHAR(64)  NOT NULL,
    parent_id   VARCHAR(64),
    is_domain   BOOLEAN      NOT NULL DEFAULT FALSE,
    enabled     BOOLEAN      NOT NULL DEFAULT TRUE,
    description TEXT,
    extra       TEXT,
    UNIQUE (domain_id, name)
);
CREATE INDEX project_parent ON project (parent_id);

CREATE TABLE project_tag (
    project_id VARCHAR(64)  NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    name       VARCHAR(255) NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE identity_user (
    id                 VARCHAR(64)  NOT NULL PRIMARY KEY,
    domain_id          VARCHAR(64)  NOT NULL,
    name               VARCHAR(255) NOT NULL,
    enabled            BOOLEAN      NOT NULL DEFAULT TRUE,
    default_project_id VARCHAR(64),
    options            TEXT,
    extra              TEXT,
    created_at         BIGINT,
    last_active_at     BIGINT,
    failed_auth_count  INTEGER      NOT NULL DEFAULT 0,
    failed_auth_at     BIGINT,
    UNIQUE (domain_id, name)
);

CREATE TABLE user_password (
    user_id      VARCHAR(64)  NOT NULL REFERENCES identity_user (id) ON DELETE CASCADE,
    created_at   BIGINT       NOT NULL,
    hash         VARCHAR(255) NOT NULL,
    expires_at   BIGINT,
    self_service BOOLEAN      NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, created_at)
);

CREATE TABLE identity_group (
    id          VARCHAR(64)  NOT NULL PRIMARY KEY,
    domain_id   VARCHAR(64)  NOT NULL,
    name        VARCHAR(255) NOT NULL,
    description TEXT,
    extra       TEXT,
    UNIQUE (domain_id, name)
);

CREATE TABLE user_group_membership (
    user_id  VARCHAR(64) NOT NULL REFERENCES identity_user (id) ON DELETE CASCADE,
    group_id VARCHAR(64) NOT NULL REFERENCES identity_group (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_group_membership_group ON user_group_membership (group_id);

CREATE TABLE role (
    id          VARCHAR(64)  NOT NULL PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    domain_id   VARCHAR(64)  NOT NULL,
    description TEXT,
    options     TEXT,
    UNIQUE (name, domain_id)
);

CREATE TABLE implied_role (
    prior_role_id   VARCHAR(64) NOT NULL REFERENCES role (id) ON DELETE CASCADE,
    implied_role_id VARCHAR(64) NOT NULL REFERENCES role (id) ON DELETE CASCADE,
    PRIMARY KEY (prior_role_id, implied_role_id)
);

CREATE TABLE assignment (
    type      VARCHAR(16) NOT NULL,
    actor_id  VARCHAR(64) NOT NULL,
    target_id VARCHAR(64) NOT NULL,
    role_id   VARCHAR(64) NOT NULL REFERENCES role (id) ON DELETE CASCADE,
    inherited BOOLEAN     NOT NULL DEFAULT FALSE,
    PRIMARY KEY (type, actor_id, target_id, role_id, inherited)
);
CREATE INDEX assignment_actor ON assignment (actor_id);
CREATE INDEX assignment_target ON assignment (target_id);

CREATE TABLE region (
    id               VARCHAR(255) NOT NULL PRIMARY KEY,
    description      VARCHAR(255),
    parent_region_id VARCHAR(255),
    extra            TEXT
);

CREATE TABLE service (
    id          VARCHAR(64)  NOT NULL PRIMARY KEY,
    type        VARCHAR(255) NOT NULL,
    name        VARCHAR(255),
    description TEXT,
    enabled     BOOLEAN      NOT NULL DEFAULT TRUE,
    extra       TEXT
);

CREATE TABLE endpoint (
    id         VARCHAR(64)  NOT NULL PRIMARY KEY,
    service_id VARCHAR(64)  NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    interface  VARCHAR(8)   NOT NULL,
    url        TEXT         NOT NULL,
    region_id  VARCHAR(255),
    enabled    BOOLEAN      NOT NULL DEFAULT TRUE,
    extra      TEXT
);

CREATE TABLE application_credential (
    id           VARCHAR(64)  NOT NULL PRIMARY KEY,
    name         VARCHAR(255) NOT NULL,
    description  TEXT,
    user_id      VARCHAR(64)  NOT NULL REFERENCES identity_user (id) ON DELETE CASCADE,
    project_id   VARCHAR(64)  NOT NULL,
    secret_hash  VARCHAR(255) NOT NULL,
    expires_at   BIGINT,
    unrestricted BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at   BIGINT       NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE application_credential_role (
    application_credential_id VARCHAR(64) NOT NULL REFERENCES application_credential (id) ON DELETE CASCADE,
    role_id                   VARCHAR(64) NOT NULL,
    PRIMARY KEY (application_credential_id, role_id)
);

CREATE TABLE credential (
    id             VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id        VARCHAR(64) NOT NULL,
    project_id     VARCHAR(64),
    type           VARCHAR(255) NOT NULL,
    encrypted_blob TEXT        NOT NULL,
    extra          TEXT
);
CREATE INDEX credential_user ON credential (user_id);

CREATE TABLE revocation_event (
    id             VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id        VARCHAR(64),
    project_id     VARCHAR(64),
    domain_id      VARCHAR(64),
    role_id        VARCHAR(64),
    audit_id       VARCHAR(32),
    audit_chain_id VARCHAR(32),
    issued_before  BIGINT      NOT NULL,
    revoked_at     BIGINT      NOT NULL
);

-- generation counts every committed identity write; nodes compare it to drop caches.
CREATE TABLE identity_generation (
    id    INTEGER NOT NULL PRIMARY KEY,
    value BIGINT  NOT NULL
);
INSERT INTO identity_generation (id, value) VALUES (1, 0);

-- +goose Down
DROP TABLE identity_generation;
DROP TABLE revocation_event;
DROP TABLE credential;
DROP TABLE application_credential_role;
DROP TABLE application_credential;
DROP TABLE endpoint;
DROP TABLE service;
DROP TABLE region;
DROP TABLE assignment;
DROP TABLE implied_role;
DROP TABLE role;
DROP TABLE user_group_membership;
DROP TABLE identity_group;
DROP TABLE user_password;
DROP TABLE identity_user;
DROP TABLE project_tag;
DROP TABLE project;
