-- Announcements (公告, SPEC §11): drafted by a lot's auctioneer, reviewed by an admin,
-- public once approved. `generated`: drafted by the server itself (a lot's result at its
-- close), at most one per lot.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('auction', 'correction', 'termination', 'result')),
    lot_id BIGINT REFERENCES lots (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
    author_id BIGINT NOT NULL REFERENCES accounts (id),
    generated BOOLEAN NOT NULL DEFAULT FALSE,
    reason TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts (id),
    decided_at_ms BIGINT
);

CREATE INDEX announcements_public ON announcements (status, decided_at_ms);
CREATE INDEX announcements_by_lot ON announcements (lot_id, kind, status);
CREATE UNIQUE INDEX announcements_one_generated_result ON announcements (lot_id)
    WHERE generated;
