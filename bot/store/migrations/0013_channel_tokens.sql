-- Credentials a channel renews itself (an official account's OAuth v4 tokens, issue #15).  The
-- refresh token is single-use: a channel writes the new pair here, in one statement,
-- before it uses the new access token, and reads it back at start.
CREATE TABLE channel_tokens (
    channel        TEXT PRIMARY KEY,
    access_token   TEXT,
    refresh_token  TEXT NOT NULL,
    -- When the access token expires (UTC ISO); NULL: not known.
    expires_at     TEXT,
    -- A digest of the configured refresh token this pair descends from: another value
    -- in the configuration means the operator authorised the app again.
    seed           TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
