-- The console's questions inbox (issue #16): every staff answer kept (a question may be
-- answered more than once), and indexes for the waiting and answered lists and for the
-- questions the bot could not answer in a period.
CREATE TABLE question_answers (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    answered_by  TEXT NOT NULL,
    answered_at  TEXT NOT NULL
);
CREATE INDEX question_answers_question ON question_answers (question_id, answered_at);
INSERT INTO question_answers (question_id, text, answered_by, answered_at)
    SELECT id, answer, COALESCE(answered_by, '?'), answered_at FROM questions
    WHERE answered_at IS NOT NULL AND answer IS NOT NULL;

CREATE INDEX questions_waiting ON questions (sent_at)
    WHERE sent_at IS NOT NULL AND answered_at IS NULL;
CREATE INDEX questions_answered ON questions (answered_at)
    WHERE answered_at IS NOT NULL;
CREATE INDEX questions_asked ON questions (asked_at, folded);
