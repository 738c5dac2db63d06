-- The back office's guards (SPEC §11): the read-only `supervisor` role, an account that
-- must change its password before anything else, and suspensions (停用) with their
-- history.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('bidder', 'auctioneer', 'admin', 'supervisor'));
ALTER TABLE accounts ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN suspended_until_ms BIGINT;

-- Every suspension and every lift, with who did it and why: the history an admin reads.
CREATE TABLE account_suspensions (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id),
    action        TEXT    NOT NULL CHECK (action IN ('suspend', 'lift')),
    days          BIGINT,
    until_ms      BIGINT,
    reason        TEXT    NOT NULL,
    by_account_id BIGINT  NOT NULL REFERENCES accounts (id),
    at_ms         BIGINT  NOT NULL
);
CREATE INDEX account_suspensions_by_account ON account_suspensions (account_id, id);
