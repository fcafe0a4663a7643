-- Content series: where each member is in each series, and which ticks ran.
ALTER TABLE broadcasts ADD COLUMN article_id TEXT;

CREATE TABLE series_progress (
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    series_id   TEXT NOT NULL,
    next_index  INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (member_id, series_id)
);

CREATE TABLE series_ticks (
    series_id  TEXT NOT NULL,
    tick_at    TEXT NOT NULL,
    PRIMARY KEY (series_id, tick_at)
);
