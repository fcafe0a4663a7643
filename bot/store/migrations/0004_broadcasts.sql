-- The broadcast outbox: one row per broadcast, one delivery row per recipient.
CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    text        TEXT NOT NULL,
    image       TEXT,
    segment     TEXT NOT NULL DEFAULT '',
    send_at     TEXT NOT NULL,
    expires_at  TEXT,
    state       TEXT NOT NULL,
    approved_by TEXT,
    planned     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);
CREATE INDEX broadcasts_due ON broadcasts (state, send_at);

CREATE TABLE deliveries (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    message_id    TEXT,
    reason        TEXT,
    updated_at    TEXT,
    PRIMARY KEY (broadcast_id, member_id)
);
CREATE INDEX deliveries_status ON deliveries (broadcast_id, status);
