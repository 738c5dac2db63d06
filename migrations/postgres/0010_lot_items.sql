-- A lot's item list (SPEC §11): what an asset package holds, in the order of the file it
-- was imported from. An import replaces the whole list in one transaction.
CREATE TABLE lot_items (
    lot_id   BIGINT NOT NULL REFERENCES lots (id),
    position BIGINT NOT NULL,
    name     TEXT   NOT NULL,
    quantity NUMERIC(18, 6) NOT NULL,
    unit     TEXT   NOT NULL,
    notes    TEXT   NOT NULL,
    PRIMARY KEY (lot_id, position)
);

-- The weekly statistics count a lot as opened at its first `open` state event; only those
-- rows are indexed, so the journal's bid rows pay nothing for it.
CREATE INDEX room_events_openings ON room_events (lot_id, at_ms)
    WHERE kind = 'state' AND state = 'open';
