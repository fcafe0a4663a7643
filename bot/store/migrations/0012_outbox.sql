-- Outbox (issue #14): priorities between broadcasts, a claim whose cost does not grow
-- with the broadcast, and the retention of delivery rows.

-- 1 = urgent ("khẩn"): its copies go before those of normal broadcasts (replies to
-- people talking to the bot still go first).
ALTER TABLE broadcasts ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
-- When its delivery rows were compacted into delivery_counts (NULL: not compacted).
ALTER TABLE broadcasts ADD COLUMN compacted_at TEXT;
-- Recipients who answered after their copy arrived, counted at compaction.
ALTER TABLE broadcasts ADD COLUMN responded INTEGER;

-- The claim walks a broadcast's pending rows in member order from a cursor: it reads
-- only the rows it takes.  (broadcast_id, status) is a prefix of it: dropped.
CREATE INDEX deliveries_claim ON deliveries (broadcast_id, status, member_id);
DROP INDEX deliveries_status;

-- A compacted broadcast's counts per outcome, and its failure reasons.
CREATE TABLE delivery_counts (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, status)
);
CREATE TABLE delivery_failures (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    reason        TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, reason)
);
