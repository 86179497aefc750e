-- SMD components (State/Components). NULL means "not set" for the optional fields.
CREATE TABLE components (
    id                   TEXT PRIMARY KEY NOT NULL,
    type                 TEXT NOT NULL,
    state                TEXT NOT NULL,
    flag                 TEXT NOT NULL,
    enabled              INTEGER NOT NULL DEFAULT 1,
    software_status      TEXT,
    role                 TEXT,
    subrole              TEXT,
    nid                  INTEGER,
    subtype              TEXT,
    net_type             TEXT,
    arch                 TEXT,
    class                TEXT,
    reservation_disabled INTEGER NOT NULL DEFAULT 0,
    locked               INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX components_nid ON components (nid);
CREATE INDEX components_type ON components (type);
