-- Withdrawals (余额退还): money leaving a wallet for the bidder's bank account. The ledger
-- transaction (wallet available −A, bank_clearing +A) is written in the same database
-- transaction as the row. `status` is 'requested': the payout instruction is the bank
-- integration's to carry out.
CREATE TABLE withdrawals (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    amount         TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    created_at_ms  INTEGER NOT NULL
);
CREATE INDEX withdrawals_by_account ON withdrawals (account_id, id);
