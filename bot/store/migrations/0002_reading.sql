-- What each member opened, and when they last looked at the news list.
CREATE TABLE article_reads (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    article_id  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX article_reads_member ON article_reads (member_id, article_id);
CREATE INDEX article_reads_article ON article_reads (article_id);

ALTER TABLE members ADD COLUMN news_seen_at TEXT;
