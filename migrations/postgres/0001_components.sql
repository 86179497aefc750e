-- SMD components (State/Components). NULL means "not set" for the optional fields.
CREATE TABLE components (
    id                   TEXT PRIMARY KEY NOT NULL,
    type                 TEXT NOT NULL,
    state                TEXT NOT NULL,
    flag                 TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    software_status      TEXT,
    role                 TEXT,
    subrole              TEXT,
    nid                  BIGINT,
    subtype              TEXT,
    net_type             TEXT,
    arch                 TEXT,
    class                TEXT,
    reservation_disabled BOOLEAN NOT NULL DEFAULT FALSE,
    locked               BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX components_nid ON components (nid);
CREATE INDEX components_type ON components (type);
