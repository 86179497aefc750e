-- Which core runs a transition and until when (unix seconds): another replica takes over a
-- transition whose lease ended.
ALTER TABLE power_transitions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE power_transitions ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
