-- Per-project quota limits set with `openstack quota set`; absent rows mean the defaults.

-- +goose Up
CREATE TABLE net_quota (
    project_id VARCHAR(255) NOT NULL,
    resource   VARCHAR(64)  NOT NULL,
    hard_limit INTEGER      NOT NULL,
    PRIMARY KEY (project_id, resource)
);

-- +goose Down
DROP TABLE net_quota;
