-- Security groups and their rules. Every attribute is a column: rules are small and lists
-- filter and sort on nearly all of them. A NULL protocol, port, prefix or remote group is
-- Neutron's null (any). net_default_security_group holds each project's one default group:
-- its primary key is what keeps two first requests of a project from creating two defaults.

-- +goose Up
CREATE TABLE net_security_group (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id      VARCHAR(255) NOT NULL,
    name            VARCHAR(255) NOT NULL DEFAULT '',
    description     VARCHAR(255) NOT NULL DEFAULT '',
    stateful        BOOLEAN      NOT NULL,
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    revision_number BIGINT       NOT NULL
);
CREATE INDEX net_sg_project ON net_security_group (project_id);

CREATE TABLE net_security_group_rule (
    id                      VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id              VARCHAR(255) NOT NULL,
    security_group_id       VARCHAR(36)  NOT NULL,
    direction               VARCHAR(16)  NOT NULL,
    ethertype               VARCHAR(40)  NOT NULL,
    protocol                VARCHAR(40),
    port_range_min          INTEGER,
    port_range_max          INTEGER,
    remote_ip_prefix        VARCHAR(255),
    normalized_cidr         VARCHAR(255),
    remote_group_id         VARCHAR(36),
    remote_address_group_id VARCHAR(36),
    description             VARCHAR(255) NOT NULL DEFAULT '',
    created_at              BIGINT       NOT NULL,
    updated_at              BIGINT       NOT NULL,
    revision_number         BIGINT       NOT NULL,
    FOREIGN KEY (security_group_id) REFERENCES net_security_group (id) ON DELETE CASCADE,
    FOREIGN KEY (remote_group_id) REFERENCES net_security_group (id) ON DELETE CASCADE
);
CREATE INDEX net_sg_rule_group ON net_security_group_rule (security_group_id);
CREATE INDEX net_sg_rule_remote_group ON net_security_group_rule (remote_group_id);
CREATE INDEX net_sg_rule_project ON net_security_group_rule (project_id);

CREATE TABLE net_default_security_group (
    project_id        VARCHAR(255) NOT NULL PRIMARY KEY,
    security_group_id VARCHAR(36)  NOT NULL,
    FOREIGN KEY (security_group_id) REFERENCES net_security_group (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX net_default_sg_group ON net_default_security_group (security_group_id);

-- +goose Down
DROP TABLE net_default_security_group;
DROP TABLE net_security_group_rule;
DROP TABLE net_security_group;
