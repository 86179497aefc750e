-- Events every replica published, so the others can replay them on their own bus (SSE
-- clients, caches, the boot index). Written under the store's write lock, so ids commit in
-- order and a reader that has seen id N has seen every event before it. Pruned after a while.
CREATE TABLE events (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin TEXT NOT NULL,                        -- the publishing replica's id
    at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    body   TEXT NOT NULL                         -- the event as JSON
);
CREATE INDEX events_at ON events (at);

-- Secrets every replica must share (the token signing key, the BMC password key): the first
-- replica to start stores its own, the others take them.
CREATE TABLE shared_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
