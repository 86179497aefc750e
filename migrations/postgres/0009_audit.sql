-- The audit log: append-only, the whole entry as JSON, with the fields filters use apart.
CREATE TABLE audit (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_millis BIGINT NOT NULL,
    subject     TEXT NOT NULL,
    tenant      TEXT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time_millis);
CREATE INDEX audit_subject ON audit (subject, id);
CREATE INDEX audit_tenant ON audit (tenant, id);
