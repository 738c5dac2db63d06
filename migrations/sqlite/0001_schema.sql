-- bidroom schema, SQLite dialect. Money is TEXT holding a canonical decimal ("1250.00"):
-- SQLite has no exact decimal type, and its NUMERIC affinity would turn amounts into floats.
-- Times are INTEGER milliseconds since the Unix epoch.

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    username         TEXT    NOT NULL UNIQUE,
    password_hash    TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('bidder', 'auctioneer', 'admin')),
    verified_at_ms   INTEGER,
    real_name        TEXT,
    id_type          TEXT,
    id_number_masked TEXT,
    id_number_hash   TEXT,
    created_at_ms    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);

CREATE TABLE wallets (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id),
    account_number TEXT    NOT NULL UNIQUE,
    currency       TEXT    NOT NULL
);

-- Ledger accounts: 'wallet:{account}:available', 'wallet:{account}:frozen', 'bank_clearing',
-- 'lot:{lot}:proceeds', 'fees', 'forfeits'. `balance` is kept beside the entries and checked
-- against them by reconciliation.
CREATE TABLE ledger_accounts (
    name       TEXT    PRIMARY KEY,
    account_id INTEGER REFERENCES accounts (id),
    balance    TEXT    NOT NULL
);

CREATE TABLE ledger_transactions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,
    account_id    INTEGER REFERENCES accounts (id),
    lot_id        INTEGER,
    reference     TEXT,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    ledger_account TEXT    NOT NULL REFERENCES ledger_accounts (name),
    amount         TEXT    NOT NULL,
    balance_after  TEXT    NOT NULL
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (ledger_account, id);

CREATE TABLE lots (
    id                       INTEGER PRIMARY KEY,
    auctioneer_id            INTEGER NOT NULL REFERENCES accounts (id),
    title                    TEXT    NOT NULL,
    description              TEXT    NOT NULL,
    currency                 TEXT    NOT NULL,
    start_price              TEXT    NOT NULL,
    increment                TEXT    NOT NULL,
    reserve_price            TEXT,
    deposit_kind             TEXT    NOT NULL CHECK (deposit_kind IN ('fixed', 'range')),
    deposit_min              TEXT    NOT NULL,
    deposit_max              TEXT    NOT NULL,
    fee_rate                 TEXT    NOT NULL,
    applications_close_at_ms INTEGER NOT NULL,
    deposit_deadline_ms      INTEGER NOT NULL,
    starts_at_ms             INTEGER NOT NULL,
    ends_at_ms               INTEGER NOT NULL,
    extension_window_secs    INTEGER NOT NULL,
    max_extensions           INTEGER,
    extension_mode           TEXT    NOT NULL CHECK (extension_mode IN ('reset', 'add')),
    settlement_due_at_ms     INTEGER,
    state                    TEXT    NOT NULL DEFAULT 'draft',
    result                   TEXT,
    created_at_ms            INTEGER NOT NULL
);
CREATE INDEX lots_by_state ON lots (state);

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY,
    lot_id         INTEGER NOT NULL REFERENCES lots (id),
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    priority_rank  INTEGER,
    bidder_number  TEXT,
    reject_reason  TEXT,
    deposit_status TEXT    NOT NULL DEFAULT 'none' CHECK (deposit_status IN ('none', 'lodged')),
    disqualified   INTEGER NOT NULL DEFAULT 0,
    created_at_ms  INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    UNIQUE (lot_id, account_id),
    UNIQUE (lot_id, bidder_number)
);

-- A hold on a bidder's money (or an accepted guarantee) for one application.
CREATE TABLE deposits (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    lot_id          INTEGER NOT NULL REFERENCES lots (id),
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('cash', 'guarantee')),
    amount          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('held', 'released', 'applied', 'forfeited')),
    created_at_ms   INTEGER NOT NULL,
    resolved_at_ms  INTEGER
);

CREATE TABLE guarantees (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    issuer         TEXT    NOT NULL,
    number         TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'released', 'called')),
    reason         TEXT,
    created_at_ms  INTEGER NOT NULL,
    decided_at_ms  INTEGER
);

CREATE TABLE bank_notifications (
    transfer_id     TEXT    PRIMARY KEY,
    account_number  TEXT    NOT NULL,
    amount          TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    content_sha256  TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('credited', 'unmatched')),
    transaction_id  INTEGER REFERENCES ledger_transactions (id),
    response        TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL
);

-- Replays of requests made with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    scope           TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    request_sha256  TEXT    NOT NULL,
    response_status INTEGER NOT NULL,
    response_body   TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (account_id, scope, key)
);

CREATE TABLE settlements (
    lot_id          INTEGER PRIMARY KEY REFERENCES lots (id),
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    price           TEXT    NOT NULL,
    fee             TEXT    NOT NULL,
    deposit_applied TEXT    NOT NULL,
    amount_due      TEXT    NOT NULL,
    amount_paid     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'defaulted')),
    due_at_ms       INTEGER,
    created_at_ms   INTEGER NOT NULL,
    resolved_at_ms  INTEGER
);

-- Every room event with its seq, written by the journal's group commit. A row also carries
-- the room's state after the event, so that a restart rebuilds a room from its last rows.
CREATE TABLE room_events (
    lot_id         INTEGER NOT NULL REFERENCES lots (id),
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
