-- Lookups of a port by address (fixed_ips=ip_address=…) find the allocation by its address.

-- +goose Up
CREATE INDEX net_ip_allocation_address ON net_ip_allocation (ip_address);

-- +goose Down
-- (the index goes with its table; DROP INDEX is spelled differently by each engine)
