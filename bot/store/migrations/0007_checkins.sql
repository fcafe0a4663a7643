-- Progress check-ins: each questionnaire version as shipped (so editing one never
-- changes how older answers read), runs per period, one response per run and
-- member, typed answers; and the reports already sent on the calendar.
CREATE TABLE checkin_versions (
    id          INTEGER PRIMARY KEY,
    checkin_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (checkin_id, digest)
);

CREATE TABLE checkin_runs (
    id            INTEGER PRIMARY KEY,
    checkin_id    TEXT NOT NULL,
    period        TEXT NOT NULL,
    opens_at      TEXT NOT NULL,
    remind_at     TEXT,
    closes_at     TEXT NOT NULL,
    invited_at    TEXT,
    reminded_at   TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (checkin_id, period)
);
CREATE INDEX checkin_runs_open ON checkin_runs (opens_at, closes_at);

CREATE TABLE checkin_responses (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES checkin_runs (id) ON DELETE CASCADE,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    version_id    INTEGER NOT NULL REFERENCES checkin_versions (id),
    state         TEXT NOT NULL DEFAULT 'open',
    asked         TEXT NOT NULL DEFAULT '[]',
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    submitted_at  TEXT,
    UNIQUE (run_id, member_id)
);
CREATE INDEX checkin_responses_member ON checkin_responses (member_id, state);
CREATE INDEX checkin_responses_submitted ON checkin_responses (state, submitted_at);

CREATE TABLE checkin_answers (
    response_id  INTEGER NOT NULL REFERENCES checkin_responses (id) ON DELETE CASCADE,
    question_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT,
    number       REAL,
    answered_at  TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
);

CREATE TABLE reports_sent (
    period   TEXT PRIMARY KEY,
    sent_at  TEXT NOT NULL
);
