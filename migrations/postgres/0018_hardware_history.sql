-- SMD's hardware history: which FRU was seen at which location, when (event types Added,
-- Removed, Scanned, Detected), in the order recorded.
CREATE TABLE hardware_history (
    seq BIGSERIAL PRIMARY KEY,
    id         TEXT NOT NULL,
    fru_id     TEXT NOT NULL,
    ts         TEXT NOT NULL,
    event_type TEXT NOT NULL
);

CREATE INDEX hardware_history_id ON hardware_history (id, seq);
CREATE INDEX hardware_history_fru ON hardware_history (fru_id, seq);
