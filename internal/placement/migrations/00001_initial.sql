-- Placement schema. Resource providers form trees (parent_uuid, root_uuid); each has a
-- generation that every change to it, its inventory, traits, aggregates or allocations bumps:
-- writers lock the provider row by bumping it, which is what keeps concurrent allocations from
-- overcommitting. Standard resource classes and traits live in code; only CUSTOM_ ones are
-- stored. Portable SQL for SQLite, MariaDB/MySQL and PostgreSQL; times are BIGINT microseconds.

-- +goose Up
CREATE TABLE placement_provider (
    uuid        VARCHAR(36)  NOT NULL PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    generation  BIGINT       NOT NULL,
    parent_uuid VARCHAR(36),
    root_uuid   VARCHAR(36)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL
);
CREATE UNIQUE INDEX placement_provider_name ON placement_provider (name);
CREATE INDEX placement_provider_root ON placement_provider (root_uuid);
CREATE INDEX placement_provider_parent ON placement_provider (parent_uuid);

CREATE TABLE placement_resource_class (
    name       VARCHAR(255) NOT NULL PRIMARY KEY,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL
);

CREATE TABLE placement_trait (
    name       VARCHAR(255) NOT NULL PRIMARY KEY,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL
);

CREATE TABLE placement_inventory (
    provider_uuid    VARCHAR(36)      NOT NULL REFERENCES placement_provider (uuid) ON DELETE CASCADE,
    resource_class   VARCHAR(255)     NOT NULL,
    total            BIGINT           NOT NULL,
    reserved         BIGINT           NOT NULL,
    min_unit         BIGINT           NOT NULL,
    max_unit         BIGINT           NOT NULL,
    step_size        BIGINT           NOT NULL,
    allocation_ratio DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (provider_uuid, resource_class)
);
CREATE INDEX placement_inventory_class ON placement_inventory (resource_class);

CREATE TABLE placement_consumer (
    uuid          VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id    VARCHAR(255) NOT NULL,
    user_id       VARCHAR(255) NOT NULL,
    consumer_type VARCHAR(255) NOT NULL DEFAULT '',
    generation    BIGINT       NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);
CREATE INDEX placement_consumer_project ON placement_consumer (project_id, user_id);

CREATE TABLE placement_allocation (
    consumer_uuid  VARCHAR(36)  NOT NULL REFERENCES placement_consumer (uuid),
    provider_uuid  VARCHAR(36)  NOT NULL REFERENCES placement_provider (uuid),
    resource_class VARCHAR(255) NOT NULL,
    used           BIGINT       NOT NULL,
    created_at     BIGINT       NOT NULL,
    PRIMARY KEY (consumer_uuid, provider_uuid, resource_class)
);
CREATE INDEX placement_allocation_provider ON placement_allocation (provider_uuid, resource_class);

CREATE TABLE placement_provider_trait (
    provider_uuid VARCHAR(36)  NOT NULL REFERENCES placement_provider (uuid) ON DELETE CASCADE,
    trait         VARCHAR(255) NOT NULL,
    PRIMARY KEY (provider_uuid, trait)
);
CREATE INDEX placement_provider_trait_name ON placement_provider_trait (trait);

CREATE TABLE placement_provider_aggregate (
    provider_uuid  VARCHAR(36) NOT NULL REFERENCES placement_provider (uuid) ON DELETE CASCADE,
    aggregate_uuid VARCHAR(36) NOT NULL,
    PRIMARY KEY (provider_uuid, aggregate_uuid)
);
CREATE INDEX placement_provider_aggregate_agg ON placement_provider_aggregate (aggregate_uuid);

-- One row whose version every change to providers, trees, inventories, traits or aggregates
-- bumps (allocations do not): what lets a placement process cache the cloud's topology for
-- allocation candidates and know, with one read, whether it is still current.
CREATE TABLE placement_topology (
    id      INTEGER NOT NULL PRIMARY KEY,
    version BIGINT  NOT NULL
);
INSERT INTO placement_topology (id, version) VALUES (1, 0);

-- +goose Down
DROP TABLE placement_topology;
DROP TABLE placement_provider_aggregate;
DROP TABLE placement_provider_trait;
DROP TABLE placement_allocation;
DROP TABLE placement_consumer;
DROP TABLE placement_inventory;
DROP TABLE placement_trait;
DROP TABLE placement_resource_class;
DROP TABLE placement_provider;
