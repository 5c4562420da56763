-- 011_units.sql - a rollout's units page by page (version 11).
--
-- The admin listener's /api/rollouts/NAME/units lists a rollout's units
-- filtered by state and furthest step, a page at a time, sorted by state,
-- furthest step and id: this index's order (its entries end in the rowid),
-- so a page and a filter's count are walks of this index without a sort,
-- and the rows a deep page skips are index entries only
-- (lib/store/sqlite_units.c). jobs_rollout_wave puts the wave before the
-- state; jobs_rollout_reached leaves out the units not sent yet.
CREATE INDEX jobs_rollout_units ON jobs (rollout, state, reached);
