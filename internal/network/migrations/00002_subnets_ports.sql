-- Subnets: the IPv6 modes become columns, so lists filter and sort on them.

-- +goose Up
ALTER TABLE net_subnet ADD COLUMN ipv6_ra_mode VARCHAR(16);
ALTER TABLE net_subnet ADD COLUMN ipv6_address_mode VARCHAR(16);

-- +goose Down
ALTER TABLE net_subnet DROP COLUMN ipv6_address_mode;
ALTER TABLE net_subnet DROP COLUMN ipv6_ra_mode;
