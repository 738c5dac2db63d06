-- The back office's guards (SPEC §11): the read-only `supervisor` role, an account that
-- must change its password before anything else, and suspensions (停用) with their
-- history. SQLite cannot change a CHECK constraint, so `accounts` is rebuilt: its rows go
-- to a copy, the table is dropped and created again, and the rows come back. Every table
-- that references an account keeps referring to the same ids; the foreign keys are
-- checked once, at the migration's commit, when every account is back.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE accounts_copy AS SELECT * FROM accounts;
DROP TABLE accounts;
CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    password_hash        TEXT    NOT NULL,
    display_name         TEXT    NOT NULL,
    role                 TEXT    NOT NULL
        CHECK (role IN ('bidder', 'auctioneer', 'admin', 'supervisor')),
    verified_at_ms       INTEGER,
    real_name            TEXT,
    id_type              TEXT,
    id_number_masked     TEXT,
    id_number_hash       TEXT,
    created_at_ms        INTEGER NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    suspended_until_ms   INTEGER
);
INSERT INTO accounts (id, username, password_hash, display_name, role, verified_at_ms,
    real_name, id_type, id_number_masked, id_number_hash, created_at_ms)
SELECT id, username, password_hash, display_name, role, verified_at_ms, real_name, id_type,
       id_number_masked, id_number_hash, created_at_ms
FROM accounts_copy ORDER BY id;
DROP TABLE accounts_copy;

-- Every suspension and every lift, with who did it and why: the history an admin reads.
CREATE TABLE account_suspensions (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    action        TEXT    NOT NULL CHECK (action IN ('suspend', 'lift')),
    days          INTEGER,
    until_ms      INTEGER,
    reason        TEXT    NOT NULL,
    by_account_id INTEGER NOT NULL REFERENCES accounts (id),
    at_ms         INTEGER NOT NULL
);
CREATE INDEX account_suspensions_by_account ON account_suspensions (account_id, id);
