-- Image schema, as Glance keeps it: images with their properties, tags, members and locations.
-- Portable SQL for SQLite, MariaDB/MySQL and PostgreSQL; times are BIGINT microseconds.

-- +goose Up
CREATE TABLE image (
    id               VARCHAR(36)  NOT NULL PRIMARY KEY,
    name             VARCHAR(255),
    status           VARCHAR(30)  NOT NULL,
    visibility       VARCHAR(20)  NOT NULL,
    protected        BOOLEAN      NOT NULL DEFAULT FALSE,
    os_hidden        BOOLEAN      NOT NULL DEFAULT FALSE,
    owner            VARCHAR(255),
    size             BIGINT,
    virtual_size     BIGINT,
    checksum         VARCHAR(32),
    os_hash_algo     VARCHAR(64),
    os_hash_value    VARCHAR(128),
    disk_format      VARCHAR(20),
    container_format VARCHAR(20),
    min_disk         INTEGER      NOT NULL DEFAULT 0,
    min_ram          INTEGER      NOT NULL DEFAULT 0,
    staged_size      BIGINT,
    created_at       BIGINT       NOT NULL,
    updated_at       BIGINT       NOT NULL
);
CREATE INDEX image_owner ON image (owner);
CREATE INDEX image_created ON image (created_at, id);
CREATE INDEX image_visibility ON image (visibility);

CREATE TABLE image_property (
    image_id VARCHAR(36)  NOT NULL REFERENCES image (id) ON DELETE CASCADE,
    name     VARCHAR(255) NOT NULL,
    value    TEXT         NOT NULL,
    PRIMARY KEY (image_id, name)
);

CREATE TABLE image_tag (
    image_id VARCHAR(36)  NOT NULL REFERENCES image (id) ON DELETE CASCADE,
    value    VARCHAR(255) NOT NULL,
    PRIMARY KEY (image_id, value)
);

CREATE TABLE image_member (
    image_id   VARCHAR(36)  NOT NULL REFERENCES image (id) ON DELETE CASCADE,
    member     VARCHAR(255) NOT NULL,
    status     VARCHAR(20)  NOT NULL,
    created_at BIGINT       NOT NULL,
    updated_at BIGINT       NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE INDEX image_member_member ON image_member (member, status);

CREATE TABLE image_location (
    image_id VARCHAR(36) NOT NULL REFERENCES image (id) ON DELETE CASCADE,
    position INTEGER     NOT NULL,
    url      TEXT        NOT NULL,
    metadata TEXT,
    PRIMARY KEY (image_id, position)
);

-- +goose Down
DROP TABLE image_location;
DROP TABLE image_member;
DROP TABLE image_tag;
DROP TABLE image_property;
DROP TABLE image;
