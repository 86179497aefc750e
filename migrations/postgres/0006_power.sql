-- PCS power transitions and their per-node tasks, written before any BMC is touched.
CREATE TABLE power_transitions (
    id        TEXT PRIMARY KEY NOT NULL,
    operation TEXT NOT NULL,
    created   TEXT NOT NULL,
    expires   TEXT NOT NULL,
    status    TEXT NOT NULL,
    deadline  BIGINT NOT NULL,
    by        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE power_tasks (
    transition_id TEXT NOT NULL REFERENCES power_transitions (id) ON DELETE CASCADE,
    xname         TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    status        TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (transition_id, xname)
);

CREATE INDEX power_transitions_status ON power_transitions (status);
