-- Training courses, registrations (one per course and member) and the
-- reminders and notices owed to registrants, as rows the sender works through.
ALTER TABLE members ADD COLUMN organisation TEXT;

CREATE TABLE courses (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    venue         TEXT NOT NULL,
    commune_code  TEXT,
    capacity      INTEGER NOT NULL CHECK (capacity > 0),
    audience      TEXT NOT NULL DEFAULT '',
    deadline_at   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'open',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT
);
CREATE INDEX courses_upcoming ON courses (state, starts_at);

CREATE TABLE registrations (
    id                INTEGER PRIMARY KEY,
    course_id         INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    member_id         INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    queued_at         TEXT,
    feedback_score    INTEGER,
    feedback_comment  TEXT,
    UNIQUE (course_id, member_id)
);
CREATE INDEX registrations_member ON registrations (member_id, status);
CREATE INDEX registrations_course ON registrations (course_id, status);

CREATE TABLE course_notices (
    id               INTEGER PRIMARY KEY,
    registration_id  INTEGER NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    done_at          TEXT,
    outcome          TEXT,
    UNIQUE (registration_id, kind)
);
CREATE INDEX course_notices_due ON course_notices (done_at, due_at);
