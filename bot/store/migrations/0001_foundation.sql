-- Members, their interests, dialog state and the staff audit log.
CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    display_name  TEXT,
    full_name     TEXT,
    phone         TEXT,
    commune_code  TEXT,
    role          TEXT,
    locale        TEXT NOT NULL DEFAULT 'vi',
    subscribed    INTEGER NOT NULL DEFAULT 0,
    consent_at    TEXT,
    stopped_at    TEXT,
    blocked_at    TEXT,
    profile_done  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT,
    UNIQUE (channel, user_id)
);
CREATE INDEX members_push ON members (subscribed, blocked_at);
CREATE INDEX members_commune ON members (commune_code);
CREATE INDEX members_role ON members (role);

CREATE TABLE member_topics (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    PRIMARY KEY (member_id, topic)
);
CREATE INDEX member_topics_topic ON member_topics (topic);

CREATE TABLE dialog_state (
    member_id   INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    flow        TEXT,
    step        TEXT,
    data        TEXT NOT NULL DEFAULT '{}',
    offered     TEXT NOT NULL DEFAULT '[]',
    updated_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
