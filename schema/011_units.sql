-- 011_units.sql - a rollout's units page by page (version 11).
--
-- The admin listener's /api/rollouts/NAME/units lists a rollout's units in
-- id order, filtered by state and furthest step, a page at a time
-- (lib/store/sqlite_units.c). Its entries end in the rowid, so for every
-- filter the page's ids and the filter's count are a walk of this index
-- alone, without a table row and without a sort, also deep into a rollout
-- of a million units. (jobs_rollout_wave puts the wave before the state;
-- jobs_rollout_reached leaves out the units not sent yet.)
CREATE INDEX jobs_rollout_units ON jobs (rollout, state, reached);
