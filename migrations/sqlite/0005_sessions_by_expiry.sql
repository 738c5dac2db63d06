-- The periodic sweep deletes expired sessions (`expires_at_ms <= now`) without reading
-- every session.
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);
