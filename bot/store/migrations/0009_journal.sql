-- The inbound journal: every platform update is stored here before the platform is
-- told it arrived (webhook 200, polling offset), handled from here, and marked done
-- together with the replies it produced.  One row per (channel, platform update id),
-- so an update delivered twice is handled once.  The payload holds what the person
-- wrote: done rows are deleted after a short time (NHANONG_JOURNAL_KEEP).
CREATE TABLE inbound (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    update_id    TEXT NOT NULL,             -- the platform's id (its update or message id)
    payload      TEXT NOT NULL,             -- the update as the platform sent it (JSON)
    received_at  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'done', 'failed')),
    person       TEXT,                      -- channel:user id, once handled (per-person order)
    starts       INTEGER NOT NULL DEFAULT 0, -- starts that found it unfinished
    done_at      TEXT,
    UNIQUE (channel, update_id)
);
CREATE INDEX inbound_state ON inbound (state, id);

-- The messages a handled update answered with, one row per platform message, sent in
-- seq order.  'sending' is written just before the API call: a row still 'sending'
-- after a crash becomes 'unknown' and is never sent again.
CREATE TABLE inbound_replies (
    id          INTEGER PRIMARY KEY,
    inbound_id  INTEGER NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    message     TEXT NOT NULL,              -- the rendered message (JSON)
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
    message_id  TEXT,
    reason      TEXT,
    updated_at  TEXT NOT NULL,
    UNIQUE (inbound_id, seq)
);
CREATE INDEX inbound_replies_state ON inbound_replies (state);
