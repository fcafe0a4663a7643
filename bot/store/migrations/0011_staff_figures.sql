-- What the staff screens need at a province's size (250,000 members, issue #14).
--
-- Member counts by role and by commune read covering indexes instead of the table.
DROP INDEX members_role;
CREATE INDEX members_role_commune ON members (role, commune_code);
CREATE INDEX members_subscribed_role ON members (subscribed, role);
CREATE INDEX members_subscribed_commune ON members (subscribed, commune_code);
-- The totals at the top of /thongke count this index, not the table.
CREATE INDEX members_states ON members (subscribed, blocked_at, stopped_at, profile_done);

-- Openings and distinct readers per article, kept up to date as members read
-- (Reads.record), so /thongke's most-read list does not count two million rows.
CREATE TABLE article_stats (
    article_id  TEXT PRIMARY KEY,
    openings    INTEGER NOT NULL DEFAULT 0,
    readers     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO article_stats (article_id, openings, readers)
    SELECT article_id, COUNT(*), COUNT(DISTINCT member_id) FROM article_reads GROUP BY article_id;

-- Submitted responses of one check-in found through its runs.
CREATE INDEX checkin_responses_run ON checkin_responses (run_id, state, submitted_at, member_id);

-- Each member's newest submitted response per check-in and its answers, kept up to
-- date by Checkins.submit and .reopen: the "latest report" indicators count the
-- answers to a question as one range of the key, by commune and role (copied from the
-- member, and kept so by the trigger below), instead of ranking every response ever
-- submitted.
CREATE TABLE checkin_latest (
    checkin_id    TEXT NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    response_id   INTEGER NOT NULL,
    run_id        INTEGER NOT NULL,
    version_id    INTEGER NOT NULL,
    submitted_at  TEXT NOT NULL,
    PRIMARY KEY (checkin_id, member_id)
);
CREATE TABLE checkin_latest_answers (
    checkin_id    TEXT NOT NULL,
    question_id   TEXT NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    commune_code  TEXT,
    role          TEXT,
    kind          TEXT NOT NULL,
    value         TEXT,
    number        REAL,
    PRIMARY KEY (checkin_id, question_id, member_id)
) WITHOUT ROWID;
CREATE INDEX checkin_latest_answers_member ON checkin_latest_answers (member_id);
CREATE TRIGGER members_place_in_latest AFTER UPDATE OF commune_code, role ON members
    WHEN OLD.commune_code IS NOT NEW.commune_code OR OLD.role IS NOT NEW.role
BEGIN
    UPDATE checkin_latest_answers SET commune_code = NEW.commune_code, role = NEW.role
     WHERE member_id = NEW.id;
END;
INSERT INTO checkin_latest (checkin_id, member_id, response_id, run_id, version_id, submitted_at)
    SELECT x.checkin_id, x.member_id, x.id, x.run_id, x.version_id, x.submitted_at
      FROM (SELECT r.id, r.member_id, r.run_id, r.version_id, r.submitted_at, u.checkin_id,
                   ROW_NUMBER() OVER (PARTITION BY u.checkin_id, r.member_id
                                      ORDER BY r.submitted_at DESC, r.id DESC) AS rn
              FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id
             WHERE r.state = 'submitted') x
     WHERE x.rn = 1;
INSERT INTO checkin_latest_answers
    (checkin_id, question_id, member_id, commune_code, role, kind, value, number)
    SELECT l.checkin_id, a.question_id, l.member_id, m.commune_code, m.role, a.kind, a.value,
           a.number
      FROM checkin_latest l JOIN checkin_answers a ON a.response_id = l.response_id
      JOIN members m ON m.id = l.member_id;
