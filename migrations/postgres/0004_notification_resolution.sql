-- An admin resolves a notification no wallet matched: credits it to the wallet the
-- transfer was meant for (status 'credited', with who resolved it and why), or records
-- that the money was sent back to the payer (status 'returned', no ledger entry: it
-- never entered a wallet).
ALTER TABLE bank_notifications DROP CONSTRAINT IF EXISTS bank_notifications_status_check;
ALTER TABLE bank_notifications
    ADD CONSTRAINT bank_notifications_status_check
        CHECK (status IN ('credited', 'unmatched', 'returned')),
    ADD COLUMN account_id      BIGINT REFERENCES accounts (id),
    ADD COLUMN resolved_by     BIGINT REFERENCES accounts (id),
    ADD COLUMN resolution_note TEXT,
    ADD COLUMN resolved_at_ms  BIGINT;
UPDATE bank_notifications n SET account_id = t.account_id
FROM ledger_transactions t WHERE t.id = n.transaction_id;
CREATE INDEX bank_notifications_by_status ON bank_notifications (status, created_at_ms);
