-- SMD locking v2: per-component admin lock, reservation switch and reservation.
-- A component with no row is unlocked, enabled and unreserved. Times are unix seconds.
CREATE TABLE component_locks (
    id              TEXT PRIMARY KEY NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    reservation_key TEXT,
    deputy_key      TEXT,
    created         BIGINT,
    expires         BIGINT
);
