-- Messages staff send to one person from outside a chat (the web console's answers):
-- stored before the console says "sent", then sent by the bot's worker.  A message
-- marked 'sending' when the process died ends 'unknown' and is not sent twice.
CREATE TABLE direct_messages (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reply       TEXT NOT NULL,      -- the Reply as JSON (text, buttons, image)
    by          TEXT NOT NULL,      -- who among staff sent it (their address, CHANNEL:ID)
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',  -- pending, sending, sent, blocked, failed, unknown
    reason      TEXT,
    done_at     TEXT
);
CREATE INDEX direct_messages_pending ON direct_messages (state) WHERE state IN ('pending', 'sending');
