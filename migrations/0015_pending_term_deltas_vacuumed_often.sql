-- Pending term deltas are a queue: every write that changes searched text appends rows, and
-- the next fold deletes them. Readers (search, matching: claimledger_term_df) look deltas up
-- by term, and a lookup by bitmap scan visits every deleted row still in the table, a dead
-- row it cannot mark as such: after a 1M-claim import, 197,000 of them made each lookup take
-- a millisecond and a tweet's match five times slower (p95 249 ms, 77 ms once vacuumed).
-- PostgreSQL's default autovacuum waits for a fifth of the table's live rows to have died;
-- a queue has almost none, so it is vacuumed at a fixed count of dead rows instead, without
-- the cost-based pauses (the table is small, a vacuum takes milliseconds). A bulk import also
-- vacuums it itself once it commits.
ALTER TABLE "search_term_deltas" SET (
  autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 5000,
  autovacuum_vacuum_cost_delay = 0,
  autovacuum_analyze_scale_factor = 0,
  autovacuum_analyze_threshold = 5000
);
