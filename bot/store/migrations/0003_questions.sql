-- Questions the FAQ could not answer, the staff hand-off and the answer's rating.
CREATE TABLE questions (
    id                INTEGER PRIMARY KEY,
    member_id         INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    text              TEXT NOT NULL,
    folded            TEXT NOT NULL,
    best_id           TEXT,
    score             REAL,
    asked_at          TEXT NOT NULL,
    sent_at           TEXT,
    staff_channel     TEXT,
    staff_chat        TEXT,
    staff_message_id  TEXT,
    answer            TEXT,
    answered_by       TEXT,
    answered_at       TEXT,
    rating            INTEGER
);
CREATE INDEX questions_member ON questions (member_id, sent_at);
CREATE INDEX questions_staff_post ON questions (staff_channel, staff_chat, staff_message_id);
CREATE INDEX questions_folded ON questions (folded);
