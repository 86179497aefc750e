-- The reservations the engine holds for a transition's nodes ([{"ID", "DeputyKey",
-- "ReservationKey"}]), so a core taking the transition over renews and releases them.
ALTER TABLE power_transitions ADD COLUMN reservations TEXT NOT NULL DEFAULT '[]';
