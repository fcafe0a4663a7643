-- Quota-aware outbox (issue #15): the broadcast copies each person received, per local
-- month and per local day (NHANONG_TZ), as rows, so that a restart forgets none.
-- The window since a person's last interaction on a channel reads members.last_seen_at
-- (one member row per person per channel, written on every message or button press).
-- New delivery outcomes need no column: "over_quota" and "outside_window".
CREATE TABLE quota_use (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    period     TEXT NOT NULL,  -- a local month 'YYYY-MM' or a local day 'YYYY-MM-DD'
    n          INTEGER NOT NULL,
    PRIMARY KEY (member_id, period)
) WITHOUT ROWID;
