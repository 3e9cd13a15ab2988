-- Network schema. Each resource has its standard attributes and the columns lists filter and
-- sort on as columns; its other attributes are a JSON document (doc). Address allocations have
-- their own table with a unique key per subnet, which is what keeps IPAM correct when many
-- ports are created at once. Portable SQL for SQLite, MariaDB/MySQL and PostgreSQL; times are
-- BIGINT microseconds.

-- +goose Up
CREATE TABLE net_network (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id      VARCHAR(255) NOT NULL,
    name            VARCHAR(255) NOT NULL DEFAULT '',
    description     VARCHAR(255) NOT NULL DEFAULT '',
    status          VARCHAR(16)  NOT NULL,
    admin_state_up  BOOLEAN      NOT NULL,
    shared          BOOLEAN      NOT NULL,
    router_external BOOLEAN      NOT NULL,
    mtu             INTEGER      NOT NULL,
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    revision_number BIGINT       NOT NULL,
    doc             TEXT         NOT NULL
);
CREATE INDEX net_network_project ON net_network (project_id);

CREATE TABLE net_segment (
    id               VARCHAR(36)  NOT NULL PRIMARY KEY,
    network_id       VARCHAR(36)  NOT NULL REFERENCES net_network (id) ON DELETE CASCADE,
    network_type     VARCHAR(16)  NOT NULL,
    physical_network VARCHAR(64)  NOT NULL DEFAULT '',
    segmentation_id  INTEGER,                 -- NULL for local networks, which share nothing
    position         INTEGER      NOT NULL DEFAULT 0
);
-- One network per flat physical network, per VLAN of a physical network, per VNI.
CREATE UNIQUE INDEX net_segment_unique ON net_segment (network_type, physical_network, segmentation_id);
CREATE INDEX net_segment_network ON net_segment (network_id);

CREATE TABLE net_subnet (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id      VARCHAR(255) NOT NULL,
    network_id      VARCHAR(36)  NOT NULL REFERENCES net_network (id),
    name            VARCHAR(255) NOT NULL DEFAULT '',
    description     VARCHAR(255) NOT NULL DEFAULT '',
    ip_version      INTEGER      NOT NULL,
    cidr            VARCHAR(64)  NOT NULL,
    gateway_ip      VARCHAR(64),
    enable_dhcp     BOOLEAN      NOT NULL,
    subnetpool_id   VARCHAR(36),
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    revision_number BIGINT       NOT NULL,
    doc             TEXT         NOT NULL
);
CREATE INDEX net_subnet_network ON net_subnet (network_id);
CREATE INDEX net_subnet_project ON net_subnet (project_id);

CREATE TABLE net_port (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id      VARCHAR(255) NOT NULL,
    network_id      VARCHAR(36)  NOT NULL REFERENCES net_network (id),
    name            VARCHAR(255) NOT NULL DEFAULT '',
    description     VARCHAR(255) NOT NULL DEFAULT '',
    mac_address     VARCHAR(32)  NOT NULL,
    device_id       VARCHAR(255) NOT NULL DEFAULT '',
    device_owner    VARCHAR(255) NOT NULL DEFAULT '',
    status          VARCHAR(16)  NOT NULL,
    admin_state_up  BOOLEAN      NOT NULL,
    binding_host_id VARCHAR(255) NOT NULL DEFAULT '',
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    revision_number BIGINT       NOT NULL,
    doc             TEXT         NOT NULL,
    UNIQUE (network_id, mac_address)
);
CREATE INDEX net_port_project ON net_port (project_id);
CREATE INDEX net_port_device ON net_port (device_id);
CREATE INDEX net_port_created ON net_port (created_at, id);

-- An address in use on a subnet: by a port, or held for a subnet's gateway.
CREATE TABLE net_ip_allocation (
    subnet_id  VARCHAR(36) NOT NULL REFERENCES net_subnet (id),
    ip_address VARCHAR(64) NOT NULL,
    port_id    VARCHAR(36) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (subnet_id, ip_address)
);
CREATE INDEX net_ip_allocation_port ON net_ip_allocation (port_id);

CREATE TABLE net_tag (
    resource_id VARCHAR(36)  NOT NULL,
    tag         VARCHAR(255) NOT NULL,
    PRIMARY KEY (resource_id, tag)
);
CREATE INDEX net_tag_tag ON net_tag (tag);

-- +goose Down
DROP TABLE net_tag;
DROP TABLE net_ip_allocation;
DROP TABLE net_port;
DROP TABLE net_subnet;
DROP TABLE net_segment;
DROP TABLE net_network;
