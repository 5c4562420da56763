-- 011_units.sql - a rollout's units by state and furthest step (version 11).
--
-- The admin listener's /api/rollouts/NAME/units lists a rollout's units
-- filtered by state and furthest step, a page at a time, sorted by state,
-- furthest step and id: this index's order (its entries end in the rowid),
-- so a page and a filter's count are walks of this index without a sort,
-- and the rows a deep page skips are index entries only
-- (lib/store/sqlite_units.c). jobs_rollout_wave puts the wave before the
-- state.
CREATE INDEX jobs_rollout_units ON jobs (rollout, state, reached);
-- It also answers what jobs_rollout_reached (005) did, from exact key
-- prefixes: the funnel of rollout status (one count per state and step,
-- about 7x faster than that index's GROUP BY walk on a million units
-- under way) and retry --stopped-at (rollout, 'failed', step). One index
-- for both: each costs every send a write.
DROP INDEX jobs_rollout_reached;
