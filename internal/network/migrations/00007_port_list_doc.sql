-- Port lists answer from each port's rendering, kept in its row: list_doc is the port as lists
-- show it, in parts (its binding:* attributes, its name and description, the rest but its id,
-- network and project), and list_revision the revision it renders. A row whose list_revision is
-- not its revision_number (NULL: never rendered) is rendered on the fly.

-- +goose Up
ALTER TABLE net_port ADD COLUMN list_doc TEXT;
ALTER TABLE net_port ADD COLUMN list_revision BIGINT;

-- +goose Down
ALTER TABLE net_port DROP COLUMN list_revision;
ALTER TABLE net_port DROP COLUMN list_doc;
