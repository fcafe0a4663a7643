-- The staff web console (issue #16): one-time login links and browser sessions.
-- Only the SHA-256 of each secret is kept, so that a copy of the database opens nothing.
CREATE TABLE web_logins (
    token_hash  TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) WITHOUT ROWID;

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT
) WITHOUT ROWID;
