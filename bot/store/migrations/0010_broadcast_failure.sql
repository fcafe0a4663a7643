-- Why a broadcast was stopped (state 'failed'): kept with it, shown to staff.
ALTER TABLE broadcasts ADD COLUMN failure TEXT;
