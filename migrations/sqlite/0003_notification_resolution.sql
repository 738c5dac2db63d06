-- An admin resolves a notification no wallet matched: credits it to the wallet the
-- transfer was meant for (status 'credited', with who resolved it and why), or records
-- that the money was sent back to the payer (status 'returned', no ledger entry: it
-- never entered a wallet). SQLite cannot change a CHECK constraint, so the table is
-- rebuilt with the new status and columns.
CREATE TABLE bank_notifications_new (
    transfer_id     TEXT    PRIMARY KEY,
    account_number  TEXT    NOT NULL,
    amount          TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    content_sha256  TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('credited', 'unmatched', 'returned')),
    transaction_id  INTEGER REFERENCES ledger_transactions (id),
    response        TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    account_id      INTEGER REFERENCES accounts (id),
    resolved_by     INTEGER REFERENCES accounts (id),
    resolution_note TEXT,
    resolved_at_ms  INTEGER
);
INSERT INTO bank_notifications_new (transfer_id, account_number, amount, currency,
    received_at_ms, content_sha256, status, transaction_id, response, created_at_ms, account_id)
SELECT n.transfer_id, n.account_number, n.amount, n.currency, n.received_at_ms,
       n.content_sha256, n.status, n.transaction_id, n.response, n.created_at_ms,
       (SELECT t.account_id FROM ledger_transactions t WHERE t.id = n.transaction_id)
FROM bank_notifications n;
DROP TABLE bank_notifications;
ALTER TABLE bank_notifications_new RENAME TO bank_notifications;
CREATE INDEX bank_notifications_by_status ON bank_notifications (status, created_at_ms);
