-- bidroom schema, PostgreSQL dialect. Money is NUMERIC(24, 2), read and written as rust_decimal.
-- Times are BIGINT milliseconds since the Unix epoch.

CREATE TABLE accounts (
    id               BIGSERIAL PRIMARY KEY,
    username         TEXT    NOT NULL UNIQUE,
    password_hash    TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('bidder', 'auctioneer', 'admin')),
    verified_at_ms   BIGINT ,
    real_name        TEXT,
    id_type          TEXT,
    id_number_masked TEXT,
    id_number_hash   TEXT,
    created_at_ms    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id),
    created_at_ms BIGINT  NOT NULL,
    expires_at_ms BIGINT  NOT NULL
);

CREATE TABLE wallets (
    account_id     BIGINT  PRIMARY KEY REFERENCES accounts (id),
    account_number TEXT    NOT NULL UNIQUE,
    currency       TEXT    NOT NULL
);

-- Ledger accounts: 'wallet:{account}:available', 'wallet:{account}:frozen', 'bank_clearing',
-- 'lot:{lot}:proceeds', 'fees', 'forfeits'. `balance` is kept beside the entries and checked
-- against them by reconciliation.
CREATE TABLE ledger_accounts (
    name       TEXT    PRIMARY KEY,
    account_id BIGINT  REFERENCES accounts (id),
    balance    NUMERIC(24, 2) NOT NULL
);

CREATE TABLE ledger_transactions (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT    NOT NULL,
    account_id    BIGINT  REFERENCES accounts (id),
    lot_id        BIGINT ,
    reference     TEXT,
    created_at_ms BIGINT  NOT NULL
);

CREATE TABLE ledger_entries (
    id             BIGSERIAL PRIMARY KEY,
    transaction_id BIGINT  NOT NULL REFERENCES ledger_transactions (id),
    ledger_account TEXT    NOT NULL REFERENCES ledger_accounts (name),
    amount         NUMERIC(24, 2) NOT NULL,
    balance_after  NUMERIC(24, 2) NOT NULL
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (ledger_account, id);

CREATE TABLE lots (
    id                       BIGSERIAL PRIMARY KEY,
    auctioneer_id            BIGINT  NOT NULL REFERENCES accounts (id),
    title                    TEXT    NOT NULL,
    description              TEXT    NOT NULL,
    currency                 TEXT    NOT NULL,
    start_price              NUMERIC(24, 2) NOT NULL,
    increment                NUMERIC(24, 2) NOT NULL,
    reserve_price            NUMERIC(24, 2),
    deposit_kind             TEXT    NOT NULL CHECK (deposit_kind IN ('fixed', 'range')),
    deposit_min              NUMERIC(24, 2) NOT NULL,
    deposit_max              NUMERIC(24, 2) NOT NULL,
    fee_rate                 NUMERIC(9, 6) NOT NULL,
    applications_close_at_ms BIGINT  NOT NULL,
    deposit_deadline_ms      BIGINT  NOT NULL,
    starts_at_ms             BIGINT  NOT NULL,
    ends_at_ms               BIGINT  NOT NULL,
    extension_window_secs    BIGINT  NOT NULL,
    max_extensions           BIGINT ,
    extension_mode           TEXT    NOT NULL CHECK (extension_mode IN ('reset', 'add')),
    settlement_due_at_ms     BIGINT ,
    state                    TEXT    NOT NULL DEFAULT 'draft',
    result                   TEXT,
    created_at_ms            BIGINT  NOT NULL
);
CREATE INDEX lots_by_state ON lots (state);

CREATE TABLE applications (
    id             BIGSERIAL PRIMARY KEY,
    lot_id         BIGINT  NOT NULL REFERENCES lots (id),
    account_id     BIGINT  NOT NULL REFERENCES accounts (id),
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    priority_rank  BIGINT ,
    bidder_number  TEXT,
    reject_reason  TEXT,
    deposit_status TEXT    NOT NULL DEFAULT 'none' CHECK (deposit_status IN ('none', 'lodged')),
    disqualified   BIGINT  NOT NULL DEFAULT 0,
    created_at_ms  BIGINT  NOT NULL,
    decided_at_ms  BIGINT ,
    UNIQUE (lot_id, account_id),
    UNIQUE (lot_id, bidder_number)
);

-- A hold on a bidder's money (or an accepted guarantee) for one application.
CREATE TABLE deposits (
    id              BIGSERIAL PRIMARY KEY,
    application_id  BIGINT  NOT NULL UNIQUE REFERENCES applications (id),
    lot_id          BIGINT  NOT NULL REFERENCES lots (id),
    account_id      BIGINT  NOT NULL REFERENCES accounts (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('cash', 'guarantee')),
    amount          NUMERIC(24, 2) NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('held', 'released', 'applied', 'forfeited')),
    created_at_ms   BIGINT  NOT NULL,
    resolved_at_ms  BIGINT 
);

CREATE TABLE guarantees (
    id             BIGSERIAL PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES applications (id),
    account_id     BIGINT  NOT NULL REFERENCES accounts (id),
    issuer         TEXT    NOT NULL,
    number         TEXT    NOT NULL,
    amount         NUMERIC(24, 2) NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'released', 'called')),
    reason         TEXT,
    created_at_ms  BIGINT  NOT NULL,
    decided_at_ms  BIGINT 
);

CREATE TABLE bank_notifications (
    transfer_id     TEXT    PRIMARY KEY,
    account_number  TEXT    NOT NULL,
    amount          NUMERIC(24, 2) NOT NULL,
    currency        TEXT    NOT NULL,
    received_at_ms  BIGINT  NOT NULL,
    content_sha256  TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('credited', 'unmatched')),
    transaction_id  BIGINT  REFERENCES ledger_transactions (id),
    response        TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL
);

-- Replays of requests made with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    account_id      BIGINT  NOT NULL REFERENCES accounts (id),
    scope           TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    request_sha256  TEXT    NOT NULL,
    response_status BIGINT  NOT NULL,
    response_body   TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL,
    PRIMARY KEY (account_id, scope, key)
);

CREATE TABLE settlements (
    lot_id          BIGINT  PRIMARY KEY REFERENCES lots (id),
    account_id      BIGINT  NOT NULL REFERENCES accounts (id),
    application_id  BIGINT  NOT NULL REFERENCES applications (id),
    price           NUMERIC(24, 2) NOT NULL,
    fee             NUMERIC(24, 2) NOT NULL,
    deposit_applied NUMERIC(24, 2) NOT NULL,
    amount_due      NUMERIC(24, 2) NOT NULL,
    amount_paid     NUMERIC(24, 2) NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('open', 'paid', 'defaulted')),
    due_at_ms       BIGINT ,
    created_at_ms   BIGINT  NOT NULL,
    resolved_at_ms  BIGINT 
);

-- Every room event with its seq, written by the journal's group commit. A row also carries
-- the room's state after the event, so that a restart rebuilds a room from its last rows.
CREATE TABLE room_events (
    lot_id         BIGINT  NOT NULL REFERENCES lots (id),
    seq            BIGINT  NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('bid', 'state', 'closed', 'announcement')),
    at_ms          BIGINT  NOT NULL,
    account_id     BIGINT ,
    bidder_number  TEXT,
    amount         NUMERIC(24, 2),
    req            TEXT,
    state          TEXT    NOT NULL,
    text           TEXT,
    deadline_ms    BIGINT  NOT NULL,
    remaining_ms   BIGINT ,
    extensions     BIGINT  NOT NULL,
    PRIMARY KEY (lot_id, seq)
);
