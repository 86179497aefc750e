-- Which core runs a transition and until when (unix seconds): another core (a replica, or
-- this one after a restart) takes over a transition whose lease ended.
ALTER TABLE power_transitions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE power_transitions ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
