-- PCS power-cap tasks: heads, the tenant whose request made the task, its operation counts
-- (for the list) and its operations (JSON, for one task's answer).
CREATE TABLE power_cap_tasks (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    status  TEXT NOT NULL,
    tenant  TEXT,
    counts  TEXT NOT NULL,
    ops     TEXT NOT NULL
);
CREATE INDEX power_cap_tasks_created ON power_cap_tasks (created);
