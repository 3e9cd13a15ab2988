-- Routers and floating IPs. A router's ports — its external gateway and its interfaces — are
-- rows of net_router_port, whose primary key keeps a port on one router at most. A floating
-- IP's own address is a port on its external network (device owner network:floatingip); its
-- unique key keeps a fixed address from having two floating IPs on one external network.

-- +goose Up
CREATE TABLE net_router (
    id              VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id      VARCHAR(255) NOT NULL,
    name            VARCHAR(255) NOT NULL DEFAULT '',
    description     VARCHAR(255) NOT NULL DEFAULT '',
    status          VARCHAR(16)  NOT NULL,
    admin_state_up  BOOLEAN      NOT NULL,
    gw_port_id      VARCHAR(36),
    gw_network_id   VARCHAR(36),
    enable_snat     BOOLEAN      NOT NULL,
    distributed     BOOLEAN      NOT NULL,
    ha              BOOLEAN      NOT NULL,
    created_at      BIGINT       NOT NULL,
    updated_at      BIGINT       NOT NULL,
    revision_number BIGINT       NOT NULL,
    doc             TEXT         NOT NULL
);
CREATE INDEX net_router_project ON net_router (project_id);
CREATE INDEX net_router_gw_network ON net_router (gw_network_id);

CREATE TABLE net_router_port (
    port_id   VARCHAR(36)  NOT NULL PRIMARY KEY,
    router_id VARCHAR(36)  NOT NULL REFERENCES net_router (id),
    port_type VARCHAR(255) NOT NULL
);
CREATE INDEX net_router_port_router ON net_router_port (router_id);

CREATE TABLE net_floatingip (
    id                  VARCHAR(36)  NOT NULL PRIMARY KEY,
    project_id          VARCHAR(255) NOT NULL,
    description         VARCHAR(255) NOT NULL DEFAULT '',
    floating_network_id VARCHAR(36)  NOT NULL REFERENCES net_network (id),
    floating_port_id    VARCHAR(36)  NOT NULL,
    floating_ip_address VARCHAR(64)  NOT NULL,
    fixed_port_id       VARCHAR(36),
    fixed_ip_address    VARCHAR(64),
    router_id           VARCHAR(36),
    status              VARCHAR(16)  NOT NULL,
    created_at          BIGINT       NOT NULL,
    updated_at          BIGINT       NOT NULL,
    revision_number     BIGINT       NOT NULL,
    doc                 TEXT         NOT NULL,
    UNIQUE (floating_network_id, fixed_port_id, fixed_ip_address)
);
CREATE INDEX net_floatingip_project ON net_floatingip (project_id);
CREATE INDEX net_floatingip_port ON net_floatingip (fixed_port_id);
CREATE INDEX net_floatingip_router ON net_floatingip (router_id);

-- +goose Down
DROP TABLE net_floatingip;
DROP TABLE net_router_port;
DROP TABLE net_router;
