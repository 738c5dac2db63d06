-- The journal no longer checks `lot_id` against `lots` row by row (as PostgreSQL's 0003):
-- a room exists only for a stored lot and lots are never deleted. Beyond the lookup, a
-- foreign key makes every multi-row INSERT open a statement journal, which copies each
-- page the statement touches to a temporary file before changing it. SQLite cannot drop
-- a constraint, so the table is rebuilt; its primary key is the index every read uses.
CREATE TABLE room_events_new (
    lot_id         INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('bid', 'state', 'closed', 'announcement')),
    at_ms          INTEGER NOT NULL,
    account_id     INTEGER,
    bidder_number  TEXT,
    amount         TEXT,
    req            TEXT,
    state          TEXT    NOT NULL,
    text           TEXT,
    deadline_ms    INTEGER NOT NULL,
    remaining_ms   INTEGER,
    extensions     INTEGER NOT NULL,
    PRIMARY KEY (lot_id, seq)
);
INSERT INTO room_events_new (lot_id, seq, kind, at_ms, account_id, bidder_number, amount,
    req, state, text, deadline_ms, remaining_ms, extensions)
SELECT lot_id, seq, kind, at_ms, account_id, bidder_number, amount, req, state, text,
       deadline_ms, remaining_ms, extensions
FROM room_events ORDER BY lot_id, seq;
DROP TABLE room_events;
ALTER TABLE room_events_new RENAME TO room_events;
