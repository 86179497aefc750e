-- A component's Locked and ReservationDisabled now follow its lock state (as SMD keeps
-- them); bring the stored ones in line with the locks already taken.
UPDATE components SET
    locked = COALESCE((SELECT l.locked FROM component_locks l WHERE l.id = components.id), FALSE),
    reservation_disabled =
        COALESCE((SELECT l.disabled FROM component_locks l WHERE l.id = components.id), FALSE);
