-- SMD Redfish endpoints and what they describe. Documents are the JSON SMD returns; the
-- columns beside them are the keys the core looks up by. The password is sealed by the core
-- (ChaCha20-Poly1305, key shared by the replicas) and never part of the document.
CREATE TABLE rf_endpoints (
    id       TEXT PRIMARY KEY NOT NULL,
    fqdn     TEXT NOT NULL,
    doc      TEXT NOT NULL,
    password TEXT
);

-- FQDNs are unique whatever their case, as in SQLite's COLLATE NOCASE.
CREATE UNIQUE INDEX rf_endpoints_fqdn ON rf_endpoints (lower(fqdn));

CREATE TABLE component_endpoints (
    id          TEXT PRIMARY KEY NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES rf_endpoints (id) ON DELETE CASCADE,
    doc         TEXT NOT NULL
);

CREATE INDEX component_endpoints_endpoint ON component_endpoints (endpoint_id);

CREATE TABLE service_endpoints (
    endpoint_id  TEXT NOT NULL REFERENCES rf_endpoints (id) ON DELETE CASCADE,
    redfish_type TEXT NOT NULL,
    doc          TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, redfish_type)
);

-- Hardware by location; kept when the component goes (SMD keeps it too).
CREATE TABLE hardware (
    id  TEXT PRIMARY KEY NOT NULL,
    doc TEXT NOT NULL
);
