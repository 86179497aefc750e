-- Tenants (TAPMS): the whole resource as JSON, keyed by name, with its uuid and version
-- apart so lookups and compare-and-set writes need not parse it.
CREATE TABLE tenants (
    name     TEXT PRIMARY KEY NOT NULL,
    uuid     TEXT NOT NULL UNIQUE,
    version  BIGINT NOT NULL,
    body     TEXT NOT NULL
);
