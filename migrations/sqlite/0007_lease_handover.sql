-- A planned handover (SPEC §10): a node that stops releases its rooms' leases and says
-- when; the node that takes a lease soon after knows the room was handed over, not lost
-- in an outage, and goes on without the recovery extension (SPEC §2's rule is for
-- outages).
ALTER TABLE room_leases ADD COLUMN released_at_ms BIGINT;
ALTER TABLE room_leases ADD COLUMN handed_over BOOLEAN NOT NULL DEFAULT FALSE;
