-- An account is a person ('individual', every account made before this) or a company
-- ('organisation'), verified with its name and unified social credit code.
ALTER TABLE accounts
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'individual'
        CHECK (kind IN ('individual', 'organisation'));

-- A bank notification may name its payer (付款人户名). A top-up whose payer is not the
-- wallet holder's verified name is held 'unmatched' like one to an unknown account;
-- `unmatched_reason` says which it was ('unknown_account' or 'payer_name_mismatch'),
-- NULL for notifications that were never unmatched.
ALTER TABLE bank_notifications
    ADD COLUMN payer_name       TEXT,
    ADD COLUMN unmatched_reason TEXT
        CHECK (unmatched_reason IN ('unknown_account', 'payer_name_mismatch'));
UPDATE bank_notifications SET unmatched_reason = 'unknown_account'
WHERE status IN ('unmatched', 'returned') OR resolved_at_ms IS NOT NULL;
