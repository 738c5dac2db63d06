-- Room ownership (SPEC §10): each open room runs on the node holding its lease. The
-- epoch grows with every new holder and fences the journal: a batch written under an
-- older epoch is refused.
CREATE TABLE room_leases (
    lot_id BIGINT PRIMARY KEY,
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

CREATE INDEX room_leases_by_node ON room_leases (node_id);

-- The nodes of an exchange, each renewing its row while it runs (`GET /api/v1/cluster`).
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    clustered BOOLEAN NOT NULL,
    started_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
