-- The console's member search (issue #16): each member's names (full name, name on the
-- channel, organisation) kept folded — lower case, without accents — so that a search
-- for "nguyen van an" reads one short column instead of folding every name per request.
-- The store keeps it (NAME_KEY in bot/store/members.py); nn_fold is the store's own
-- SQL function (bot.text.fold), registered on each of its connections.
ALTER TABLE members ADD COLUMN name_folded TEXT;
UPDATE members SET name_folded = nn_fold(COALESCE(full_name, '') || ' ' || COALESCE(display_name, '') || ' ' || COALESCE(organisation, '')) WHERE full_name IS NOT NULL OR display_name IS NOT NULL OR organisation IS NOT NULL;
-- A phone number typed into the search finds its member without reading every row.
CREATE INDEX members_phone ON members (phone) WHERE phone IS NOT NULL;
