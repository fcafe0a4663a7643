-- Linked accounts: one person on two channels, linked by a code sent from one
-- account to the other with the same phone number; pushes go to one account only.
CREATE TABLE member_links (
    member_id  INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    person     INTEGER NOT NULL,            -- the same value for every account of one person
    pushes     INTEGER NOT NULL DEFAULT 1,  -- 1: broadcasts and series reach this account
    linked_at  TEXT NOT NULL
);
CREATE INDEX member_links_person ON member_links (person);

CREATE TABLE link_codes (
    member_id   INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    tries       INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL
);
CREATE INDEX link_codes_phone ON link_codes (phone);
